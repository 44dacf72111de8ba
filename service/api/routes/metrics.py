"""GET /metrics: the app's Prometheus metrics, behind the same key and rate limit as /v1.
Not part of the OpenAPI document: it is for a scraper, not an API client."""

from fastapi import APIRouter, Request, Response

from service.api.deps import MetricsDep, SettingsDep
from service.api.limits import run_blocking

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics(request: Request, metrics: MetricsDep, settings: SettingsDep) -> Response:
    # The store's counts are read during the scrape: off the event loop, within the timeout.
    body, content_type = await run_blocking(
        settings.request_timeout_seconds, metrics.exposition, request.headers.get("accept", "")
    )
    return Response(body, media_type=content_type)
