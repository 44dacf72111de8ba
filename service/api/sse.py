"""Server-sent events: framing, and the answer text cut into word-sized deltas."""

import json
import re
from typing import Any

from fastapi import Request

EVENT_STREAM = "text/event-stream"
# Proxies must not buffer or cache a stream.
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def event_schema(events: list[str] | None = None) -> dict[str, Any]:
    """OpenAPI 3.1: the schema of a text/event-stream describes one event."""
    name: dict[str, Any] = {"type": "string"}
    if events:
        name["enum"] = events
    return {
        "type": "object",
        "properties": {
            "event": name,
            "data": {
                "type": "string",
                "description": "JSON, or [DONE] at the end of a chat stream",
            },
        },
        "required": ["data"],
    }


def event(data: Any, name: str | None = None) -> str:
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    lines = [f"event: {name}"] if name else []
    lines += [f"data: {line}" for line in payload.split("\n")]
    return "\n".join(lines) + "\n\n"


def wants_stream(request: Request, asked: bool) -> bool:
    return asked or EVENT_STREAM in request.headers.get("accept", "")


def pieces(text: str) -> list[str]:
    """Words with their trailing space, so the deltas join back to exactly `text`."""
    head = text[: len(text) - len(text.lstrip())]
    words = re.findall(r"\S+\s*", text)
    return [head + words[0], *words[1:]] if words and head else words
