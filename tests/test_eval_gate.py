"""The committed gold sets through the real answer path must clear the committed thresholds.
The floors hold for dev + holdout; eval/gold/fresh.jsonl (written after tuning, never tuned on)
is gated only against its own baseline, in tests/test_eval_harness.py."""

from pathlib import Path

from eval.distractors import write_jsonl
from eval.gate import failures, load_thresholds
from eval.gold import load_gold
from eval.run import run_items, summarise
from service.config import load_settings
from service.services import Services, build_services
from tests.conftest import ARTICLES
from vectorstore.embeddings import Embedder

GOLD = Path(__file__).resolve().parent.parent / "eval" / "gold"
GATED = [GOLD / "dev.jsonl", GOLD / "holdout.jsonl"]


def gate(services: Services) -> list[str]:
    items = [item for path in GATED for item in load_gold(path)]
    assert len(items) >= 60 and sum(not i.answerable for i in items) >= 10

    def text(doc_id: str) -> str:
        document = services.store.get_document(doc_id)
        return document.text if document else ""

    summary = summarise(run_items(services.answerer, items, text))
    return failures(summary, load_thresholds()) + [str(summary)]


def test_gold_sets_clear_the_thresholds(sample_services: Services) -> None:
    problems = gate(sample_services)
    assert problems[:-1] == [], problems[-1]


def test_thresholds_hold_with_a_thousand_unrelated_passages_beside_the_articles(
    tmp_path: Path, minilm: Embedder
) -> None:
    services = build_services(
        load_settings(_env_file=None, data_dir=tmp_path / "store"), embedder=minilm
    )
    try:
        haystack = write_jsonl(tmp_path / "distractors.jsonl", 1000)
        report = services.ingestor.ingest_paths([ARTICLES, haystack])
        assert report.counts["added"] == 1005
        problems = gate(services)
        assert problems[:-1] == [], problems[-1]
    finally:
        services.close()


def test_gate_catches_a_degraded_run() -> None:
    good = {"answer_accuracy": 0.95, "false_abstention_rate": 0.02}
    limits = {"answer_accuracy": 0.9, "false_abstention_rate": 0.07}
    assert failures(good, limits) == []
    bad = {"answer_accuracy": 0.8, "false_abstention_rate": 0.1}
    assert failures(bad, limits) == [
        "answer_accuracy 0.8 is below the floor 0.9",
        "false_abstention_rate 0.1 is above the ceiling 0.07",
    ]
