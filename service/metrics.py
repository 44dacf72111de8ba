"""Prometheus metrics of one app: a registry of its own (so several apps in one process never
collide), built by `create_app`, never at import."""

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler, BaseCallbackManager
from langchain_core.language_models.chat_models import BaseChatModel
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder

from service.answer.models import Answer
from service.ingest.report import Outcome
from vectorstore.store import ArticleStore

ANSWER_MODES = ("extractive", "llm", "extractive_fallback")
ANSWER_STAGES = ("retrieve", "generate", "total")  # the keys of Answer.timings_ms
# From a cached summary (milliseconds) to an LLM stream (tens of seconds).
SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.requests = Counter(
            "newsqa_http_requests", "HTTP requests by method, route template and status",
            ["method", "route", "status"], registry=registry,
        )  # fmt: skip
        self.request_seconds = Histogram(
            "newsqa_http_request_duration_seconds",
            "Whole requests, to the last byte of the body (streams included)",
            ["method", "route"], buckets=SECONDS_BUCKETS, registry=registry,
        )  # fmt: skip
        self.answers = Counter(
            "newsqa_answers", "Answers by mode, and whether the question was declined",
            ["mode", "declined"], registry=registry,
        )  # fmt: skip
        self.stage_seconds = Histogram(
            "newsqa_answer_stage_duration_seconds",
            "Answer stages as timings_ms reports them: retrieve, generate, total",
            ["stage"], buckets=SECONDS_BUCKETS, registry=registry,
        )  # fmt: skip
        self.llm_calls = Counter(
            "newsqa_llm_calls", "Chat model calls by outcome (ok, error)", ["outcome"],
            registry=registry,
        )  # fmt: skip
        self.llm_seconds = Histogram(
            "newsqa_llm_call_duration_seconds", "Chat model calls, failed ones included",
            buckets=SECONDS_BUCKETS, registry=registry,
        )  # fmt: skip
        self.ingested = Counter(
            "newsqa_ingest_documents",
            "Documents ingested through this process's API, by outcome",
            ["outcome"], registry=registry,
        )  # fmt: skip
        # Known label values start at 0, so a rate is defined before the first event.
        for mode in ANSWER_MODES:
            for declined in ("true", "false"):
                self.answers.labels(mode=mode, declined=declined)
        for stage in ANSWER_STAGES:
            self.stage_seconds.labels(stage=stage)
        for outcome in ("ok", "error"):
            self.llm_calls.labels(outcome=outcome)
        for ingest_outcome in Outcome:
            self.ingested.labels(outcome=ingest_outcome.value)

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method=method, route=route, status=str(status)).inc()
        self.request_seconds.labels(method=method, route=route).observe(seconds)

    def answered(self, answer: Answer) -> None:
        declined = "true" if answer.abstained else "false"
        self.answers.labels(mode=answer.mode, declined=declined).inc()
        for stage, ms in answer.timings_ms.items():
            self.stage_seconds.labels(stage=stage).observe(ms / 1000)

    def ingest(self, counts: Mapping[str, int]) -> None:
        for outcome, count in counts.items():
            if count:
                self.ingested.labels(outcome=outcome).inc(count)

    def watch(self, store: ArticleStore, chat_model: BaseChatModel | None) -> Callable[[], None]:
        """Report the store's counts at each scrape and time the chat model's calls, until the
        returned function is called (at the end of the app's lifespan)."""
        counts = StoreCounts(store)
        self.registry.register(counts)
        undo_llm = _attach(chat_model, LLMCalls(self)) if chat_model else lambda: None

        def undo() -> None:
            self.registry.unregister(counts)
            undo_llm()

        return undo

    def exposition(self, accept: str) -> tuple[bytes, str]:
        """The scrape body and its content type: OpenMetrics when asked for, else plain text."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type


class StoreCounts:
    """Documents and chunks stored, read at scrape time: Chroma counts rows without a scan."""

    def __init__(self, store: ArticleStore) -> None:
        self.store = store

    def collect(self) -> Iterable[Metric]:
        try:
            documents, chunks = self.store.count_documents(), self.store.count_chunks()
        except Exception:  # a store that is down shows no counts; /readyz says why
            return []
        return [
            GaugeMetricFamily("newsqa_documents", "Documents in the store", value=documents),
            GaugeMetricFamily("newsqa_chunks", "Chunks in the store", value=chunks),
        ]


class LLMCalls(BaseCallbackHandler):
    """Counts and times every call of the chat model, from answers and summaries alike."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.started: dict[UUID, float] = {}
        self.lock = threading.Lock()  # calls run in worker threads, a summary's in parallel

    def on_chat_model_start(self, serialized: Any, messages: Any, *, run_id: UUID,
                            **kwargs: Any) -> None:  # fmt: skip
        with self.lock:
            self.started[run_id] = time.perf_counter()

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._finished(run_id, "ok")

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._finished(run_id, "error")

    def _finished(self, run_id: UUID, outcome: str) -> None:
        with self.lock:
            started = self.started.pop(run_id, None)
        self.metrics.llm_calls.labels(outcome=outcome).inc()
        if started is not None:
            self.metrics.llm_seconds.observe(time.perf_counter() - started)


def _attach(chat_model: BaseChatModel, handler: BaseCallbackHandler) -> Callable[[], None]:
    existing = chat_model.callbacks
    if isinstance(existing, BaseCallbackManager):
        existing.add_handler(handler)
        return lambda: existing.remove_handler(handler)
    chat_model.callbacks = [*(existing or []), handler]

    def detach() -> None:
        if isinstance(chat_model.callbacks, list):
            chat_model.callbacks = [h for h in chat_model.callbacks if h is not handler]

    return detach
