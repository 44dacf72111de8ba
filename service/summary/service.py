"""Summaries of one article or of a topic: validate → (cache) → retrieve → summarize → Summary.

Cached summaries are keyed by what they were made from: a document summary by the document's
content hash, a topic summary by the retriever's corpus version; both by `max_words` and the
summarizer. A change of the store made through this process also empties the cache (it is
registered with `ArticleStore.on_change`); a change by another process on a shared Chroma
server changes the hash or version the next request sees, so no stale summary is served."""

import threading
import time
from collections import OrderedDict
from typing import Literal, Protocol

from service.answer.evidence import Evidence, collect_sentences
from service.answer.service import cite
from service.errors import DocumentNotFound, InputError
from service.retrieval.hybrid import HybridRetriever, Passage
from service.summary.compose import Drafted
from service.summary.extractive import ExtractiveSummarizer
from service.summary.models import Summary, count_words

MIN_WORDS, MAX_WORDS, DEFAULT_WORDS = 20, 1000, 120
TOPIC_CANDIDATES = 30  # passages retrieved for a topic
TOPIC_PASSAGES = 16  # kept, at most PER_SOURCE from one document, so several get a say
PER_SOURCE = 4
CACHE_SIZE = 256


class Summarizer(Protocol):
    name: str

    def document(self, doc_id: str, title: str | None, text: str, max_words: int) -> Drafted: ...

    def topic(
        self, topic: str, evidence: Evidence, passages: list[Passage], max_words: int
    ) -> Drafted: ...


class SummaryCache:
    """A bounded LRU map, safe across threads."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple[object, ...], Summary] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> Summary | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[object, ...], summary: Summary) -> None:
        with self._lock:
            self._items[key] = summary
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class SummaryService:
    def __init__(
        self,
        retriever: HybridRetriever,
        summarizer: Summarizer | None = None,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self.retriever = retriever
        self.summarizer: Summarizer = summarizer or ExtractiveSummarizer()
        self.cache = SummaryCache(cache_size)

    def invalidate(self) -> None:
        """Called after this process wrote the store."""
        self.cache.clear()

    def summarize_document(self, doc_id: str, max_words: int = DEFAULT_WORDS) -> Summary:
        _check_words(max_words)
        started = time.perf_counter()
        self.retriever.sync()
        document = self.retriever.document(doc_id)
        if document is None:
            raise DocumentNotFound(f"no document with id {doc_id!r}")
        key = ("document", doc_id, document.content_hash, max_words, self.summarizer.name)
        if (hit := self._hit(key, started)) is not None:
            return hit
        text = self.retriever.document_text(doc_id)
        if not text:
            raise DocumentNotFound(f"no document with id {doc_id!r}")  # deleted meanwhile
        mark = time.perf_counter()
        drafted = self.summarizer.document(doc_id, document.title, text, max_words)
        timings = {"summarize": _ms(mark)}
        summary = _summary(
            self.retriever, drafted, "document", max_words, timings, started, doc_id=doc_id
        )
        self.cache.put(key, summary)
        return summary

    def summarize_topic(self, topic: str, max_words: int = DEFAULT_WORDS) -> Summary:
        asked = " ".join(topic.split())
        if not asked:
            raise InputError("the topic is empty")
        _check_words(max_words)
        started = time.perf_counter()
        self.retriever.sync()
        key = ("topic", asked.casefold(), max_words, self.summarizer.name, self.retriever.version)
        if (hit := self._hit(key, started)) is not None:
            return hit
        mark = time.perf_counter()
        passages = self._passages(asked)
        evidence = collect_sentences(self.retriever, passages)
        timings = {"retrieve": _ms(mark)}
        mark = time.perf_counter()
        drafted = self.summarizer.topic(asked, evidence, passages, max_words)
        timings["summarize"] = _ms(mark)
        summary = _summary(
            self.retriever, drafted, "topic", max_words, timings, started, topic=asked
        )
        self.cache.put(key, summary)
        return summary

    def _passages(self, topic: str) -> list[Passage]:
        kept: list[Passage] = []
        per_source: dict[str, int] = {}
        for passage in self.retriever.retrieve(topic, TOPIC_CANDIDATES):
            doc_id = passage.chunk.doc_id
            if per_source.get(doc_id, 0) < PER_SOURCE:
                per_source[doc_id] = per_source.get(doc_id, 0) + 1
                kept.append(passage)
            if len(kept) == TOPIC_PASSAGES:
                break
        return kept

    def _hit(self, key: tuple[object, ...], started: float) -> Summary | None:
        found = self.cache.get(key)
        if found is None:
            return None
        return found.model_copy(update={"cached": True, "timings_ms": {"total": _ms(started)}})


def _check_words(max_words: int) -> None:
    if not MIN_WORDS <= max_words <= MAX_WORDS:
        raise InputError(f"max_words must be between {MIN_WORDS} and {MAX_WORDS}, not {max_words}")


def _summary(
    retriever: HybridRetriever,
    drafted: Drafted,
    scope: Literal["document", "topic"],
    max_words: int,
    timings: dict[str, float],
    started: float,
    doc_id: str | None = None,
    topic: str | None = None,
) -> Summary:
    citations = cite(drafted.cited, retriever)
    timings["total"] = _ms(started)
    return Summary(
        summary=drafted.text,
        citations=citations,
        sources=list(dict.fromkeys(c.doc_id for c in citations)),
        disagreements=drafted.disagreements if scope == "topic" else [],
        scope=scope,
        doc_id=doc_id,
        topic=topic,
        max_words=max_words,
        words=count_words(drafted.text),
        mode=drafted.mode,
        timings_ms={key: round(value, 2) for key, value in timings.items()},
    )


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000
