"""The committed gold sets through the real answer path must clear the committed thresholds."""

from pathlib import Path

from eval.gate import failures, load_thresholds
from eval.gold import load_gold
from eval.run import run_items, summarise
from service.services import Services

GOLD = Path(__file__).resolve().parent.parent / "eval" / "gold"


def test_gold_sets_clear_the_thresholds(sample_services: Services) -> None:
    items = [item for path in sorted(GOLD.glob("*.jsonl")) for item in load_gold(path)]
    assert len(items) >= 60 and sum(not i.answerable for i in items) >= 10
    store = sample_services.store

    def text(doc_id: str) -> str:
        document = store.get_document(doc_id)
        return document.text if document else ""

    summary = summarise(run_items(sample_services.answerer, items, text))
    assert failures(summary, load_thresholds()) == [], summary


def test_gate_catches_a_degraded_run() -> None:
    good = {"answer_accuracy": 0.95, "false_abstention_rate": 0.02}
    limits = {"answer_accuracy": 0.9, "false_abstention_rate": 0.07}
    assert failures(good, limits) == []
    bad = {"answer_accuracy": 0.8, "false_abstention_rate": 0.1}
    assert failures(bad, limits) == [
        "answer_accuracy 0.8 is below the floor 0.9",
        "false_abstention_rate 0.1 is above the ceiling 0.07",
    ]
