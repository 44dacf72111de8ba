from fastapi import APIRouter

from service.api.deps import ServicesDep
from service.api.problems import problem

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The store is reachable, and the LLM answers when one is configured",
    responses={503: {"description": "Store or LLM down"}},
)
def readyz(services: ServicesDep) -> object:
    try:
        services.store.heartbeat()
        documents = services.store.count_documents()
    except Exception as exc:  # any store failure means not ready
        return problem(503, f"store unreachable: {exc}", "Store unavailable")
    settings = services.settings
    if services.llm_probe is not None:
        down = services.llm_probe.problem()
        if down is not None:
            return problem(503, f"the LLM does not answer yet: {down}", "LLM unavailable")
    # Which generator answers: the chat UI shows it.
    generator = settings.llm_model if settings.llm == "openai" else "extractive"
    return {"status": "ready", "documents": documents, "generator": generator}
