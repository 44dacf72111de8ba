"""Loaders: turn a file into raw documents (id, text, metadata), or say clearly why not."""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from service.errors import InputError, PayloadTooLarge
from vectorstore.store import check_doc_id

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl")


@dataclass(frozen=True)
class RawDocument:
    id: str
    text: str
    title: str | None = None
    published_at: str | None = None
    source: str | None = None
    url: str | None = None
    is_markdown: bool = False


def expand_paths(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files to ingest (folders walked, supported suffixes only, sorted) and paths in error."""
    files: list[Path] = []
    errors: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
            )
            if not found:
                errors.append((path, "folder holds no .txt, .md, .html, .json or .jsonl files"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        elif path.exists():
            errors.append((path, "not a regular file"))
        else:
            errors.append((path, "no such file or folder"))
    return list(dict.fromkeys(files)), errors


def read_text(data: bytes, max_bytes: int) -> str:
    """Decode a file's bytes, refusing binary, oversized, non-UTF-8 and empty content."""
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"file is {len(data):,} bytes, over the {max_bytes:,}-byte limit")
    if b"\x00" in data:
        raise InputError("binary file (contains NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise InputError("empty file")
    return text


def load_file(path: Path, max_bytes: int) -> list[RawDocument]:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(
            f"unsupported file type {suffix or '(none)'!r}; use {', '.join(SUPPORTED_SUFFIXES)}"
        )
    try:
        size = path.stat().st_size
        if size > max_bytes:  # refused before it is read: a huge file costs no memory
            raise PayloadTooLarge(f"file is {size:,} bytes, over the {max_bytes:,}-byte limit")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}") from None
    return load_bytes(data, path.name, max_bytes)


def load_bytes(data: bytes, filename: str, max_bytes: int) -> list[RawDocument]:
    """Parse file content by its name's suffix; the stem is the id where the file names none."""
    suffix = Path(filename).suffix.lower()
    stem = Path(filename).stem
    text = read_text(data, max_bytes)
    if suffix == ".txt":
        return [RawDocument(id=check_doc_id(stem), text=text, source=filename)]
    if suffix in (".md", ".markdown"):
        return [RawDocument(id=check_doc_id(stem), text=text, source=filename, is_markdown=True)]
    if suffix in (".html", ".htm"):
        return [_from_html(text, stem, filename)]
    if suffix == ".json":
        return _from_json(text, stem, filename)
    if suffix == ".jsonl":
        return _from_jsonl(text, stem, filename)
    raise InputError(f"unsupported file type {suffix or '(none)'!r}")


def _from_html(html: str, stem: str, filename: str) -> RawDocument:
    import trafilatura  # heavy; only needed for HTML

    extracted = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=False
    )
    body = getattr(extracted, "text", None) if extracted is not None else None
    if not body or not body.strip():
        raise InputError("no article text found in the HTML")
    return RawDocument(
        id=check_doc_id(stem),
        text=body,
        title=getattr(extracted, "title", None) or None,
        published_at=normalise_date(getattr(extracted, "date", None)),
        source=getattr(extracted, "sitename", None) or filename,
        url=getattr(extracted, "url", None) or None,
    )


def _parse_json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON{where}: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:  # the parser recurses once a nesting level
        raise InputError(f"invalid JSON{where}: nested too deeply") from None


def _from_json(text: str, stem: str, filename: str) -> list[RawDocument]:
    value = _parse_json(text, "")
    if isinstance(value, dict):
        return [record_to_document(value, default_id=stem, default_source=filename)]
    if isinstance(value, list):
        return [
            record_to_document(
                item, default_id=f"{stem}-{i}", default_source=filename, where=f"item {i}"
            )
            for i, item in enumerate(value)
        ]
    raise InputError("JSON must be an object or a list of objects")


def _from_jsonl(text: str, stem: str, filename: str) -> list[RawDocument]:
    documents = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        value = _parse_json(line, f" on line {number}")
        documents.append(
            record_to_document(
                value,
                default_id=f"{stem}-{number}",
                default_source=filename,
                where=f"line {number}",
            )
        )
    return documents


def record_to_document(
    value: Any, default_id: str | None, default_source: str | None = None, where: str = "record"
) -> RawDocument:
    """A `{id, title, text, published_at, source, url}` object as a RawDocument."""
    if not isinstance(value, dict):
        raise InputError(f"{where}: expected an object with a 'text' field")
    text = value.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{where}: 'text' must be a non-empty string")
    for key in ("id", "title", "published_at", "source", "url"):
        if value.get(key) is not None and not isinstance(value[key], str):
            raise InputError(f"{where}: {key!r} must be a string")
    doc_id = value.get("id") or default_id
    if not doc_id:
        raise InputError(f"{where}: an 'id' is required")
    return RawDocument(
        id=check_doc_id(doc_id),
        text=text,
        title=(value.get("title") or "").strip() or None,
        published_at=normalise_date(value.get("published_at"), strict=True),
        source=value.get("source") or default_source,
        url=value.get("url") or None,
    )


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def normalise_date(value: str | None, strict: bool = False) -> str | None:
    """An ISO 8601 date or datetime, as given; invalid dates are an error when strict."""
    if not value:
        return None
    candidate = value.strip()
    try:
        parsed = datetime.fromisoformat(candidate.replace("Z", "+00:00"))
    except ValueError:
        if strict:
            raise InputError(f"'published_at' is not an ISO 8601 date: {value!r}") from None
        return None
    return parsed.date().isoformat() if _DATE_ONLY.match(candidate) else parsed.isoformat()
