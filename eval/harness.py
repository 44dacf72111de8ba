"""The eval harness: every gold item through the answer path of `POST /v1/ask`, the metrics,
the gate, and the files of a run: items.jsonl, summary.json, report.md, report.html."""

import json
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from eval import ARTICLES, BASELINE, THRESHOLDS
from eval.gate import (
    Comparison,
    compare,
    failures,
    load_baseline,
    load_thresholds,
    load_tolerance,
)
from eval.gold import GoldItem, load_gold_sets
from eval.judge import Judge, summarise_judge
from eval.records import item_record, verdicts
from eval.report import build, to_html, to_markdown
from eval.run import by_type, run_items, summarise
from service.config import Settings, load_settings
from service.errors import ConfigError, InputError
from service.services import Services, build_services

Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass
class Options:
    gold: list[Path]
    baseline: Path | None = None
    out: Path = Path("eval-output")
    update_baseline: bool = False
    floors: bool = True
    thresholds: Path = THRESHOLDS
    store: Literal["temp", "current"] = "temp"
    articles: Path = ARTICLES
    judge: bool | None = None  # None: judge when NEWSQA_LLM=openai


@dataclass
class Outcome:
    records: list[dict[str, Any]]
    summary: dict[str, Any]
    failures: list[str]
    comparison: Comparison | None
    baseline_written: Path | None = None
    files: list[Path] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.failures else 0


@contextmanager
def open_services(options: Options, progress: Progress | None = None) -> Iterator[Services]:
    """`temp`: the articles ingested into a fresh embedded store in a temporary folder, which
    the run leaves nothing of; `current`: the configured store, read only."""
    if options.store == "current":
        services = build_services(load_settings(), writer=False)
        try:
            if not services.store.count_documents():
                raise InputError("the configured store is empty: ingest articles first")
            yield services
        finally:
            services.close()
        return
    if not options.articles.exists():
        raise InputError(f"no articles at {options.articles} (give --articles DIR)")
    with tempfile.TemporaryDirectory(prefix="newsqa-eval-", ignore_cleanup_errors=True) as tmp:
        settings = load_settings(data_dir=Path(tmp) / "store", chroma_url=None)
        services = build_services(settings, writer=True)
        try:
            report = services.ingestor.ingest_paths(
                [options.articles], on_progress=lambda d, t: progress and progress("ingest", d, t)
            )
            if report.failed:
                bad = report.failed[0]
                raise InputError(f"cannot ingest {bad.source}: {bad.error}")
            if not services.store.count_documents():
                raise InputError(f"no articles to ingest in {options.articles}")
            yield services
        finally:
            services.close()


def evaluate(
    services: Services,
    items: list[GoldItem],
    gold_files: list[dict[str, Any]],
    judge: Judge | None = None,
    progress: Progress | None = None,
    store: str = "temp",
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-item records and the summary of one run."""
    missing = sorted({s for i in items for s in i.sources} - set(services.store.document_ids()))
    if missing:
        raise InputError(f"gold sources not in the store: {', '.join(missing[:5])}")
    started = time.perf_counter()
    texts: dict[str, str] = {}

    def text(doc_id: str) -> str:
        if doc_id not in texts:
            document = services.store.get_document(doc_id)
            texts[doc_id] = document.text if document else ""
        return texts[doc_id]

    results = run_items(
        services.answerer, items, text, lambda d, t: progress and progress("answer", d, t)
    )
    records = [item_record(result) for result in results]
    summary: dict[str, Any] = {
        **summarise(results),
        "n_answerable": sum(i.answerable for i in items),
        "n_unanswerable": sum(not i.answerable for i in items),
        "by_type": by_type(results),
    }
    if judge is not None:
        judged = []
        for done, (record, result) in enumerate(zip(records, results, strict=True), start=1):
            record["judge"] = judge.judge(result.item.question, result.answer)
            judged.append(record["judge"])
            if progress:
                progress("judge", done, len(records))
        summary["judge"] = summarise_judge(judged, judge.name)
    summary["items"] = verdicts(records)
    summary["run"] = {
        "gold": gold_files,
        "mode": getattr(services.answerer.generator, "name", "?"),
        "store": store,
        "documents": services.store.count_documents(),
        "chunks": services.store.count_chunks(),
        "embedder": services.embedder.name,
        "seconds": round(time.perf_counter() - started, 2),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return records, summary


def make_judge(settings: Settings, wanted: bool | None) -> Judge | None:
    """The configured chat model as judge: by default only when NEWSQA_LLM=openai."""
    configured = settings.llm == "openai"
    if wanted and not configured:
        raise ConfigError("the LLM judge needs an LLM: set NEWSQA_LLM=openai")
    if not configured or wanted is False:
        return None
    from service.answer.llm import make_chat_model

    return Judge(make_chat_model(settings), settings.llm_model)


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def run(
    options: Options,
    progress: Progress | None = None,
    services: Services | None = None,
    judge: Judge | None = None,
) -> Outcome:
    """Everything but exit codes: a bad input raises a NewsqaError (a harness error)."""
    items, gold_files = load_gold_sets(options.gold)
    thresholds = load_thresholds(options.thresholds)
    tolerance = load_tolerance(options.thresholds)
    target = options.baseline or (BASELINE if options.update_baseline else None)
    known = target is not None and (target.exists() or not options.update_baseline)
    baseline = load_baseline(target) if target is not None and known else None
    try:
        options.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {options.out}: {exc.strerror or exc}") from None
    if services is not None:
        records, summary = evaluate(services, items, gold_files, judge, progress, "given")
    else:
        judge = judge or make_judge(load_settings(), options.judge)
        with open_services(options, progress) as opened:
            records, summary = evaluate(opened, items, gold_files, judge, progress, options.store)
    found = failures(summary, thresholds) if options.floors else []
    comparison = compare(summary, baseline, tolerance) if baseline is not None else None
    if comparison is not None and not options.update_baseline:
        found += comparison.failures()
    outcome = Outcome(records, summary, found, comparison)
    items_path = options.out / "items.jsonl"
    items_path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    sections = build(summary, records, found, thresholds if options.floors else {}, comparison)
    report_md, report_html = options.out / "report.md", options.out / "report.html"
    report_md.write_text(to_markdown(sections), encoding="utf-8")
    report_html.write_text(to_html(sections), encoding="utf-8")
    outcome.files = [write_json(options.out / "summary.json", summary), items_path, report_md]
    outcome.files.append(report_html)
    if options.update_baseline and target is not None and not found:
        outcome.baseline_written = write_json(target, summary)
    return outcome
