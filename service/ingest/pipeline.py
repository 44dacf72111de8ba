"""Ingestion: load → clean → hash → (skip | chunk → embed → store)."""

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from service.errors import InputError
from service.ingest.chunk import TokenChunker
from service.ingest.clean import clean_article
from service.ingest.loaders import RawDocument, expand_paths, load_file
from service.ingest.report import IngestReport, ItemResult, Outcome, ProgressCallback
from service.ingest.vectors import embed_documents
from service.labels import document_label
from vectorstore.embeddings import Embedder
from vectorstore.store import (
    ArticleStore,
    DocumentWrite,
    StoredChunk,
    StoredDocument,
    check_doc_id,
    chunk_id,
)

# The sentence vectors (text → unit vector) some stored documents had, read where they are kept.
StoredVectors = Callable[[list[StoredDocument]], Mapping[str, np.ndarray]]


# Documents are embedded and stored in groups of about this many chunks: Chroma's cost is
# mostly per call, so 2 calls per group instead of 2 per document.
WRITE_BATCH_CHUNKS = 64


@dataclass(frozen=True)
class StagedDocument:
    """A new or changed document, chunked and waiting to be embedded and stored."""

    document: StoredDocument
    chunks: list[StoredChunk]
    source: str
    outcome: Outcome


# Stored hashes are looked up for this many documents in one read, not one read a document.
LOOKUP_BATCH_DOCUMENTS = 64


def _lookup_windows(
    items: Iterable[tuple[RawDocument, str]],
) -> Iterator[list[tuple[RawDocument, str]]]:
    """Consecutive items in groups of distinct ids: one hash lookup serves a whole group, as
    no document in it can change another's stored hash."""
    window: list[tuple[RawDocument, str]] = []
    for raw, source in items:
        if len(window) >= LOOKUP_BATCH_DOCUMENTS or any(raw.id == r.id for r, _ in window):
            yield window
            window = []
        window.append((raw, source))
    if window:
        yield window


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
        self.fingerprint = f"{chunker.fingerprint}/{embedder.name}/sentences-v1"

    def content_hash(self, document: StoredDocument) -> str:
        payload = [self.fingerprint, document.title, document.text, document.published_at,
                   document.source, document.url]  # fmt: skip
        return hashlib.sha256(json.dumps(payload).encode("utf-8")).hexdigest()

    def prepare(self, raw: RawDocument) -> StoredDocument:
        check_doc_id(raw.id)  # every way in (files, JSON, uploads) meets the same rule
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
            label=document_label(cleaned.title, cleaned.text, raw.source, raw.id),
        )
        return StoredDocument(**{**draft.__dict__, "content_hash": self.content_hash(draft)})

    def stage(
        self, document: StoredDocument, source: str, previous: str | None
    ) -> ItemResult | StagedDocument:
        """Chunk a prepared document whose stored hash is `previous`; an unchanged one is done
        here, unembedded."""
        if previous == document.content_hash:
            return ItemResult(source, Outcome.UNCHANGED, document.id, label=document.label)
        outcome = Outcome.ADDED if previous is None else Outcome.UPDATED
        return self._staged(document, source, outcome)

    def _staged(self, document: StoredDocument, source: str, outcome: Outcome) -> StagedDocument:
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
        return StagedDocument(document, chunks, source, outcome)

    def restore(
        self,
        documents: list[StoredDocument],
        on_progress: Callable[[int, int], None],
        stored_vectors: StoredVectors | None = None,
    ) -> IngestReport:
        """Chunk and embed stored documents again as they are (text, metadata, hash): how a
        damaged store is rebuilt from its document records. `stored_vectors` gives the sentence
        vectors a batch of them had, so only what they lack is embedded."""
        report = IngestReport()
        started = time.perf_counter()
        pending: list[StagedDocument] = []

        def write_pending() -> None:
            known = stored_vectors([item.document for item in pending]) if stored_vectors else {}
            report.results += self.write(pending, report, known)
            pending.clear()

        for done, document in enumerate(documents, start=1):
            pending.append(self._staged(document, "restore", Outcome.ADDED))
            if sum(len(item.chunks) for item in pending) >= WRITE_BATCH_CHUNKS:
                write_pending()
                on_progress(done, len(documents))
        write_pending()
        on_progress(len(documents), len(documents))
        report.seconds = time.perf_counter() - started
        return report

    def write(
        self,
        staged: list[StagedDocument],
        report: IngestReport,
        known: Mapping[str, np.ndarray] | None = None,
    ) -> list[ItemResult]:
        """Embed and store staged documents together: one embedding pass and one Chroma
        upsert per collection for the lot, instead of two round trips per document. A sentence
        in `known` (text → vector) is not embedded again."""
        if not staged:
            return []
        embedded = embed_documents(self.embedder, [(i.document, i.chunks) for i in staged], known)
        report.chunks_embedded += sum(len(item.chunks) for item in staged)
        report.sentences_embedded += sum(done.sentences for done in embedded)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        writes: list[DocumentWrite] = []
        for item, done in zip(staged, embedded, strict=True):
            stamped = StoredDocument(
                **{
                    **item.document.__dict__,
                    "n_chunks": len(item.chunks),
                    "ingested_at": item.document.ingested_at or now,  # a restore keeps its own
                }
            )
            writes.append(DocumentWrite(stamped, done.chunks, done.vectors))
        self.store.write_documents(writes)
        return [
            ItemResult(i.source, i.outcome, i.document.id, len(i.chunks), label=i.document.label)
            for i in staged
        ]

    def _ingest(
        self,
        items: Iterable[tuple[RawDocument, str]],
        record: Callable[[ItemResult], None],
        report: IngestReport,
        skip_bad: bool,
    ) -> None:
        pending: list[StagedDocument] = []

        def flush() -> None:
            for result in self.write(pending, report):
                record(result)
            pending.clear()

        for window in _lookup_windows(items):
            prepared: list[tuple[str, StoredDocument]] = []
            for raw, source in window:
                try:
                    prepared.append((source, self.prepare(raw)))
                except InputError as exc:
                    if not skip_bad:
                        raise
                    record(ItemResult(source, Outcome.FAILED, raw.id, error=exc.message))
            ids = [document.id for _, document in prepared]
            if any(item.document.id in ids for item in pending):
                # One upsert cannot hold an id twice, and the hash to compare is the one written.
                flush()
            stored = self.store.content_hashes(ids)
            for source, document in prepared:
                staged = self.stage(document, source, stored.get(document.id))
                if isinstance(staged, ItemResult):
                    record(staged)
                    continue
                pending.append(staged)
                if sum(len(item.chunks) for item in pending) >= WRITE_BATCH_CHUNKS:
                    flush()
        flush()

    def ingest_raw(self, raws: Iterable[RawDocument], source: str = "api") -> IngestReport:
        report = IngestReport()
        started = time.perf_counter()
        self._ingest(((raw, source) for raw in raws), report.results.append, report, False)
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

        def documents() -> Iterator[tuple[RawDocument, str]]:
            for done, path in enumerate(files, start=1):
                try:
                    raws = load_file(path, self.max_file_bytes)
                except InputError as exc:
                    raws = []
                    record(ItemResult(str(path), Outcome.FAILED, error=exc.message))
                for raw in raws:
                    yield raw, str(path)
                if on_progress:
                    on_progress(done, len(files))

        self._ingest(documents(), record, report, True)
        report.seconds = time.perf_counter() - started
        return report
