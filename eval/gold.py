"""Gold Q&A items (JSONL, one item a line) in the format of INTERFACES.md."""

import json
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from service.errors import InputError


class Turn(BaseModel):
    role: str
    content: str


class GoldItem(BaseModel):
    id: str
    question: str
    answer: str = ""
    must_include: list[list[str]] = []
    must_not_include: list[str] = []
    sources: list[str] = []
    answerable: bool = True
    type: str = "general"
    critical: bool = False
    history: list[Turn] = Field(default_factory=list, description="Earlier turns, for follow-ups.")


def load_gold(path: Path) -> list[GoldItem]:
    items: list[GoldItem] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read gold set {path}: {exc.strerror or exc}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            items.append(GoldItem.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise InputError(f"{path}:{number}: not a gold item: {exc}") from None
    ids = [item.id for item in items]
    if len(ids) != len(set(ids)):
        raise InputError(f"{path}: duplicate item ids")
    return items
