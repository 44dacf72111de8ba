"""The answer object shared by the CLI (`ask --json`) and `POST /v1/ask`."""

from pydantic import BaseModel, Field

from service.labels import LABEL_WORDS

LABEL_DESCRIPTION = (
    f"How to name the document: its title, or when it has none the first words of its text, "
    f"else its source; at most {LABEL_WORDS} words, “…” marking a cut."
)
TITLE_DESCRIPTION = "The document's headline; null when it has none (see `label`)."


class Citation(BaseModel):
    n: int = Field(description="Marker number: `[n]` in the answer refers to this citation.")
    doc_id: str
    title: str | None = Field(None, description=TITLE_DESCRIPTION)
    label: str = Field(description=LABEL_DESCRIPTION)
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
