"""POST /v1/summarize: a cited summary of one article, or of a topic across articles."""

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from service.api.context import note_mode
from service.api.deps import SettingsDep, SummarizerDep
from service.api.limits import run_blocking
from service.api.problems import COMMON_RESPONSES, problem_responses
from service.api.types import StrictModel
from service.summary.models import Summary
from service.summary.service import DEFAULT_WORDS, MAX_WORDS, MIN_WORDS
from vectorstore.store import DOC_ID_PATTERN

router = APIRouter(prefix="/v1", tags=["summarize"], responses=COMMON_RESPONSES)

SUBJECTS = ("doc_id", "topic")


class SummarizeRequest(StrictModel):
    # None is left out of the schema: a client gives one of the two fields, never null.
    doc_id: (
        Annotated[str, Field(pattern=DOC_ID_PATTERN.pattern, description="This article.")]
        | SkipJsonSchema[None]
    ) = None
    topic: (
        Annotated[
            str,
            Field(
                min_length=1,
                max_length=2000,
                pattern=r"\S",
                description="What the articles say about this.",
            ),
        ]
        | SkipJsonSchema[None]
    ) = None
    max_words: int = Field(DEFAULT_WORDS, ge=MIN_WORDS, le=MAX_WORDS)

    model_config = {
        "json_schema_extra": {
            "oneOf": [{"required": ["doc_id"]}, {"required": ["topic"]}],
            "examples": [
                {"doc_id": "000_24ebec4603e8d0ce", "max_words": 120},
                {"topic": "US troops in Ukraine"},
            ],
        }
    }

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(data.get(key, "") is None for key in SUBJECTS):
            raise ValueError("doc_id and topic are strings: leave out the one not used")
        return data

    @model_validator(mode="after")
    def _one_subject(self) -> "SummarizeRequest":
        if (self.doc_id is None) == (self.topic is None):
            raise ValueError("give exactly one of doc_id or topic")
        return self


@router.post(
    "/summarize",
    response_model=Summary,
    summary="Summarize an article or a topic, with verbatim citations",
    description="Main points first; every sentence carries [n] citations whose quotes are "
    "verbatim. A topic summary groups what each source says and states where they disagree.",
    responses=problem_responses(404),
)
async def summarize(
    body: SummarizeRequest, summarizer: SummarizerDep, settings: SettingsDep
) -> Any:
    timeout = settings.request_timeout_seconds
    if body.doc_id is not None:
        summary = await run_blocking(
            timeout, summarizer.summarize_document, body.doc_id, body.max_words
        )
    else:
        assert body.topic is not None
        summary = await run_blocking(
            timeout, summarizer.summarize_topic, body.topic, body.max_words
        )
    note_mode(summary.mode)
    return summary
