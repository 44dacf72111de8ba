"""Sentence vectors packed into a chunk's Chroma metadata (values there are str/int/float/bool).

Each vector is quantised to int8 with its own float32 scale (max |component| / 127): 388 bytes
for a 384-dimensional MiniLM vector instead of 1,536, at cosine ≥ 0.99 to the original. The
vectors go base64-encoded under one key and their (start, end) offsets into the document text,
as "start:end" pairs, under another.
"""

import base64

import numpy as np

VECTORS_KEY = "sentence_vectors"
SPANS_KEY = "sentence_spans"
KEYS = frozenset({VECTORS_KEY, SPANS_KEY})

Span = tuple[int, int]


def pack(spans: list[Span], vectors: np.ndarray) -> dict[str, str]:
    """Metadata entries holding these sentences' vectors (one row a span)."""
    if len(spans) != len(vectors):
        raise ValueError(f"{len(spans)} spans for {len(vectors)} vectors")
    matrix = np.asarray(vectors, dtype=np.float32).reshape(len(spans), -1)
    scales = np.maximum(np.abs(matrix).max(axis=1, keepdims=True), 1e-12) / 127.0
    quantised = np.rint(matrix / scales).astype(np.int8)
    rows = np.hstack([scales.astype("<f4").view(np.uint8), quantised.view(np.uint8)])
    return {
        VECTORS_KEY: base64.b64encode(rows.tobytes()).decode("ascii"),
        SPANS_KEY: ",".join(f"{start}:{end}" for start, end in spans),
    }


def unpack(metadata: dict[str, object]) -> dict[Span, np.ndarray]:
    """The (start, end) → unit float32 vector entries `pack` wrote; {} when there are none
    (a chunk stored before sentence vectors were)."""
    encoded, listed = metadata.get(VECTORS_KEY), metadata.get(SPANS_KEY)
    if not isinstance(encoded, str) or not isinstance(listed, str) or not listed:
        return {}
    spans = [(int(start), int(end)) for start, end in (p.split(":") for p in listed.split(","))]
    rows = np.frombuffer(base64.b64decode(encoded), dtype=np.uint8).reshape(len(spans), -1)
    scales = rows[:, :4].copy().view("<f4")
    vectors = rows[:, 4:].copy().view(np.int8).astype(np.float32) * scales
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return dict(zip(spans, vectors, strict=True))
