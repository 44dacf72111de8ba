"""Chunk vectors made from sentence vectors: each sentence of a document is embedded once, and
stored with every chunk it overlaps, so answers can rank sentences without embedding them."""

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from service.ingest.sentences import sentence_spans
from vectorstore import sentence_vectors
from vectorstore.embeddings import Embedder
from vectorstore.store import StoredChunk, StoredDocument

# The headline's vector is added to each chunk's mean sentence vector at this weight, so that a
# chunk which never names its subject is still found by it.
HEADLINE_WEIGHT = 0.2


@dataclass(frozen=True)
class EmbeddedDocument:
    chunks: list[StoredChunk]  # with the packed vectors of their sentences in `extra`
    vectors: np.ndarray  # one unit row a chunk
    sentences: int


def embed_documents(
    embedder: Embedder,
    documents: list[tuple[StoredDocument, list[StoredChunk]]],
    known: Mapping[str, np.ndarray] | None = None,
) -> list[EmbeddedDocument]:
    """Embed the sentences (verbatim) and headlines of all these documents in one call, and
    make each chunk's vector the normalised mean of its sentences' plus the weighted headline's.
    A sentence in `known` (text → unit vector, as stored before) is not embedded again."""
    known = known or {}
    spans = [sentence_spans(document.text) for document, _ in documents]
    texts = [
        document.text[start:end]
        for (document, _), found in zip(documents, spans, strict=True)
        for start, end in found
    ]
    titled = [document.title for document, _ in documents if document.title]
    # A sentence repeated across the batch (a byline, a boilerplate line, an unchanged
    # paragraph of an updated article) is embedded once.
    distinct = [text for text in dict.fromkeys(texts + titled) if text not in known]
    fresh = dict(zip(distinct, embedder.embed(distinct), strict=True)) if distinct else {}
    vectors = np.stack([fresh[text] if text in fresh else known[text] for text in texts + titled])
    headlines = iter(vectors[len(texts) :])
    embedded: list[EmbeddedDocument] = []
    offset = 0
    for (document, chunks), found in zip(documents, spans, strict=True):
        rows = vectors[offset : offset + len(found)]
        offset += len(found)
        headline = next(headlines) if document.title else None
        embedded.append(_compose(chunks, found, rows, headline))
    return embedded


def _compose(
    chunks: list[StoredChunk],
    spans: list[tuple[int, int]],
    rows: np.ndarray,
    headline: np.ndarray | None,
) -> EmbeddedDocument:
    starts = [start for start, _ in spans]
    ends = [end for _, end in spans]
    packed: list[StoredChunk] = []
    chunk_vectors = np.zeros((len(chunks), rows.shape[1]), dtype=np.float32)
    for row, chunk in enumerate(chunks):
        # Chunks are made of these same sentences (or pieces of one), so each overlaps some.
        first, last = bisect_right(ends, chunk.start), bisect_left(starts, chunk.end)
        mean = rows[first:last].mean(axis=0)
        if headline is not None:
            mean = mean + HEADLINE_WEIGHT * headline
        chunk_vectors[row] = mean / max(float(np.linalg.norm(mean)), 1e-12)
        extra = sentence_vectors.pack(spans[first:last], rows[first:last])
        packed.append(replace(chunk, extra={**chunk.extra, **extra}))
    return EmbeddedDocument(packed, chunk_vectors, len(spans))
