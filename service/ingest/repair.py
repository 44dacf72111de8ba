"""Rebuild a damaged embedded store from its document records.

A document record holds the whole cleaned text and its metadata, so chunks and vectors can be
made again. Chroma keeps records in SQLite and vectors in HNSW segment files; a crash can leave a
segment file that Chroma cannot load, or that kills the process loading it. The repair never
loads the damaged segments: it moves every store file aside (nothing is deleted), reads the
document records from a copy of the SQLite file alone, and ingests them into a fresh store.
Until that is done a marker in the store names the folder set aside, so a rebuild that is itself
cut short is taken up again by the next writer, from the same records.
"""

import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import chromadb
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


def read_documents(kept: Path, prefix: str) -> list[StoredDocument]:
    """Every document record of a store set aside, read without its vector segments."""
    database = kept / "chroma.sqlite3"
    if not database.exists():
        return []
    with tempfile.TemporaryDirectory(prefix="newsqa-repair-") as scratch:
        shutil.copy2(database, Path(scratch) / database.name)
        try:
            client = chromadb.PersistentClient(
                scratch, settings=ChromaSettings(anonymized_telemetry=False)
            )
            names = {collection.name for collection in client.list_collections()}
            if f"{prefix}_documents" not in names:
                return []
            records = client.get_collection(f"{prefix}_documents")
            documents: list[StoredDocument] = []
            while True:
                found = records.get(
                    include=["documents", "metadatas"], limit=_PAGE, offset=len(documents)
                )
                texts, metadatas = found["documents"] or [], found["metadatas"] or []
                for doc_id, meta, text in zip(found["ids"], metadatas, texts, strict=True):
                    documents.append(ArticleStore.document_from_record(doc_id, meta, text))
                if len(found["ids"]) < _PAGE:
                    return documents
        except Exception as exc:  # Chroma raises its own and SQLite errors alike
            raise StoreUnavailable(
                f"the embedded store is damaged and its document records cannot be read "
                f"({exc}); its files are kept in {kept}"
            ) from exc


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
    documents = read_documents(kept, settings.collection_prefix)
    store = ArticleStore(make_chroma_client(settings), prefix=settings.collection_prefix)
    chunker = TokenChunker(settings.chunk_tokens, settings.chunk_overlap)
    ingestor = Ingestor(store, embedder, chunker, settings.max_file_bytes)
    logged = [0]

    def progress(done: int, total: int) -> None:
        if done == total > logged[0] or done - logged[0] >= max(1, total // 10):
            log.warning("newsqa: rebuilt %d/%d documents", done, total)
            logged[0] = done

    restored = ingestor.restore(documents, progress)
    marker.unlink()
    return RepairReport(
        reason=reason,
        documents=len(restored.results),
        chunks=restored.chunks_embedded,
        kept_at=kept,
        seconds=time.perf_counter() - started,
    )
