from fastapi import APIRouter

from service.api.deps import StoreDep
from service.api.problems import problem

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz", summary="The store is reachable", responses={503: {"description": "Store down"}}
)
def readyz(store: StoreDep) -> object:
    try:
        store.heartbeat()
        documents = store.count_documents()
    except Exception as exc:  # any store failure means not ready
        return problem(503, f"store unreachable: {exc}", "Store unavailable")
    return {"status": "ready", "documents": documents}
