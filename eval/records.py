"""Per-item results as written to items.jsonl, and the per-item verdicts summary.json keeps so
that a later run can tell which items flipped."""

from typing import Any

from eval.run import GoldResult


def item_record(result: GoldResult) -> dict[str, Any]:
    """One line of items.jsonl: the question, what came back, the counts every aggregate is
    computed from, and pass/fail per metric (None where the metric does not apply)."""
    item, answer = result.item, result.answer
    answerable, cited = item.answerable, result.citations
    record: dict[str, Any] = {
        "id": item.id,
        "question": item.question,
        "type": item.type,
        "answerable": answerable,
        "critical": item.critical,
        "expected": item.answer,
        "sources": item.sources,
        "answer": answer.answer,
        "abstained": answer.abstained,
        "mode": answer.mode,
        "citations": [citation.model_dump() for citation in answer.citations],
        "retrieved": [hit.model_dump() for hit in answer.retrieved],
        "latency_ms": round(result.latency_ms, 2),
        "counts": {
            "citations": cited,
            "cited_gold": result.cited_gold,
            "valid_quotes": result.valid_quotes,
            "retrieval_rank": result.rank,
        },
        "pass": {
            "item": result.passed,
            "answer": result.correct if answerable else None,
            "abstention": answer.abstained if not answerable else None,
            "no_false_abstention": not answer.abstained if answerable else None,
            "citation_precision": result.cited_gold == cited if answerable and cited else None,
            "citation_recall": result.cited_gold > 0 if answerable else None,
            "quote_validity": result.valid_quotes == cited if cited else None,
            "retrieval_hit": result.rank is not None if answerable else None,
        },
    }
    if item.history:
        record["history"] = [turn.model_dump() for turn in item.history]
    if answer.question:
        record["rewritten_question"] = answer.question
    return record


def verdicts(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """id → {passed, critical, type}: what `--baseline` compares item by item."""
    return {
        r["id"]: {"passed": r["pass"]["item"], "critical": r["critical"], "type": r["type"]}
        for r in records
    }
