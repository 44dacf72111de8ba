from fastapi import APIRouter
from pydantic import BaseModel, Field

from service.answer.models import Answer
from service.api.deps import AnswererDep

router = APIRouter(prefix="/v1", tags=["ask"])


class AskRequest(BaseModel):
    question: str = Field(
        min_length=1, max_length=2000, examples=["What did Witkoff say about Putin?"]
    )
    top_k: int = Field(5, ge=1, le=50)


@router.post("/ask", response_model=Answer, summary="Answer a question with verbatim citations")
def ask(request: AskRequest, answerer: AnswererDep) -> Answer:
    return answerer.answer(request.question.strip(), top_k=request.top_k)
