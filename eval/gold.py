"""Gold Q&A items (JSONL, one item a line) in the format of INTERFACES.md."""

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, model_validator

from service.errors import InputError


class Turn(BaseModel):
    role: str
    content: str


class GoldItem(BaseModel):
    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    answer: str = ""
    must_include: list[list[str]] = []
    must_not_include: list[str] = []
    sources: list[str] = []
    answerable: bool = True
    type: str = "general"
    critical: bool = False
    history: list[Turn] = Field(default_factory=list, description="Earlier turns, for follow-ups.")

    @model_validator(mode="after")
    def _gradable(self) -> "GoldItem":
        if self.answerable and not (self.sources and self.must_include):
            raise ValueError("an answerable item needs `sources` and `must_include` facts")
        if any(not group for group in self.must_include):
            raise ValueError("a `must_include` group is empty")
        return self


def load_gold(path: Path) -> list[GoldItem]:
    items: list[GoldItem] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read gold set {path}: {getattr(exc, 'strerror', exc)}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            items.append(GoldItem.model_validate(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: not JSON: {exc.msg}") from None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "item"
            message = first["msg"].removeprefix("Value error, ")
            raise InputError(f"{path}:{number}: not a gold item: {where}: {message}") from None
    ids = [item.id for item in items]
    if len(ids) != len(set(ids)):
        raise InputError(f"{path}: duplicate item ids")
    return items


def load_gold_sets(paths: list[Path]) -> tuple[list[GoldItem], list[dict[str, Any]]]:
    """The items of several gold files (ids unique across them) and what each file was."""
    items: list[GoldItem] = []
    files = []
    for path in paths:
        loaded = load_gold(path)
        if not loaded:
            raise InputError(f"gold set {path} has no items")
        seen = {item.id for item in items}
        clash = sorted(item.id for item in loaded if item.id in seen)
        if clash:
            raise InputError(f"{path}: item ids already used in an earlier gold file: {clash[:5]}")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        files.append({"path": str(path), "items": len(loaded), "sha256": digest})
        items += loaded
    return items, files
