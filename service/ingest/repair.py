"""Rebuild a damaged embedded store from its document records.

A document record holds the whole cleaned text and its metadata, so chunks and vectors can be
made again. Chroma keeps records in SQLite and vectors in HNSW segment files; a crash can leave a
segment file that Chroma cannot load, or that kills the process loading it. The repair never
loads the damaged segments: it moves every store file aside (nothing is deleted), reads the
document records from a copy of the SQLite file alone, and ingests them into a fresh store,
reusing the sentence vectors their chunks held there (int8, as stored) instead of embedding
every sentence again.
Until that is done a marker in the store names the folder set aside, so a rebuild that is itself
cut short is taken up again by the next writer, from the same records.
"""

import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings

from service.config import Settings
from service.errors import StoreUnavailable
from service.ingest.chunk import TokenChunker
from service.ingest.pipeline import Ingestor
from vectorstore.client import make_chroma_client
from vectorstore.embeddings import Embedder
from vectorstore.lock import LOCK_FILE_NAME
from vectorstore.store import ArticleStore, StoredDocument

log = logging.getLogger("newsqa.repair")
_PAGE = 1000
REBUILD_MARKER = ".newsqa-rebuilding"  # holds the path of the folder being rebuilt from


@dataclass(frozen=True)
class RepairReport:
    reason: str
    documents: int
    chunks: int
    kept_at: Path
    seconds: float

    def summary(self) -> str:
        return (
            f"{self.reason}; rebuilt {self.documents} documents "
            f"({self.chunks} chunks) from their stored text in {self.seconds:.1f}s; "
            f"the damaged files are kept in {self.kept_at}"
        )


def set_aside(data_dir: Path) -> Path:
    """Move the store's files (not the writer lock, which this process holds) into a sibling
    folder named after the time, and return it."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept = data_dir.with_name(f"{data_dir.name}.damaged-{stamp}")
    suffix = 1
    while kept.exists():
        suffix += 1
        kept = data_dir.with_name(f"{data_dir.name}.damaged-{stamp}-{suffix}")
    kept.mkdir()
    for entry in data_dir.iterdir():
        if entry.name not in (LOCK_FILE_NAME, REBUILD_MARKER):
            entry.rename(kept / entry.name)
    return kept


def unreadable(kept: Path, exc: Exception) -> StoreUnavailable:
    return StoreUnavailable(
        f"the embedded store is damaged and its document records cannot be read ({exc}); "
        f"its files are kept in {kept}"
    )


class KeptRecords:
    """A store set aside, read from a copy of its SQLite file alone: its document records, and
    the sentence vectors its chunks held, so a rebuild embeds only what they lack."""

    def __init__(self, client: ClientAPI | None, prefix: str, kept: Path) -> None:
        self._store = ArticleStore(client, prefix) if client is not None else None
        self.kept = kept

    def documents(self) -> list[StoredDocument]:
        if self._store is None:
            return []
        try:
            documents: list[StoredDocument] = []
            while True:
                found = self._store.documents.get(
                    include=["documents", "metadatas"], limit=_PAGE, offset=len(documents)
                )
                texts, metadatas = found["documents"] or [], found["metadatas"] or []
                for doc_id, meta, text in zip(found["ids"], metadatas, texts, strict=True):
                    documents.append(ArticleStore.document_from_record(doc_id, meta, text))
                if len(found["ids"]) < _PAGE:
                    return documents
        except Exception as exc:  # Chroma raises its own and SQLite errors alike
            raise unreadable(self.kept, exc) from exc

    def sentence_vectors(self, documents: list[StoredDocument]) -> dict[str, np.ndarray]:
        """Sentence text → the vector stored for it with these documents' chunks of the same
        content hash; {} where none can be read (they are embedded again)."""
        if self._store is None:
            return {}
        try:
            by_doc = self._store.sentence_vectors_of({d.id: d.content_hash for d in documents})
        except Exception:  # unreadable chunk records cost time, not the rebuild
            log.warning("newsqa: stored sentence vectors unreadable; embedding them again")
            return {}
        return {
            document.text[start:end]: vector
            for document in documents
            for (start, end), vector in by_doc.get(document.id, {}).items()
        }


@contextmanager
def kept_records(kept: Path, prefix: str) -> Iterator[KeptRecords]:
    """The records of a store set aside, open until the block ends."""
    database = kept / "chroma.sqlite3"
    if not database.exists():
        yield KeptRecords(None, prefix, kept)
        return
    with tempfile.TemporaryDirectory(prefix="newsqa-repair-") as scratch:
        shutil.copy2(database, Path(scratch) / database.name)
        try:
            client = chromadb.PersistentClient(
                scratch, settings=ChromaSettings(anonymized_telemetry=False)
            )
            names = {collection.name for collection in client.list_collections()}
        except Exception as exc:  # Chroma raises its own and SQLite errors alike
            raise unreadable(kept, exc) from exc
        yield KeptRecords(client if f"{prefix}_documents" in names else None, prefix, kept)


def rebuild_pending(data_dir: Path) -> bool:
    return (data_dir / REBUILD_MARKER).exists()


def rebuild(settings: Settings, embedder: Embedder, damage: str | None) -> RepairReport:
    """Set the damaged store aside and ingest its documents into a fresh one at the same place,
    or finish a rebuild that was cut short (`damage` None: the partial store is sound).
    Call it before this process opens the store: Chroma caches one client per path."""
    started = time.perf_counter()
    marker = settings.data_dir / REBUILD_MARKER
    if marker.exists():
        kept = Path(marker.read_text(encoding="utf-8").strip())
        reason = f"an earlier rebuild from {kept} was cut short"
        if damage is not None:  # the partial store is damaged too: keep it as well
            set_aside(settings.data_dir)
    else:
        reason = f"the store was damaged ({damage})"
        kept = set_aside(settings.data_dir)
        marker.write_text(str(kept), encoding="utf-8")
    log.warning("newsqa: %s; rebuilding the store at %s", reason, settings.data_dir)
    store = ArticleStore(make_chroma_client(settings), prefix=settings.collection_prefix)
    chunker = TokenChunker(settings.chunk_tokens, settings.chunk_overlap)
    ingestor = Ingestor(store, embedder, chunker, settings.max_file_bytes)
    logged = [0]

    def progress(done: int, total: int) -> None:
        if done == total > logged[0] or done - logged[0] >= max(1, total // 10):
            log.warning("newsqa: rebuilt %d/%d documents", done, total)
            logged[0] = done

    with kept_records(kept, settings.collection_prefix) as records:
        restored = ingestor.restore(records.documents(), progress, records.sentence_vectors)
    marker.unlink()
    return RepairReport(
        reason=reason,
        documents=len(restored.results),
        chunks=restored.chunks_embedded,
        kept_at=kept,
        seconds=time.perf_counter() - started,
    )
