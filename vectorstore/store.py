"""The article store: all of newsqa's state, kept in two Chroma collections.

`<prefix>_documents` holds each cleaned full text with its metadata and content hash;
`<prefix>_chunks` holds chunk texts, their character offsets into that text, and vectors; each
chunk's metadata also packs the vectors of the sentences it overlaps (`sentence_vectors.py`).
The document record is the commit point of an ingest: chunks are written first, then the
document record naming their content hash, then stale chunks are removed. Readers trust only
chunks whose hash matches their document's record, so a crash mid-ingest never shows a
half-written document.
"""

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection

from service.errors import InputError
from service.labels import document_label
from vectorstore import sentence_vectors

_GENERATION = "newsqa_generation"  # collection metadata key; a new value on every write
_DOCS_PER_READ = 200
_RECORDS_PER_PAGE = 5000

# Chunk metadata kept out of `StoredChunk.extra`: the record's own fields, and the packed
# sentence vectors — a few kB a chunk, which the retriever would otherwise hold for every chunk.
_NOT_EXTRA = frozenset({"doc_id", "chunk_index", "start", "end", "content_hash"}) | (
    sentence_vectors.KEYS
)

DOC_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_doc_id(doc_id: str) -> str:
    if not DOC_ID_PATTERN.fullmatch(doc_id):
        raise InputError(
            f"invalid document id {doc_id!r}: use 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return doc_id


@dataclass(frozen=True)
class StoredDocument:
    id: str
    text: str
    content_hash: str
    title: str | None = None
    published_at: str | None = None
    source: str | None = None
    url: str | None = None
    n_chunks: int = 0
    ingested_at: str | None = None
    # The title or a readable fallback (`document_label`), made at ingest. None only for a
    # headline-less record stored before labels, read without the text its lede comes from.
    label: str | None = None

    def metadata(self) -> dict[str, Any]:
        fields = {
            "title": self.title,
            "label": self.label,
            "published_at": self.published_at,
            "source": self.source,
            "url": self.url,
            "content_hash": self.content_hash,
            "n_chunks": self.n_chunks,
            "ingested_at": self.ingested_at,
            "chars": len(self.text),
        }
        return {key: value for key, value in fields.items() if value is not None}


@dataclass(frozen=True)
class StoredChunk:
    id: str
    doc_id: str
    index: int
    text: str
    start: int
    end: int
    content_hash: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentWrite:
    """A document with its chunks and their vectors (one row a chunk), stored together."""

    document: StoredDocument
    chunks: list[StoredChunk]
    chunk_vectors: np.ndarray


def chunk_id(doc_id: str, content_hash: str, index: int) -> str:
    return f"{doc_id}:{content_hash[:16]}:{index:05d}"


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


class ArticleStore:
    def __init__(self, client: ClientAPI, prefix: str = "newsqa") -> None:
        self.client = client
        space = {"hnsw": {"space": "cosine"}}
        self.documents: Collection = client.get_or_create_collection(
            f"{prefix}_documents",
            embedding_function=None,
            configuration=space,  # type: ignore[arg-type]
        )
        self.chunks: Collection = client.get_or_create_collection(
            f"{prefix}_chunks",
            embedding_function=None,
            configuration=space,  # type: ignore[arg-type]
        )
        self._batch = max(1, min(client.get_max_batch_size(), 1000))
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every write or delete made through this store."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    # -- reads ---------------------------------------------------------------------------

    def heartbeat(self) -> None:
        self.client.heartbeat()

    def change_marker(self) -> tuple[int, str | None]:
        """Cheap to read (two small queries): it changes whenever any process writes or deletes
        a document, so readers can skip re-reading every document record while it holds."""
        metadata = self.client.get_collection(self.documents.name).metadata or {}
        generation = metadata.get(_GENERATION)
        return self.documents.count(), None if generation is None else str(generation)

    def _bump_generation(self) -> None:
        self.documents.modify(metadata={_GENERATION: uuid.uuid4().hex})

    def content_hashes(self, doc_ids: list[str]) -> dict[str, str]:
        """The stored content hash of each of these documents that is stored."""
        if not doc_ids:
            return {}
        found = self.documents.get(ids=list(dict.fromkeys(doc_ids)), include=["metadatas"])
        metadatas = found["metadatas"] or []
        return {doc_id: str(metadatas[i]["content_hash"]) for i, doc_id in enumerate(found["ids"])}

    def get_document(self, doc_id: str, with_text: bool = True) -> StoredDocument | None:
        include: Any = ["metadatas", "documents"] if with_text else ["metadatas"]
        found = self.documents.get(ids=[doc_id], include=include)
        if not found["ids"]:
            return None
        texts = found["documents"] if with_text else None
        return self.document_from_record(
            found["ids"][0], (found["metadatas"] or [{}])[0], texts[0] if texts else ""
        )

    def get_documents(
        self, doc_ids: list[str], with_text: bool = True
    ) -> dict[str, StoredDocument]:
        if not doc_ids:
            return {}
        include: Any = ["metadatas", "documents"] if with_text else ["metadatas"]
        found = self.documents.get(ids=list(dict.fromkeys(doc_ids)), include=include)
        texts = found["documents"] if with_text else None
        metadatas = found["metadatas"] or []
        return {
            doc_id: self.document_from_record(doc_id, metadatas[i], texts[i] if texts else "")
            for i, doc_id in enumerate(found["ids"])
        }

    def document_ids(self) -> list[str]:
        return sorted(doc_id for doc_id, _ in self._all_documents(with_metadata=False))

    def all_documents(self) -> dict[str, StoredDocument]:
        """Every document record, without text."""
        return {
            doc_id: self.document_from_record(doc_id, meta, "")
            for doc_id, meta in self._all_documents(with_metadata=True)
        }

    def _all_documents(self, with_metadata: bool) -> Iterator[tuple[str, Any]]:
        # Paged: one unpaged get of 30k+ records exceeds SQLite's limit on query variables.
        include: Any = ["metadatas"] if with_metadata else []
        offset = 0
        while True:
            found = self.documents.get(include=include, limit=_RECORDS_PER_PAGE, offset=offset)
            none: list[Any] = [None] * len(found["ids"])
            metadatas: list[Any] = list(found["metadatas"] or none)
            yield from zip(found["ids"], metadatas, strict=True)
            if len(found["ids"]) < _RECORDS_PER_PAGE:
                return
            offset += _RECORDS_PER_PAGE

    def list_documents(self, limit: int = 50, offset: int = 0) -> tuple[list[StoredDocument], int]:
        """Documents in id order, without their text, and the total count."""
        ids = self.document_ids()
        page = ids[offset : offset + limit]
        found = self.get_documents(page, with_text=False)
        # Headline-less records stored before labels are named by their lede: read their text.
        unlabelled = [doc_id for doc_id, document in found.items() if document.label is None]
        for doc_id, document in self.get_documents(unlabelled).items():
            found[doc_id] = replace(document, text="")
        return [found[doc_id] for doc_id in page if doc_id in found], len(ids)

    def count_documents(self) -> int:
        return self.documents.count()

    def count_chunks(self) -> int:
        return self.chunks.count()

    def get_chunks(self, doc_id: str) -> list[StoredChunk]:
        return self.get_chunks_of([doc_id])[doc_id]

    def get_chunks_of(self, doc_ids: list[str]) -> dict[str, list[StoredChunk]]:
        """Chunks of many documents, read a few hundred documents a query."""
        by_doc: dict[str, list[StoredChunk]] = {doc_id: [] for doc_id in doc_ids}
        for begin in range(0, len(doc_ids), _DOCS_PER_READ):
            batch: Any = {"doc_id": {"$in": doc_ids[begin : begin + _DOCS_PER_READ]}}
            found = self.chunks.get(where=batch, include=["metadatas", "documents"])
            for chunk_id_, meta, text in zip(
                found["ids"], found["metadatas"] or [], found["documents"] or [], strict=True
            ):
                chunk = self._chunk(chunk_id_, meta, text)
                by_doc[chunk.doc_id].append(chunk)
        for chunks in by_doc.values():
            chunks.sort(key=lambda chunk: (chunk.content_hash, chunk.index))
        return by_doc

    def sentence_vectors_of(
        self, content_hashes: dict[str, str]
    ) -> dict[str, dict[sentence_vectors.Span, np.ndarray]]:
        """The stored sentence vectors of these documents (id → content hash), read from their
        chunks of that hash only, in one query; a document without any maps to {}."""
        by_doc: dict[str, dict[sentence_vectors.Span, np.ndarray]] = {
            doc_id: {} for doc_id in content_hashes
        }
        if not content_hashes:
            return by_doc
        where: Any = {"doc_id": {"$in": list(content_hashes)}}
        found = self.chunks.get(where=where, include=["metadatas"])
        for meta in found["metadatas"] or []:
            doc_id = str(meta["doc_id"])
            if meta.get("content_hash") == content_hashes.get(doc_id):
                by_doc[doc_id].update(sentence_vectors.unpack(dict(meta)))
        return by_doc

    def query(
        self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[StoredChunk, float]]:
        """Nearest chunks by cosine similarity (1 - distance), best first."""
        if k <= 0 or self.chunks.count() == 0:
            return []
        found = self.chunks.query(
            query_embeddings=[vector.tolist()],
            n_results=k,
            where=where,
            include=["metadatas", "documents", "distances"],
        )
        ids = found["ids"][0]
        metas = (found["metadatas"] or [[]])[0]
        texts = (found["documents"] or [[]])[0]
        distances = (found["distances"] or [[]])[0]
        return [
            (self._chunk(ids[i], metas[i], texts[i]), 1.0 - float(distances[i]))
            for i in range(len(ids))
        ]

    # -- writes --------------------------------------------------------------------------

    def write_documents(self, writes: list[DocumentWrite]) -> None:
        """Store documents and their chunks, replacing any earlier versions of them.

        Every chunk is stored before any document record that names it: a reader (or a run
        after a crash) never sees a document whose chunks are not all there."""
        if not writes:
            return
        chunks = [chunk for write in writes for chunk in write.chunks]
        vectors = np.concatenate([write.chunk_vectors for write in writes])
        for begin in range(0, len(chunks), self._batch):
            batch = chunks[begin : begin + self._batch]
            self.chunks.upsert(
                ids=[chunk.id for chunk in batch],
                documents=[chunk.text for chunk in batch],
                embeddings=vectors[begin : begin + self._batch],
                metadatas=[self._chunk_metadata(chunk) for chunk in batch],
            )
        for begin in range(0, len(writes), self._batch):
            group = writes[begin : begin + self._batch]
            self.documents.upsert(
                ids=[write.document.id for write in group],
                documents=[write.document.text for write in group],
                embeddings=[self._document_vector(write) for write in group],
                metadatas=[write.document.metadata() for write in group],
            )
        # Only after a document record names the new hash are its old chunks dropped.
        self._drop_stale_chunks(writes)
        self._bump_generation()
        self._changed()

    def _drop_stale_chunks(self, writes: list[DocumentWrite]) -> None:
        """Delete the written documents' chunks that are not among those just written: an
        earlier version's, or a killed run's for text that has since changed. One indexed
        `$in` read a few hundred documents, then a delete by id; a `$ne` filter on the hash
        instead scans every chunk's metadata, about 11 ms a document at 100k chunks."""
        current = {chunk.id for write in writes for chunk in write.chunks}
        doc_ids = list(dict.fromkeys(write.document.id for write in writes))
        for begin in range(0, len(doc_ids), _DOCS_PER_READ):
            batch: Any = {"doc_id": {"$in": doc_ids[begin : begin + _DOCS_PER_READ]}}
            found = self.chunks.get(where=batch, include=[])
            stale = [chunk_id_ for chunk_id_ in found["ids"] if chunk_id_ not in current]
            for start in range(0, len(stale), self._batch):
                self.chunks.delete(ids=stale[start : start + self._batch])

    @staticmethod
    def _document_vector(write: DocumentWrite) -> np.ndarray:
        vectors = write.chunk_vectors
        mean = vectors.mean(axis=0) if len(vectors) else np.ones(vectors.shape[1])
        return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)

    def delete_document(self, doc_id: str) -> bool:
        existed = bool(self.documents.get(ids=[doc_id], include=[])["ids"])
        self.documents.delete(ids=[doc_id])
        self.chunks.delete(where={"doc_id": doc_id})
        self._bump_generation()
        self._changed()
        return existed

    # -- record mapping ------------------------------------------------------------------

    @staticmethod
    def _chunk_metadata(chunk: StoredChunk) -> dict[str, Any]:
        return _without_none(
            {
                **chunk.extra,
                "doc_id": chunk.doc_id,
                "chunk_index": chunk.index,
                "start": chunk.start,
                "end": chunk.end,
                "content_hash": chunk.content_hash,
            }
        )

    @staticmethod
    def _chunk(chunk_id_: str, meta: Any, text: str | None) -> StoredChunk:
        return StoredChunk(
            id=chunk_id_,
            doc_id=str(meta["doc_id"]),
            index=int(meta["chunk_index"]),
            text=text or "",
            start=int(meta["start"]),
            end=int(meta["end"]),
            content_hash=str(meta["content_hash"]),
            extra={key: value for key, value in meta.items() if key not in _NOT_EXTRA},
        )

    @staticmethod
    def document_from_record(doc_id: str, meta: Any, text: str | None) -> StoredDocument:
        def optional(key: str) -> str | None:
            value = meta.get(key)
            return None if value is None else str(value)

        title, source, label = optional("title"), optional("source"), optional("label")
        if label is None and (title or text):  # stored before labels: made now, if it can be
            label = document_label(title, text or "", source, doc_id)
        return StoredDocument(
            id=doc_id,
            text=text or "",
            content_hash=str(meta.get("content_hash", "")),
            title=title,
            published_at=optional("published_at"),
            source=source,
            url=optional("url"),
            n_chunks=int(meta.get("n_chunks", 0)),
            ingested_at=optional("ingested_at"),
            label=label,
        )
