"""Builds the FastAPI app; collaborators are created in the lifespan, not at import."""

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from service.api.headers import SecurityHeaders
from service.api.limits import BodySizeLimit
from service.api.problems import install_problem_handlers
from service.api.routes import ask, chat, documents, health, models, summarize, ui
from service.api.security import RateLimiter, guard
from service.config import Settings, load_settings
from service.services import Services, build_services

DESCRIPTION = """Answers questions about news articles with citations a reader can check:
every quote equals the source text at its offsets, unsupported claims never reach the answer,
and questions the articles do not cover are declined.

When `NEWSQA_API_KEYS` is set, every `/v1` route needs `Authorization: Bearer KEY`.
Errors are `application/problem+json` (RFC 9457)."""


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """`services` lets a caller that already built them (the CLI, tests) hand them over."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nonlocal services
        services = services or build_services(settings or load_settings())
        app.state.services = services
        app.state.rate_limiter = RateLimiter(services.settings.rate_limit_per_minute)
        app.state.write_lock = threading.Lock()  # one ingest or delete at a time per process
        try:
            yield
        finally:
            services.close()

    app = FastAPI(
        title="newsqa",
        version="0.1.0",
        summary="Answers questions about news articles with verbatim, checkable citations.",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=_max_body_bytes)
    app.add_middleware(SecurityHeaders, policy=ui.CONTENT_SECURITY_POLICY)
    app.include_router(health.router)
    app.include_router(ui.router)
    app.mount("/static", StaticFiles(directory=ui.UI_DIR), name="static")
    for router in (ask.router, summarize.router, documents.router, chat.router, models.router):
        app.include_router(router, dependencies=[Depends(guard)])
    return app


def _max_body_bytes(scope: Scope) -> int:
    services: Services | None = getattr(scope["app"].state, "services", None)
    return (
        services.settings.max_body_bytes
        if services
        else Settings.model_fields["max_body_bytes"].default
    )
