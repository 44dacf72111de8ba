"""Runs gold items through the same answer path as `POST /v1/ask` and computes the metrics."""

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from eval.gold import GoldItem
from eval.scorers import answer_correct, citation_hits, quote_hits, retrieval_rank
from service.answer.models import Answer
from service.answer.service import AnswerService

Metrics = dict[str, float | None]
RATES = (
    "answer_accuracy", "abstention_accuracy", "false_abstention_rate", "citation_precision",
    "citation_recall", "quote_validity", "retrieval_hit_at_k", "mrr",
)  # fmt: skip
LATENCIES = ("latency_ms_p50", "latency_ms_p95")


@dataclass(frozen=True)
class GoldResult:
    item: GoldItem
    answer: Answer
    latency_ms: float
    correct: bool
    cited_gold: int
    citations: int
    valid_quotes: int
    rank: int | None

    @property
    def passed(self) -> bool:
        """The item's verdict: an answerable item answered correctly, an unanswerable declined."""
        return self.correct if self.item.answerable else self.answer.abstained


def score(
    item: GoldItem, answer: Answer, latency_ms: float, texts: Callable[[str], str]
) -> GoldResult:
    """Every scorer's verdict on one answer; `texts` gives a document's stored text."""
    cited = {c.doc_id: texts(c.doc_id) for c in answer.citations}
    gold, total = citation_hits(item, answer)
    valid, _ = quote_hits(answer, cited)
    correct = answer_correct(item, answer)
    return GoldResult(
        item, answer, latency_ms, correct, gold, total, valid, retrieval_rank(item, answer)
    )


def run_items(
    answerer: AnswerService,
    items: list[GoldItem],
    texts: Callable[[str], str],
    on_item: Callable[[int, int], None] | None = None,
) -> list[GoldResult]:
    """Each item through `AnswerService.answer`, the call behind `POST /v1/ask`, timed."""
    results = []
    for index, item in enumerate(items, start=1):
        started = time.perf_counter()
        answer = answerer.answer(item.question, history=[(t.role, t.content) for t in item.history])
        results.append(score(item, answer, (time.perf_counter() - started) * 1000, texts))
        if on_item:
            on_item(index, len(items))
    return results


def ratio(numerator: float, denominator: float) -> float | None:
    """A rounded rate, or None when nothing was there to measure."""
    return round(numerator / denominator, 4) if denominator else None


def percentile(values: list[float], percent: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least `percent` % of values at or
    below it."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)], 2)


def summarise(results: list[GoldResult]) -> Metrics:
    """The INTERFACES.md metrics. A rate with nothing to measure (no unanswerable items, no
    citations) is None, which no floor or baseline comparison counts."""
    answerable = [r for r in results if r.item.answerable]
    unanswerable = [r for r in results if not r.item.answerable]
    latencies = [r.latency_ms for r in results]
    return {
        "n_items": len(results),
        "answer_accuracy": ratio(sum(r.correct for r in answerable), len(answerable)),
        "abstention_accuracy": ratio(
            sum(r.answer.abstained for r in unanswerable), len(unanswerable)
        ),
        "false_abstention_rate": ratio(
            sum(r.answer.abstained for r in answerable), len(answerable)
        ),
        "citation_precision": ratio(
            sum(r.cited_gold for r in answerable), sum(r.citations for r in answerable)
        ),
        "citation_recall": ratio(sum(r.cited_gold > 0 for r in answerable), len(answerable)),
        "quote_validity": ratio(
            sum(r.valid_quotes for r in results), sum(r.citations for r in results)
        ),
        "retrieval_hit_at_k": ratio(sum(r.rank is not None for r in answerable), len(answerable)),
        "mrr": round(statistics.fmean([1 / r.rank if r.rank else 0.0 for r in answerable]), 4)
        if answerable
        else None,
        "latency_ms_p50": percentile(latencies, 50),
        "latency_ms_p95": percentile(latencies, 95),
    }


def by_type(results: list[GoldResult]) -> dict[str, Metrics]:
    """The same metrics for each question type (latency left out), types in name order."""
    groups: dict[str, list[GoldResult]] = {}
    for result in results:
        groups.setdefault(result.item.type, []).append(result)
    return {
        name: {k: v for k, v in summarise(group).items() if k not in LATENCIES}
        for name, group in sorted(groups.items())
    }
