"""The summary object shared by the CLI (`summarize --json`) and `POST /v1/summarize`."""

import re
from typing import Literal

from pydantic import BaseModel, Field

from service.answer.models import Citation

_MARKER = re.compile(r"\[\d+\]")


def count_words(text: str) -> int:
    """Words as `wc -w` counts them in the text with its `[n]` markers removed: whitespace-
    separated tokens, a lone dash included, and so the comma a marker leaves in "[4], while"."""
    return len(_MARKER.sub(" ", text).split())


class Summary(BaseModel):
    summary: str = Field(description="The summary, with inline `[n]` citation markers.")
    citations: list[Citation] = Field(
        description="What each `[n]` cites; every quote equals the document's text[start:end]."
    )
    sources: list[str] = Field(
        description="Ids of the documents the summary draws on, in order of first citation."
    )
    disagreements: list[str] = Field(
        [],
        description="Plain statements of where sources disagree, each also in `summary` "
        "(topic summaries only).",
    )
    scope: Literal["document", "topic"]
    doc_id: str | None = None
    topic: str | None = None
    max_words: int
    words: int = Field(
        description="Words in `summary`, markers not counted (see `count_words`); never more "
        "than `max_words`."
    )
    mode: str = Field(description="extractive, llm, or extractive_fallback (as in answers).")
    cached: bool = Field(False, description="Served from the summary cache.")
    timings_ms: dict[str, float] = {}
