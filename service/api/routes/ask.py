"""POST /v1/ask: an answer with verbatim citations, as JSON or as server-sent events."""

from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import Field

from service.answer.models import Answer
from service.answer.service import AnswerService, Retrieval
from service.api.deps import AnswererDep, MetricsDep, SettingsDep
from service.api.limits import run_blocking
from service.api.observability import record_answer
from service.api.problems import COMMON_RESPONSES, problem_for
from service.api.shutdown import STOPPED, Stopping, StoppingDep
from service.api.sse import (
    EVENT_STREAM,
    STREAM_HEADERS,
    event,
    event_schema,
    pieces,
    wants_stream,
)
from service.api.types import IsoDate, StrictModel
from service.metrics import Metrics
from service.retrieval.hybrid import Filters

router = APIRouter(prefix="/v1", tags=["ask"], responses=COMMON_RESPONSES)

QUESTION_MAX_CHARS = 2000


class Turn(StrictModel):
    role: Literal["user", "assistant", "system"]
    content: str = Field(max_length=8000)


class AskFilters(StrictModel):
    doc_ids: list[str] | None = Field(
        None,
        max_length=1000,
        description="Only these documents.",
        examples=[["000_24ebec4603e8d0ce"]],
    )
    published_from: IsoDate | None = Field(None, description="Published on or after this date.")
    published_to: IsoDate | None = Field(None, description="Published on or before this date.")

    def to_filters(self) -> Filters:
        return Filters(
            doc_ids=frozenset(self.doc_ids) if self.doc_ids is not None else None,
            published_from=self.published_from.isoformat() if self.published_from else None,
            published_to=self.published_to.isoformat() if self.published_to else None,
        )


class AskRequest(StrictModel):
    question: str = Field(
        min_length=1,
        max_length=QUESTION_MAX_CHARS,
        pattern=r"\S",
        examples=["What did Witkoff say about Putin?"],
    )
    top_k: int | None = Field(
        None, ge=1, le=50, description="Passages to retrieve (default: 6, or 16 with an LLM)."
    )
    history: list[Turn] = Field(
        default_factory=list, max_length=50, description="Earlier turns, oldest first."
    )
    filters: AskFilters = AskFilters()
    stream: bool = Field(
        False, description="Stream server-sent events (also chosen by Accept: text/event-stream)."
    )


ASK_STREAM_DOC = (
    "Events: `retrieval` ({retrieved, question}), then `delta` ({text}) pieces of the answer "
    "text, then `answer` (the full JSON object). A failure after the stream began arrives as "
    "an `error` event carrying a problem object."
)


@router.post(
    "/ask",
    response_model=Answer,
    summary="Answer a question with verbatim citations",
    description="Unsupported claims never reach the answer; a question the articles do not "
    "cover is declined (`abstained: true`). " + ASK_STREAM_DOC,
    responses={
        200: {
            "content": {
                EVENT_STREAM: {"schema": event_schema(["retrieval", "delta", "answer", "error"])}
            }
        }
    },
)
async def ask(
    body: AskRequest,
    request: Request,
    answerer: AnswererDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    stopping: StoppingDep,
) -> Any:
    timeout = settings.request_timeout_seconds
    # Retrieval happens before the first byte, so its failures are still proper HTTP errors.
    retrieval = await run_blocking(
        timeout,
        answerer.retrieve,
        body.question,
        top_k=body.top_k,
        history=[(turn.role, turn.content) for turn in body.history],
        filters=body.filters.to_filters(),
    )
    if wants_stream(request, body.stream):
        return StreamingResponse(
            answer_events(answerer, retrieval, timeout, metrics, stopping),
            media_type=EVENT_STREAM,
            headers=STREAM_HEADERS,
        )
    return record_answer(metrics, await run_blocking(timeout, answerer.complete, retrieval))


async def answer_events(
    answerer: AnswerService,
    retrieval: Retrieval,
    timeout: float,
    metrics: Metrics,
    stopping: Stopping,
) -> AsyncIterator[str]:
    question = retrieval.standalone if retrieval.rewritten else None
    yield event(
        {"retrieved": [r.model_dump() for r in retrieval.retrieved], "question": question},
        "retrieval",
    )
    try:
        answer = await stopping.within_grace(run_blocking(timeout, answerer.complete, retrieval))
    except Exception as exc:  # the status line is gone; the error travels as an event
        yield event(problem_for(exc), "error")
        return
    if answer is None:  # the server is stopping: end with a final event, not a cut
        yield event(STOPPED, "error")
        return
    record_answer(metrics, answer)
    for piece in pieces(answer.answer):
        yield event({"text": piece}, "delta")
    yield event(answer.model_dump(mode="json"), "answer")
