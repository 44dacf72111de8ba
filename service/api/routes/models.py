"""GET /v1/models: the one model an OpenAI client can pick here."""

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from service.api.problems import COMMON_RESPONSES, problem_responses
from service.errors import ModelNotFound

router = APIRouter(prefix="/v1/models", tags=["chat"], responses=COMMON_RESPONSES)

MODEL_ID = "newsqa"
MODEL_CREATED = 1_767_225_600  # 2026-01-01, a fixed date: the model has no release of its own


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = MODEL_CREATED
    owned_by: str = "newsqa"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


def check_model(model: str) -> None:
    if model != MODEL_ID:
        raise ModelNotFound(f"model {model!r} does not exist; this server offers {MODEL_ID!r}")


@router.get("", response_model=ModelList, summary="List models (OpenAI-compatible)")
async def list_models() -> ModelList:
    return ModelList(data=[ModelCard(id=MODEL_ID)])


@router.get(
    "/{model_id}",
    response_model=ModelCard,
    summary="One model (OpenAI-compatible)",
    responses=problem_responses(404),
)
async def get_model(model_id: str) -> ModelCard:
    check_model(model_id)
    return ModelCard(id=model_id)
