"""The answer object shared by the CLI (`ask --json`) and `POST /v1/ask`."""

from pydantic import BaseModel, Field


class Citation(BaseModel):
    n: int = Field(description="Marker number: `[n]` in the answer refers to this citation.")
    doc_id: str
    title: str | None = None
    quote: str = Field(description="Verbatim source text: equals the document's text[start:end].")
    start: int
    end: int


class RetrievedChunk(BaseModel):
    doc_id: str
    chunk_id: str
    score: float


class Answer(BaseModel):
    answer: str
    abstained: bool
    citations: list[Citation] = []
    retrieved: list[RetrievedChunk] = []
    mode: str = Field(
        description="Which generator answered: extractive, llm, or extractive_fallback."
    )
    timings_ms: dict[str, float] = {}
    question: str | None = Field(
        None, description="The standalone question answered, when a follow-up was rewritten."
    )
