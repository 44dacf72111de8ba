"""Sentence and question vectors for the answer scorer. Sentence vectors were computed once, at
ingest, and are read from the store; only a document stored before they existed has its
sentences embedded here (and cached)."""

import threading
from collections import OrderedDict
from dataclasses import replace

import numpy as np

from service.answer.evidence import Evidence, Sentence
from service.retrieval.hybrid import HybridRetriever

_CACHED = 4096


class VectorSource:
    def __init__(self, retriever: HybridRetriever) -> None:
        self.retriever = retriever
        self._embedded: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> list[np.ndarray]:
        """Vectors of texts, each embedded at most once while it stays in the cache (the
        retrieved question's from the retriever's own)."""
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._embedded]
        known = {t: v for t in missing if (v := self.retriever.cached_query_vector(t)) is not None}
        missing = [t for t in missing if t not in known]
        fresh = list(self.retriever.embedder.embed(missing)) if missing else []
        with self._lock:
            self._embedded.update(known)
            for text, vector in zip(missing, fresh, strict=True):
                self._embedded[text] = vector
            found = []
            for text in texts:
                vector = self._embedded.get(text)
                if vector is None:  # evicted by another thread meanwhile
                    vector = self.retriever.embedder.embed([text])[0]
                self._embedded.move_to_end(text)
                found.append(vector)
            while len(self._embedded) > _CACHED:
                self._embedded.popitem(last=False)
            return found

    def attach(self, evidence: Evidence, question: str) -> Evidence:
        """The evidence with the question's vector and every sentence's (its neighbours too)."""
        sentences: list[Sentence] = [*evidence.sentences, *evidence.neighbours.values()]
        stored = self.retriever.sentence_vectors(sorted({s.doc_id for s in sentences}))
        vectors: dict[tuple[str, int], np.ndarray] = {}
        missing: list[Sentence] = []
        for sentence in sentences:
            vector = stored.get(sentence.doc_id, {}).get((sentence.start, sentence.end))
            if vector is None:
                missing.append(sentence)
            else:
                vectors[(sentence.doc_id, sentence.start)] = vector
        embedded = self.embed([question, *(s.text for s in missing)])
        for sentence, vector in zip(missing, embedded[1:], strict=True):
            vectors[(sentence.doc_id, sentence.start)] = vector
        return replace(evidence, question_vector=embedded[0], vectors=vectors)
