"""Builds the FastAPI app; collaborators are created in the lifespan, not at import."""

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from service.api.headers import SecurityHeaders
from service.api.limits import BodySizeLimit
from service.api.observability import RequestObservability, document_request_ids
from service.api.problems import install_problem_handlers
from service.api.routes import ask, chat, documents, health, metrics, models, summarize, ui
from service.api.security import RateLimiter, guard
from service.api.shutdown import Stopping
from service.config import Settings, effective_rate_limit, load_settings
from service.metrics import Metrics
from service.services import Services, build_services

DESCRIPTION = """Answers questions about news articles with citations a reader can check:
every quote equals the source text at its offsets, unsupported claims never reach the answer,
and questions the articles do not cover are declined.

When `NEWSQA_API_KEYS` is set, every `/v1` route needs `Authorization: Bearer KEY`.
Errors are `application/problem+json` (RFC 9457), with the request's `request_id`.
Every response carries `X-Request-ID`: the caller's, when it is 1..128 characters of
`A-Z a-z 0-9 . _ : -`, else a new one."""


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """`services` lets a caller that already built them (the CLI, tests) hand them over."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nonlocal services
        services = services or build_services(settings or load_settings())
        app.state.services = services
        config = services.settings
        limit = effective_rate_limit(
            config.rate_limit_per_minute, config.bind_host, bool(config.api_keys)
        )
        app.state.rate_limiter = RateLimiter(limit)
        app.state.auth_failures = RateLimiter(config.auth_failures_per_minute)
        write_lock = app.state.write_lock = threading.Lock()  # one ingest or delete at a time
        stopping = app.state.stopping = Stopping(config.shutdown_timeout_seconds)
        stopping.watch()
        stop_watching = app_metrics.watch(services.store, services.chat_model)
        try:
            yield
        finally:
            stop_watching()
            stopping.unwatch()
            # A write the shutdown timeout cut off goes on in its worker thread: the writer
            # lock is released only after it, so no other writer opens the store under it.
            await anyio.to_thread.run_sync(write_lock.acquire)
            services.close()

    app = FastAPI(
        title="newsqa",
        version="0.1.0",
        summary="Answers questions about news articles with verbatim, checkable citations.",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app_metrics = app.state.metrics = Metrics()
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=_max_body_bytes)
    app.add_middleware(SecurityHeaders, policy=ui.CONTENT_SECURITY_POLICY)
    app.add_middleware(RequestObservability, metrics=app_metrics)  # last added: outermost
    document_request_ids(app)
    app.include_router(health.router)
    app.include_router(ui.router)
    app.mount("/static", StaticFiles(directory=ui.UI_DIR), name="static")
    for router in (ask.router, summarize.router, documents.router, chat.router, models.router):
        app.include_router(router, dependencies=[Depends(guard)])
    app.include_router(metrics.router, dependencies=[Depends(guard)])  # guarded as /v1 is
    return app


def _max_body_bytes(scope: Scope) -> int:
    services: Services | None = getattr(scope["app"].state, "services", None)
    return (
        services.settings.max_body_bytes
        if services
        else Settings.model_fields["max_body_bytes"].default
    )
