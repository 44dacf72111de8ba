"""A first, retrieval-only answerer: the closest passages, quoted verbatim with their offsets."""

import time

from service.answer.models import Answer, Citation, RetrievedChunk
from service.ingest.sentences import sentence_spans
from vectorstore.embeddings import Embedder
from vectorstore.store import ArticleStore

NOT_COVERED = "The ingested articles do not cover this question."


class PassageAnswerer:
    mode = "passages"

    def __init__(self, store: ArticleStore, embedder: Embedder, min_score: float = 0.25) -> None:
        self.store = store
        self.embedder = embedder
        self.min_score = min_score

    def answer(self, question: str, top_k: int = 5) -> Answer:
        started = time.perf_counter()
        vector = self.embedder.embed([question])[0]
        embedded = time.perf_counter()
        hits = self.store.query(vector, top_k)
        retrieved = [
            RetrievedChunk(doc_id=chunk.doc_id, chunk_id=chunk.id, score=round(score, 4))
            for chunk, score in hits
        ]
        timings = {
            "embed": (embedded - started) * 1000,
            "retrieve": (time.perf_counter() - embedded) * 1000,
        }
        relevant = [(chunk, score) for chunk, score in hits if score >= self.min_score][:3]
        if not relevant:
            return Answer(answer=NOT_COVERED, abstained=True, retrieved=retrieved,
                          mode=self.mode, timings_ms=timings)  # fmt: skip
        citations = []
        for n, (chunk, _) in enumerate(relevant, start=1):
            # The chunk's first sentence, at its offsets in the stored document text.
            first_start, first_end = sentence_spans(chunk.text)[0]
            citations.append(
                Citation(
                    n=n,
                    doc_id=chunk.doc_id,
                    title=chunk.extra.get("title"),
                    quote=chunk.text[first_start:first_end],
                    start=chunk.start + first_start,
                    end=chunk.start + first_end,
                )  # fmt: skip
            )
        text = " ".join(f"{citation.quote} [{citation.n}]" for citation in citations)
        timings["total"] = (time.perf_counter() - started) * 1000
        return Answer(answer=text, abstained=False, citations=citations, retrieved=retrieved,
                      mode=self.mode, timings_ms=timings)  # fmt: skip
