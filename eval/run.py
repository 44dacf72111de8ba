"""Runs gold items through the same answer path as `POST /v1/ask` and computes the metrics."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from eval.gold import GoldItem
from eval.scorers import answer_correct, citation_hits, quote_hits, retrieval_rank
from service.answer.models import Answer
from service.answer.service import AnswerService


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


def run_items(
    answerer: AnswerService,
    items: list[GoldItem],
    texts: Callable[[str], str],
    on_item: Callable[[int, int], None] | None = None,
) -> list[GoldResult]:
    results = []
    for index, item in enumerate(items, start=1):
        started = time.perf_counter()
        answer = answerer.answer(item.question, history=[(t.role, t.content) for t in item.history])
        latency = (time.perf_counter() - started) * 1000
        cited = {c.doc_id: texts(c.doc_id) for c in answer.citations}
        gold, total = citation_hits(item, answer)
        valid, _ = quote_hits(answer, cited)
        results.append(
            GoldResult(
                item,
                answer,
                latency,
                answer_correct(item, answer),
                gold,
                total,
                valid,
                retrieval_rank(item, answer),
            )  # fmt: skip
        )
        if on_item:
            on_item(index, len(items))
    return results


def _ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 4) if denominator else 1.0


def summarise(results: list[GoldResult]) -> dict[str, float]:
    answerable = [r for r in results if r.item.answerable]
    unanswerable = [r for r in results if not r.item.answerable]
    latencies = sorted(r.latency_ms for r in results) or [0.0]
    cited = sum(r.citations for r in results)
    return {
        "n_items": len(results),
        "answer_accuracy": _ratio(sum(r.correct for r in answerable), len(answerable)),
        "abstention_accuracy": _ratio(
            sum(r.answer.abstained for r in unanswerable), len(unanswerable)
        ),
        "false_abstention_rate": _ratio(
            sum(r.answer.abstained for r in answerable), len(answerable)
        ),
        "citation_precision": _ratio(
            sum(r.cited_gold for r in answerable), sum(r.citations for r in answerable)
        ),
        "citation_recall": _ratio(sum(r.cited_gold > 0 for r in answerable), len(answerable)),
        "quote_validity": _ratio(sum(r.valid_quotes for r in results), cited),
        "retrieval_hit_at_k": _ratio(sum(r.rank is not None for r in answerable), len(answerable)),
        "mrr": round(
            statistics.fmean([1 / r.rank if r.rank else 0.0 for r in answerable] or [0.0]), 4
        ),
        "latency_ms_p50": round(latencies[len(latencies) // 2], 2),
        "latency_ms_p95": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))], 2),
    }
