"""The summary object shared by the CLI (`summarize --json`) and `POST /v1/summarize`."""

import re
from typing import Literal

from pydantic import BaseModel, Field

from service.answer.models import Citation

_MARKER = re.compile(r"\[\d+\][.,;:!?]*")


def count_words(text: str) -> int:
    """Words as `wc -w` counts them (whitespace-separated tokens, a lone dash included), the
    `[n]` markers left out."""
    return sum(1 for token in text.split() if not _MARKER.fullmatch(token))


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
