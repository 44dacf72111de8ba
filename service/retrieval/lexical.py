"""An incremental BM25 index over chunks: documents are added and removed without a rebuild."""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

from service.retrieval.terms import terms


@dataclass(frozen=True)
class IndexedChunk:
    id: str
    doc_id: str
    length: int


class BM25Index:
    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._chunks: dict[str, IndexedChunk] = {}
        self._postings: dict[str, dict[str, int]] = defaultdict(dict)
        self._chunk_terms: dict[str, Counter[str]] = {}
        self._by_doc: dict[str, set[str]] = defaultdict(set)
        self._total_length = 0

    def __len__(self) -> int:
        return len(self._chunks)

    def add(self, chunk_id: str, doc_id: str, text: str) -> None:
        if chunk_id in self._chunks:
            self.remove_chunk(chunk_id)
        counts = Counter(terms(text))
        self._chunks[chunk_id] = IndexedChunk(chunk_id, doc_id, sum(counts.values()))
        self._chunk_terms[chunk_id] = counts
        self._by_doc[doc_id].add(chunk_id)
        self._total_length += sum(counts.values())
        for term, count in counts.items():
            self._postings[term][chunk_id] = count

    def term_set(self, chunk_id: str) -> set[str] | None:
        counts = self._chunk_terms.get(chunk_id)
        return None if counts is None else set(counts)

    def remove_chunk(self, chunk_id: str) -> None:
        chunk = self._chunks.pop(chunk_id, None)
        if chunk is None:
            return
        for term in self._chunk_terms.pop(chunk_id):
            postings = self._postings[term]
            postings.pop(chunk_id, None)
            if not postings:
                del self._postings[term]
        self._by_doc[chunk.doc_id].discard(chunk_id)
        if not self._by_doc[chunk.doc_id]:
            del self._by_doc[chunk.doc_id]
        self._total_length -= chunk.length

    def remove_document(self, doc_id: str) -> None:
        for chunk_id in list(self._by_doc.get(doc_id, ())):
            self.remove_chunk(chunk_id)

    def idf(self, term: str) -> float:
        n = len(self._chunks)
        df = len(self._postings.get(term, ()))
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def document_frequency(self, term: str) -> int:
        return len(self._postings.get(term, ()))

    def search(
        self, query: str, k: int, allowed_docs: set[str] | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the best k chunks, best first."""
        if not self._chunks:
            return []
        average = self._total_length / len(self._chunks)
        scores: dict[str, float] = defaultdict(float)
        for term in set(terms(query)):
            postings = self._postings.get(term)
            if not postings:
                continue
            idf = self.idf(term)
            for chunk_id, tf in postings.items():
                chunk = self._chunks[chunk_id]
                if allowed_docs is not None and chunk.doc_id not in allowed_docs:
                    continue
                norm = self.k1 * (1 - self.b + self.b * chunk.length / average)
                scores[chunk_id] += idf * tf * (self.k1 + 1) / (tf + norm)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return ranked[:k]
