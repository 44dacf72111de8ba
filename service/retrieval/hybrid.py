"""Hybrid retrieval: dense (Chroma) + lexical (BM25), fused by reciprocal rank, de-duplicated.

The lexical index and the document cache live in this process; they follow the store by
comparing content hashes — at once after a write made here, and at most `refresh_seconds`
late after a write by another process on a shared Chroma server. Between writes a sync only
reads the store's change marker.
"""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from service.labels import document_label
from service.retrieval.fusion import fused_ranking, jaccard
from service.retrieval.lexical import BM25Index
from service.retrieval.terms import terms
from vectorstore.embeddings import Embedder
from vectorstore.store import ArticleStore, StoredChunk, StoredDocument


@dataclass(frozen=True)
class Filters:
    doc_ids: frozenset[str] | None = None
    published_from: str | None = None  # ISO dates, inclusive
    published_to: str | None = None

    def allows(self, document: StoredDocument) -> bool:
        if self.doc_ids is not None and document.id not in self.doc_ids:
            return False
        published = (document.published_at or "")[:10]
        if self.published_from and (not published or published < self.published_from):
            return False
        return not (self.published_to and (not published or published > self.published_to))

    @property
    def empty(self) -> bool:
        return self.doc_ids is None and not self.published_from and not self.published_to


@dataclass(frozen=True)
class Passage:
    chunk: StoredChunk
    score: float  # reciprocal rank fusion of the dense and lexical ranks


@dataclass
class _Snapshot:
    documents: dict[str, StoredDocument] = field(default_factory=dict)  # without text
    chunks: dict[str, StoredChunk] = field(default_factory=dict)
    chunk_ids_by_doc: dict[str, list[str]] = field(default_factory=dict)


FULL_SYNC_SECONDS = 300.0
# Documents whose sentence vectors are kept decoded, most recently asked for: about 40 kB each
# (a few dozen 384-float vectors).
SENTENCE_CACHE_DOCUMENTS = 2048
_CACHED_QUERIES = 256  # query vectors kept: a question is embedded once per answer


class HybridRetriever:
    def __init__(
        self,
        store: ArticleStore,
        embedder: Embedder,
        refresh_seconds: float = 2.0,
        candidates: int = 24,
        rrf_k: int = 60,
        duplicate_jaccard: float = 0.8,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.refresh_seconds = refresh_seconds
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.duplicate_jaccard = duplicate_jaccard
        self.lexical = BM25Index()
        self._state = _Snapshot()
        self._texts: dict[tuple[str, str], str] = {}
        self._sentences: OrderedDict[tuple[str, str], dict[tuple[int, int], np.ndarray]] = (
            OrderedDict()
        )
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._synced_at = float("-inf")
        self._full_sync_at = float("-inf")
        self._marker: tuple[int, str | None] | None = None
        self._lock = threading.RLock()
        self.version = 0  # bumped whenever a document appears, changes or goes

    # -- keeping in step with the store -------------------------------------------------

    def invalidate(self) -> None:
        """Called after this process wrote the store: the next query re-syncs first."""
        self._synced_at = float("-inf")

    def sync(self) -> None:
        with self._lock:
            now = time.monotonic()
            if now - self._synced_at < self.refresh_seconds:
                return
            # Re-reading every document record costs seconds at 100k chunks; the marker is cheap.
            # A full pass now and then also covers a writer killed before it moved the marker.
            marker = self.store.change_marker()
            if marker == self._marker and now - self._full_sync_at < FULL_SYNC_SECONDS:
                self._synced_at = now
                return
            current = self.store.all_documents()
            known = self._state.documents
            gone = set(known) - set(current)
            for doc_id in gone:
                self._drop(doc_id)
            changed = [
                document
                for doc_id, document in current.items()
                if doc_id not in known or known[doc_id].content_hash != document.content_hash
            ]
            chunks = self.store.get_chunks_of([document.id for document in changed])
            for document in changed:
                self._drop(document.id)
                self._load(document, chunks[document.id])
            if gone or changed:
                self.version += 1
            self._marker = marker
            self._synced_at = self._full_sync_at = time.monotonic()

    def _drop(self, doc_id: str) -> None:
        self.lexical.remove_document(doc_id)
        self._state.documents.pop(doc_id, None)
        for chunk_id in self._state.chunk_ids_by_doc.pop(doc_id, []):
            self._state.chunks.pop(chunk_id, None)

    def _load(self, document: StoredDocument, stored: list[StoredChunk]) -> None:
        chunks = [c for c in stored if c.content_hash == document.content_hash]
        self._state.documents[document.id] = document
        self._state.chunk_ids_by_doc[document.id] = [chunk.id for chunk in chunks]
        for chunk in chunks:
            self._state.chunks[chunk.id] = chunk
            header = f"{document.title}\n" if document.title else ""
            self.lexical.add(chunk.id, document.id, header + chunk.text)

    def document(self, doc_id: str) -> StoredDocument | None:
        return self._state.documents.get(doc_id)

    def label(self, doc_id: str) -> str:
        """How the document is named (`document_label`): as stored at ingest, or for a
        headline-less record stored before labels, from its lede now (its text is cached)."""
        document = self._state.documents.get(doc_id)
        if document is not None and document.label is not None:
            return document.label
        source = document.source if document else None
        return document_label(None, self.document_text(doc_id), source, doc_id)

    def document_text(self, doc_id: str) -> str:
        """The stored text of a current document (cached per content hash)."""
        document = self._state.documents.get(doc_id)
        if document is None:
            return ""
        key = (doc_id, document.content_hash)
        if key not in self._texts:
            stored = self.store.get_document(doc_id)
            if stored is None or stored.content_hash != document.content_hash:
                return ""
            if len(self._texts) > 2048:
                self._texts.clear()
            self._texts[key] = stored.text
        return self._texts[key]

    def sentence_vectors(self, doc_ids: list[str]) -> dict[str, dict[tuple[int, int], np.ndarray]]:
        """Each document's sentences, (start, end) → unit vector, as embedded at ingest: {} for
        a document that is not current or was stored without them (by an older version).
        Documents not cached are read in one query, from their current version's chunks. The
        dicts are shared with the cache: read them, do not change them."""
        with self._lock:
            documents = self._state.documents
            hashes = {d: documents[d].content_hash for d in doc_ids if d in documents}
            found: dict[str, dict[tuple[int, int], np.ndarray]] = {}
            for doc_id, content_hash in hashes.items():
                key = (doc_id, content_hash)
                if key in self._sentences:
                    self._sentences.move_to_end(key)
                    found[doc_id] = self._sentences[key]
        missing = {doc_id: hashes[doc_id] for doc_id in hashes if doc_id not in found}
        read = self.store.sentence_vectors_of(missing)  # outside the lock: the slow part
        with self._lock:
            for doc_id, vectors in read.items():
                self._sentences[(doc_id, missing[doc_id])] = vectors
            while len(self._sentences) > SENTENCE_CACHE_DOCUMENTS:
                self._sentences.popitem(last=False)
        found |= read
        return {doc_id: found.get(doc_id, {}) for doc_id in doc_ids}

    # -- retrieval -----------------------------------------------------------------------

    def retrieve(self, query: str, k: int = 6, filters: Filters | None = None) -> list[Passage]:
        self.sync()
        filters = filters or Filters()
        with self._lock:
            documents = self._state.documents
            allowed = (
                None if filters.empty else {i for i, d in documents.items() if filters.allows(d)}
            )
            if allowed is not None and not allowed:
                return []
            lexical = self.lexical.search(query, self.candidates, allowed)

        # Embedding and the Chroma query run outside the lock: they are the slow part.
        vector = self.query_vector(query)
        where = {"doc_id": {"$in": sorted(allowed)}} if allowed is not None else None
        nearest = self.store.query(vector, self.candidates, where)

        with self._lock:
            return self._fuse(nearest, lexical, k)

    def query_vector(self, query: str) -> np.ndarray:
        """The query's vector, kept for the last few queries: the answer scorer and the claim
        verifier compare sentences with the same question retrieval embedded."""
        vector = self.cached_query_vector(query)
        if vector is not None:
            return vector
        vector = self.embedder.embed([query])[0]
        with self._lock:
            self._queries[query] = vector
            while len(self._queries) > _CACHED_QUERIES:
                self._queries.popitem(last=False)
        return vector

    def cached_query_vector(self, query: str) -> np.ndarray | None:
        with self._lock:
            vector = self._queries.get(query)
            if vector is not None:
                self._queries.move_to_end(query)
            return vector

    def _fuse(
        self,
        nearest: list[tuple[StoredChunk, float]],
        lexical: list[tuple[str, float]],
        k: int,
    ) -> list[Passage]:
        documents = self._state.documents
        chunks = self._state.chunks
        dense_hits = [
            (chunk, score)
            for chunk, score in nearest
            # Only chunks of the document's current version: never a half-replaced one.
            if chunk.doc_id in documents
            and chunk.content_hash == documents[chunk.doc_id].content_hash
        ]

        by_id = {chunk.id: chunk for chunk, _ in dense_hits}
        lexical_ids = [cid for cid, _ in lexical if cid in chunks]
        for chunk_id in lexical_ids:
            by_id.setdefault(chunk_id, chunks[chunk_id])
        ranked = fused_ranking([c.id for c, _ in dense_hits], lexical_ids, self.rrf_k)
        chosen: list[Passage] = []
        chosen_terms: list[set[str]] = []
        for chunk_id, score in ranked:
            chunk = by_id[chunk_id]
            chunk_terms = self.lexical.term_set(chunk_id) or set(terms(chunk.text))
            if any(jaccard(chunk_terms, other) >= self.duplicate_jaccard for other in chosen_terms):
                continue  # a near-duplicate of a better passage (syndicated copy, re-post)
            chosen.append(Passage(chunk=chunk, score=score))
            chosen_terms.append(chunk_terms)
            if len(chosen) == k:
                break
        return chosen
