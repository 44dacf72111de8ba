"""Ingestion: load → clean → hash → (skip | chunk → embed → store)."""

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from service.errors import InputError
from service.ingest.chunk import TokenChunker
from service.ingest.clean import clean_article
from service.ingest.loaders import RawDocument, expand_paths, load_file
from vectorstore.embeddings import Embedder
from vectorstore.store import ArticleStore, StoredChunk, StoredDocument, chunk_id


class Outcome(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass(frozen=True)
class ItemResult:
    source: str
    outcome: Outcome
    doc_id: str | None = None
    chunks: int = 0
    error: str | None = None


@dataclass
class IngestReport:
    results: list[ItemResult] = field(default_factory=list)
    chunks_embedded: int = 0
    seconds: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        tally = Counter(result.outcome for result in self.results)
        return {outcome.value: tally.get(outcome, 0) for outcome in Outcome}

    @property
    def failed(self) -> list[ItemResult]:
        return [result for result in self.results if result.outcome is Outcome.FAILED]

    def summary(self) -> str:
        counts = self.counts
        return (
            f"added {counts['added']}, updated {counts['updated']}, "
            f"unchanged {counts['unchanged']}, failed {counts['failed']} "
            f"({self.chunks_embedded} chunks embedded in {self.seconds:.1f}s)"
        )


ProgressCallback = Callable[[ItemResult], None]


class Ingestor:
    def __init__(
        self,
        store: ArticleStore,
        embedder: Embedder,
        chunker: TokenChunker,
        max_file_bytes: int = 10_000_000,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.max_file_bytes = max_file_bytes
        # Part of every content hash: changing how text is chunked or embedded re-ingests.
        self.fingerprint = f"{chunker.fingerprint}/{embedder.name}/contextual-v1"

    def content_hash(self, document: StoredDocument) -> str:
        payload = [self.fingerprint, document.title, document.text, document.published_at,
                   document.source, document.url]  # fmt: skip
        return hashlib.sha256(json.dumps(payload).encode("utf-8")).hexdigest()

    def prepare(self, raw: RawDocument) -> StoredDocument:
        cleaned = clean_article(raw.text, title=raw.title, markdown=raw.is_markdown)
        if not cleaned.text:
            raise InputError("no article text left after cleaning")
        draft = StoredDocument(
            id=raw.id,
            text=cleaned.text,
            content_hash="",
            title=cleaned.title,
            published_at=raw.published_at,
            source=raw.source,
            url=raw.url,
        )
        return StoredDocument(**{**draft.__dict__, "content_hash": self.content_hash(draft)})

    def ingest_document(self, raw: RawDocument, source: str, report: IngestReport) -> ItemResult:
        document = self.prepare(raw)
        previous = self.store.content_hash(document.id)
        if previous == document.content_hash:
            return ItemResult(source, Outcome.UNCHANGED, document.id)

        pieces = self.chunker.chunk(document.text)
        chunks = [
            StoredChunk(
                id=chunk_id(document.id, document.content_hash, piece.index),
                doc_id=document.id,
                index=piece.index,
                text=document.text[piece.start : piece.end],
                start=piece.start,
                end=piece.end,
                content_hash=document.content_hash,
                extra={
                    "title": document.title,
                    "published_at": document.published_at,
                    "source": document.source,
                    "tokens": piece.tokens,
                },  # fmt: skip
            )
            for piece in pieces
        ]
        # The headline goes with every chunk into the embedding, so a chunk that never names
        # its subject is still found by it; the stored text stays verbatim.
        header = f"{document.title}\n\n" if document.title else ""
        vectors = self.embedder.embed([header + chunk.text for chunk in chunks])
        report.chunks_embedded += len(chunks)
        stamped = StoredDocument(
            **{
                **document.__dict__,
                "n_chunks": len(chunks),
                "ingested_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }  # fmt: skip
        )
        self.store.write_document(stamped, chunks, vectors)
        outcome = Outcome.ADDED if previous is None else Outcome.UPDATED
        return ItemResult(source, outcome, document.id, len(chunks))

    def ingest_raw(self, raws: Iterable[RawDocument], source: str = "api") -> IngestReport:
        report = IngestReport()
        started = time.perf_counter()
        for raw in raws:
            report.results.append(self.ingest_document(raw, source, report))
        report.seconds = time.perf_counter() - started
        return report

    def ingest_paths(
        self,
        paths: Iterable[Path],
        on_result: ProgressCallback | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> IngestReport:
        """Ingest files and folders; a bad file is reported and skipped, the rest go on."""
        report = IngestReport()
        started = time.perf_counter()
        files, path_errors = expand_paths(paths)
        if on_progress:
            on_progress(0, len(files))

        def record(result: ItemResult) -> None:
            report.results.append(result)
            if on_result:
                on_result(result)

        for path, message in path_errors:
            record(ItemResult(str(path), Outcome.FAILED, error=message))
        for done, path in enumerate(files, start=1):
            try:
                raws = load_file(path, self.max_file_bytes)
            except InputError as exc:
                raws = []
                record(ItemResult(str(path), Outcome.FAILED, error=exc.message))
            for raw in raws:
                try:
                    record(self.ingest_document(raw, str(path), report))
                except InputError as exc:
                    record(ItemResult(str(path), Outcome.FAILED, raw.id, error=exc.message))
            if on_progress:
                on_progress(done, len(files))
        report.seconds = time.perf_counter() - started
        return report
