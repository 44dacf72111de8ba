from datetime import date
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from service.answer.models import Answer
from service.api.deps import AnswererDep
from service.retrieval.hybrid import Filters

router = APIRouter(prefix="/v1", tags=["ask"])


class Turn(BaseModel):
    role: Literal["user", "assistant", "system"]
    content: str = Field(max_length=8000)


class AskFilters(BaseModel):
    doc_ids: list[str] | None = Field(None, max_length=1000, description="Only these documents.")
    published_from: date | None = Field(None, description="Published on or after this date.")
    published_to: date | None = Field(None, description="Published on or before this date.")

    def to_filters(self) -> Filters:
        return Filters(
            doc_ids=frozenset(self.doc_ids) if self.doc_ids is not None else None,
            published_from=self.published_from.isoformat() if self.published_from else None,
            published_to=self.published_to.isoformat() if self.published_to else None,
        )


class AskRequest(BaseModel):
    question: str = Field(
        min_length=1, max_length=2000, examples=["What did Witkoff say about Putin?"]
    )
    top_k: int = Field(6, ge=1, le=50, description="Passages to retrieve.")
    history: list[Turn] = Field(default_factory=list, max_length=50)
    filters: AskFilters = AskFilters()


@router.post("/ask", response_model=Answer, summary="Answer a question with verbatim citations")
def ask(request: AskRequest, answerer: AnswererDep) -> Answer:
    return answerer.answer(
        request.question,
        top_k=request.top_k,
        history=[(turn.role, turn.content) for turn in request.history],
        filters=request.filters.to_filters(),
    )
