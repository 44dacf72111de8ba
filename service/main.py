"""Builds the FastAPI app; collaborators are created in the lifespan, not at import."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from service.api.problems import install_problem_handlers
from service.api.routes import ask, health
from service.config import Settings, load_settings
from service.services import Services, build_services


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """`services` lets a caller that already built them (the CLI, tests) hand them over."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nonlocal services
        services = services or build_services(settings or load_settings())
        app.state.services = services
        try:
            yield
        finally:
            services.close()

    app = FastAPI(
        title="newsqa",
        version="0.1.0",
        summary="Answers questions about news articles with verbatim, checkable citations.",
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(ask.router)
    return app
