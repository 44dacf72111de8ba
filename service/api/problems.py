"""Every error leaves the API as application/problem+json (RFC 9457), never as a stack trace."""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from service.api.context import REQUEST_ID_HEADER, current_request_id, request_id_for
from service.errors import (
    ConfigError,
    DocumentNotFound,
    InputError,
    LLMUnavailable,
    ModelNotFound,
    NewsqaError,
    OperationTimeout,
    PayloadTooLarge,
    StoreLockedError,
    StoreUnavailable,
)

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

STATUS_BY_ERROR: dict[type[NewsqaError], int] = {
    InputError: 422,
    PayloadTooLarge: 413,
    DocumentNotFound: 404,
    ModelNotFound: 404,
    StoreLockedError: 409,
    StoreUnavailable: 503,
    LLMUnavailable: 504,
    OperationTimeout: 504,
    ConfigError: 500,
}


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    request_id: str = Field(
        description="This request's id, as in the X-Request-ID response header and the log."
    )


def problem_body(
    status: int, detail: str, title: str | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    request_id = current_request_id()
    if request_id is not None:
        body["request_id"] = request_id
    return {**body, **extra}


def problem(status: int, detail: str, title: str | None = None, **extra: Any) -> JSONResponse:
    body = problem_body(status, detail, title, **extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def status_of(exc: NewsqaError) -> int:
    # The most specific class decides: PayloadTooLarge is an InputError, but 413.
    return next(
        (STATUS_BY_ERROR[kind] for kind in type(exc).__mro__ if kind in STATUS_BY_ERROR), 500
    )


def problem_for(exc: Exception) -> dict[str, Any]:
    """The problem body for any exception, for errors raised after a stream has begun."""
    if isinstance(exc, NewsqaError):
        return problem_body(status_of(exc), exc.message, exc.title)
    log.exception("unhandled error", exc_info=exc)
    return problem_body(500, "internal error; see the server log")


def _response(status: int, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": Problem.model_json_schema()}},
    }


# Documented on every /v1 route, so clients and schema checkers know what can come back.
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _response(400, "The body could not be parsed"),
    401: _response(401, "Missing or wrong API key (when NEWSQA_API_KEYS is set)"),
    413: _response(413, "Request body over the size cap"),
    422: _response(422, "Invalid request"),
    429: _response(429, "Rate limit reached; see Retry-After"),
    503: _response(503, "Store unreachable"),
    504: _response(504, "The store or the LLM did not answer in time"),
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: _response(status, HTTPStatus(status).phrase) for status in statuses}


def allowed_methods(request: Request) -> set[str]:
    """Every method any route serves at this path (Starlette names only one route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return methods


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(NewsqaError)
    async def domain_error(_: Request, exc: NewsqaError) -> JSONResponse:
        return problem(status_of(exc), exc.message, exc.title)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(part) for part in error["loc"]], "msg": error["msg"]}
            for error in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        detail = f"{'.'.join(first['loc'])}: {first['msg']}"
        return problem(422, detail, "Invalid request", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = problem(exc.status_code, str(exc.detail))
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(sorted(allowed_methods(request)))
        return response

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        # Starlette runs this outside every middleware: the id is in the request's state.
        request_id = request_id_for(getattr(request.state, "request_id", None))
        log.exception("unhandled error", exc_info=exc, extra={"request_id": request_id})
        response = problem(500, "internal error; see the server log", request_id=request_id)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response
