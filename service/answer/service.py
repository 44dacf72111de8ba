"""One path for a question: resolve follow-ups → retrieve → generate → cite → Answer."""

import time
from dataclasses import dataclass
from typing import Protocol

from service.answer.evidence import Evidence, Sentence, collect_sentences
from service.answer.extractive import ExtractiveSelector, Selection
from service.answer.models import Answer, Citation, RetrievedChunk
from service.answer.question import Question, analyse, resolve_follow_up
from service.answer.vectors import VectorSource
from service.retrieval.hybrid import Filters, HybridRetriever, Passage

NOT_COVERED = "The ingested articles do not cover this question."
# Passages the extractive selectors read: the depth they were calibrated on (an LLM reads more).
EXTRACTIVE_PASSAGES = 6


@dataclass(frozen=True)
class CitedSpan:
    doc_id: str
    title: str | None
    start: int
    end: int
    text: str
    label: str | None = None  # as on `Sentence`

    @classmethod
    def of(cls, sentence: Sentence) -> "CitedSpan":
        return cls(sentence.doc_id, sentence.title, sentence.start, sentence.end, sentence.text,
                   sentence.label)  # fmt: skip


def cite(spans: list[CitedSpan], retriever: HybridRetriever) -> list[Citation]:
    """The spans as citations numbered from 1, each document named by its label."""
    return [
        Citation(
            n=n,
            doc_id=s.doc_id,
            title=s.title,
            label=retriever.label(s.doc_id),
            quote=s.text,
            start=s.start,
            end=s.end,
        )
        for n, s in enumerate(spans, start=1)
    ]


@dataclass(frozen=True)
class Generated:
    """A generator's answer: text with [n] markers, and the verbatim spans they cite, in order."""

    text: str
    cited: list[CitedSpan]
    mode: str
    note: str = ""

    @property
    def abstained(self) -> bool:
        return not self.cited


class Generator(Protocol):
    name: str

    def generate(
        self, question: Question, evidence: Evidence, passages: list[Passage]
    ) -> Generated: ...


class Selector(Protocol):
    def select(self, question: Question, evidence: Evidence) -> Selection: ...


class ExtractiveGenerator:
    name = "extractive"

    def __init__(self, selector: Selector | None = None) -> None:
        self.selector = selector or ExtractiveSelector()

    def generate(
        self, question: Question, evidence: Evidence, passages: list[Passage]
    ) -> Generated:
        return self.written(self.selector.select(question, evidence))

    def written(self, selection: Selection, mode: str = name) -> Generated:
        """The answer a selection makes: its sentences quoted with markers, or the decline."""
        if selection.abstained:
            return Generated(NOT_COVERED, [], mode, selection.reason)
        text = " ".join(f"{s.text} [{n}]" for n, s in enumerate(selection.sentences, start=1))
        cited = [CitedSpan.of(s) for s in selection.sentences]
        return Generated(text, cited, mode, selection.reason)


class AnswerService:
    def __init__(
        self,
        retriever: HybridRetriever,
        generator: Generator,
        top_k: int = EXTRACTIVE_PASSAGES,
        with_vectors: bool = False,
    ) -> None:
        self.retriever = retriever
        self.generator = generator
        self.top_k = top_k
        # The learned selector scores sentences by their vectors; the lexical one needs none.
        self.vectors = VectorSource(retriever) if with_vectors else None

    def answer(
        self,
        question: str,
        top_k: int | None = None,
        history: list[tuple[str, str]] | None = None,
        filters: Filters | None = None,
    ) -> Answer:
        return self.complete(self.retrieve(question, top_k, history, filters))

    def retrieve(
        self,
        question: str,
        top_k: int | None = None,
        history: list[tuple[str, str]] | None = None,
        filters: Filters | None = None,
    ) -> "Retrieval":
        """The first half of answering, apart so a stream can report it before generating."""
        started = time.perf_counter()
        asked = question.strip()
        standalone = resolve_follow_up(asked, history or [])
        passages = self.retriever.retrieve(standalone, top_k or self.top_k, filters)
        retrieved = [
            RetrievedChunk(doc_id=p.chunk.doc_id, chunk_id=p.chunk.id, score=round(p.score, 6))
            for p in passages
        ]
        return Retrieval(
            standalone=standalone,
            rewritten=standalone != asked,
            passages=passages,
            retrieved=retrieved,
            started=started,
            retrieve_ms=_ms(started),
        )

    def complete(self, retrieval: "Retrieval") -> Answer:
        mark = time.perf_counter()
        evidence = collect_sentences(self.retriever, retrieval.passages)
        if self.vectors is not None:
            evidence = self.vectors.attach(evidence, retrieval.standalone)
        generated = self.generator.generate(
            analyse(retrieval.standalone), evidence, retrieval.passages
        )
        timings = {"retrieve": retrieval.retrieve_ms, "generate": _ms(mark)}
        timings["total"] = _ms(retrieval.started)
        return Answer(
            answer=generated.text,
            abstained=generated.abstained,
            citations=cite(generated.cited, self.retriever),
            retrieved=retrieval.retrieved,
            mode=generated.mode,
            timings_ms={key: round(value, 2) for key, value in timings.items()},
            question=retrieval.standalone if retrieval.rewritten else None,
        )


@dataclass(frozen=True)
class Retrieval:
    standalone: str
    rewritten: bool
    passages: list[Passage]
    retrieved: list[RetrievedChunk]
    started: float
    retrieve_ms: float


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000
