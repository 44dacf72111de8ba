"""`make bench` / `python -m bench [--scales 1k,10k,100k] [--repeats N]`: measure newsqa beside
the plain LangChain pipeline at each scale, write bench/results/<scale>.json and regenerate
bench/RESULTS.md from every result present. Progress goes to stderr."""

import argparse
import json
import time
from pathlib import Path
from typing import Any

from bench.measure import (
    corpus_files,
    ingest_newsqa,
    ingest_plain,
    median_of,
    rebuild_newsqa,
    reingest_plain,
    say,
    serve_and_load,
)
from bench.report import machine, write_results
from eval.gold import load_gold_sets
from service.config import load_settings
from vectorstore.embeddings import Embedder, TorchMiniLM, make_embedder

BENCH = Path(__file__).resolve().parent
SCALES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
GOLD = BENCH.parent / "eval" / "gold"


def questions() -> list[str]:
    items, _ = load_gold_sets([GOLD / "dev.jsonl", GOLD / "holdout.jsonl"])
    return [item.question for item in items if not item.history]


def run_scale(
    name: str,
    work: Path,
    models: tuple[Embedder, TorchMiniLM],
    repeats: int,
    passes: int,
    seconds: float,
    plain_again_up_to: int,
    systems: set[str],
) -> dict[str, Any]:
    ours, theirs = models
    chunks = SCALES[name]
    say(f"[{name}] corpus of about {chunks:,} chunks")
    files = corpus_files(work, chunks)
    asked = questions()
    result: dict[str, Any] = {"scale": name, "repeats": repeats, "questions": len(asked)}
    # newsqa first, its HTTP phase next: a failure there shows before the long plain runs.
    if "newsqa" in systems:
        newsqa_runs = []
        for repeat in range(1, repeats + 1):
            say(f"[{name}] run {repeat}/{repeats}: newsqa")
            # A new folder a run: Chroma keeps one client per path in a process, and a client
            # whose files were deleted under it fails (or writes to the deleted files).
            store = work / "newsqa" / f"run-{repeat}"
            newsqa_runs.append(ingest_newsqa(files, store, ours, asked, passes))
            say(f"[{name}]   {_brief(newsqa_runs[-1])}")
        say(f"[{name}] newsqa over HTTP: latency, then 1/4/8 clients for {seconds:g} s each")
        served = serve_and_load(store, asked, passes, seconds)
        say(f"[{name}]   {served}")
        say(f"[{name}] newsqa rebuilding a copy of the store as if damaged")
        rebuilt = round(rebuild_newsqa(store, ours), 2)
        result["newsqa"] = {
            "runs": newsqa_runs,
            **_ingest_medians(newsqa_runs),
            "reingest_seconds": round(median_of(newsqa_runs, "reingest_seconds"), 3),
            "rebuild_seconds": rebuilt,
            **served,
        }
    if "plain" in systems:
        plain_runs = []
        for repeat in range(1, repeats + 1):
            say(f"[{name}] run {repeat}/{repeats}: plain LangChain")
            plain_runs.append(ingest_plain(files, work / "plain", theirs, asked, passes))
            say(f"[{name}]   {_brief(plain_runs[-1])}")
        plain_again = None
        if chunks <= plain_again_up_to:
            say(f"[{name}] plain LangChain run again over the same files")
            plain_again = reingest_plain(files, work / "plain", theirs)
        result["plain"] = {"runs": plain_runs, **_ingest_medians(plain_runs), "again": plain_again}
    return result


def _brief(run: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value}" for key, value in run.items())


def _ingest_medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = median_of(runs, "seconds")
    return {
        "ingest_seconds": round(seconds, 2),
        "chunks": runs[-1]["chunks"],
        "documents": runs[-1]["documents"],
        "chunks_per_s": round(runs[-1]["chunks"] / seconds, 1),
        "docs_per_s": round(runs[-1]["documents"] / seconds, 1),
        "retrieval_p50_ms": median_of([r["retrieval"] for r in runs], "p50_ms"),
        "retrieval_p95_ms": median_of([r["retrieval"] for r in runs], "p95_ms"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scales", default="1k,10k,100k", help="comma-separated: 1k 10k 100k")
    parser.add_argument("--repeats", type=int, default=3, help="ingest runs per scale (median)")
    parser.add_argument("--passes", type=int, default=3, help="latency passes over the questions")
    parser.add_argument("--seconds", type=float, default=15, help="per concurrency level")
    parser.add_argument(
        "--plain-again-up-to",
        default="10k",
        choices=SCALES,
        help="largest scale at which the plain pipeline is run a second time (it re-embeds all)",
    )
    parser.add_argument(
        "--systems", default="newsqa,plain", help="comma-separated: newsqa plain (default both)"
    )
    parser.add_argument("--work", type=Path, default=BENCH / ".work", help="corpora and stores")
    args = parser.parse_args()
    names = [name.strip() for name in args.scales.split(",") if name.strip()]
    unknown = [name for name in names if name not in SCALES]
    if unknown:
        parser.error(f"unknown scale {unknown}; choose from {', '.join(SCALES)}")
    systems = {system.strip() for system in args.systems.split(",") if system.strip()}
    if not systems or systems - {"newsqa", "plain"}:
        parser.error("--systems takes newsqa, plain or both")
    # newsqa's own embedder (int8 ONNX); the plain pipeline's sentence-transformers as
    # HuggingFaceEmbeddings runs it. Loads are timed apart from ingest.
    models = (make_embedder(load_settings(_env_file=None)), TorchMiniLM(batch_size=32))
    load_seconds = []
    for model in models:
        started = time.perf_counter()
        model.embed(["warm up"])
        load_seconds.append(round(time.perf_counter() - started, 2))
    say(f"models loaded in {load_seconds[0]} s (newsqa) and {load_seconds[1]} s (plain)")
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    for name in names:
        result = run_scale(
            name,
            args.work / name,
            models,
            args.repeats,
            args.passes,
            args.seconds,
            SCALES[args.plain_again_up_to],
            systems,
        )
        result["model_load_seconds"] = load_seconds
        result["machine"] = machine()
        result["measured_at"] = time.strftime("%Y-%m-%d %H:%M")
        (results / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
        say(f"[{name}] done; results/{name}.json written")
    write_results(results, BENCH / "RESULTS.md")
    say("bench/RESULTS.md written")


if __name__ == "__main__":
    main()
