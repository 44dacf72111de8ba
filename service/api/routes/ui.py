"""The chat web page: one HTML shell and its static files, open without a key (the page asks
for one when the API needs it). Not part of the OpenAPI document."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

UI_DIR = Path(__file__).resolve().parents[2] / "ui"

router = APIRouter(include_in_schema=False)

# Article and model text is only ever inserted as text; the policy makes any slip inert too.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


@router.get("/")
async def index() -> FileResponse:
    return FileResponse(UI_DIR / "index.html", media_type="text/html")
