"""Every request gets an id (X-Request-ID), is counted and timed in the app's metrics, and
leaves one access log line. The line names the route template, never the raw path, and holds no
header, query or body content: no key, question or article text reaches the log."""

import logging
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.routing import Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.answer.models import Answer
from service.api.context import (
    REQUEST_ID_HEADER,
    REQUEST_ID_PATTERN,
    RequestInfo,
    enter,
    leave,
    note_mode,
    request_id_for,
)
from service.metrics import Metrics

log = logging.getLogger("newsqa.access")

# Any other method string a client sends is one label, so it cannot grow the metrics.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"
CLIENT_GONE = 499  # no response was sent: the client went away first (nginx's convention)

REQUEST_ID_DOC = {
    "description": "The request's id: the caller's X-Request-ID when well-formed, else a new "
    "one; problem bodies carry it as `request_id`.",
    "required": True,
    "schema": {"type": "string", "pattern": f"^{REQUEST_ID_PATTERN.pattern}$"},
}


class RequestObservability:
    """The outermost middleware, so responses made by the others (a 413) get an id too."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        info = RequestInfo(request_id_for(Headers(scope=scope).get(REQUEST_ID_HEADER)))
        # The 500 handler runs outside every middleware; it finds the id in the request state.
        scope.setdefault("state", {})["request_id"] = info.request_id
        served_by = starlette_route(scope)  # before routing rewrites the scope of a mount
        status = CLIENT_GONE
        id_header = (REQUEST_ID_HEADER.lower().encode(), info.request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), id_header]
            await send(message)

        token = enter(info)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if status == CLIENT_GONE:
                status = 500  # what Starlette's error handler answers
            raise
        finally:
            method = scope["method"] if scope["method"] in METHODS else "other"
            route = str(getattr(scope.get("route"), "path", None) or served_by or UNMATCHED)
            seconds = time.perf_counter() - started
            self.metrics.request(method, route, status, seconds)
            log.info(
                "%s %s %d %.1f ms request_id=%s%s", method, route, status, seconds * 1000,
                info.request_id, f" mode={info.mode}" if info.mode else "",
                extra={"request_id": info.request_id, "method": method, "route": route,
                       "status": status, "duration_ms": round(seconds * 1000, 2),
                       "mode": info.mode},
            )  # fmt: skip
            leave(token)


def starlette_route(scope: Scope) -> str | None:
    """The path of a plain Starlette route or mount (the UI's static files) for this request.
    The routing names a FastAPI route in `scope["route"]`, its path a template such as
    "/v1/documents/{doc_id}"; a request answered before routing (a 413) or matching nothing
    is counted as UNMATCHED."""
    for route in scope["app"].router.routes:
        if isinstance(route, Route | Mount) and route.matches(scope)[0] is not Match.NONE:
            return route.path
    return None


def record_answer(metrics: Metrics, answer: Answer) -> Answer:
    """Count an answer, and name its mode in the access log line."""
    metrics.answered(answer)
    note_mode(answer.mode)
    return answer


def document_request_ids(app: FastAPI) -> None:
    """Every response in the OpenAPI document declares its X-Request-ID header."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            for operations in build()["paths"].values():
                for operation in operations.values():
                    for response in operation.get("responses", {}).values():
                        response.setdefault("headers", {})[REQUEST_ID_HEADER] = REQUEST_ID_DOC
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
