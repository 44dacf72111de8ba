"""The machine a benchmark ran on, and bench/RESULTS.md built from bench/results/*.json."""

import json
import os
import platform
from importlib.metadata import version
from pathlib import Path
from typing import Any

ORDER = ["1k", "10k", "100k"]


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            p: version(p) for p in ("torch", "onnxruntime", "chromadb", "sentence-transformers")
        },
    }


def _targets(results: dict[str, dict[str, Any]]) -> list[tuple[str, str, bool | None]]:
    def ours(scale: str) -> dict[str, Any] | None:
        return results.get(scale, {}).get("newsqa")

    rows: list[tuple[str, str, bool | None]] = []
    for scale, result in results.items():
        newsqa, plain = result.get("newsqa"), result.get("plain")
        ratio = newsqa["docs_per_s"] / plain["docs_per_s"] if newsqa and plain else None
        rows.append(
            _row(
                f"ingest ≥ 1.5× plain LangChain ({scale})",
                ratio and round(ratio, 2),
                "×",
                1.5,
                ratio,
            )
        )
        speedup = (
            newsqa["ingest_seconds"] / max(newsqa["reingest_seconds"], 1e-6) if newsqa else None
        )
        rows.append(
            _row(
                f"unchanged re-ingest ≥ 20× faster ({scale})",
                speedup and round(speedup),
                "×",
                20,
                speedup,
            )
        )
    for scale, limit in (("1k", 50), ("100k", 100)):
        found = ours(scale)
        p50 = found["answer_http"]["p50_ms"] if found else None
        rows.append(_row(f"answer p50 ≤ {limit} ms over HTTP ({scale})", p50, " ms", p50, limit))
    found = ours("1k")
    rate = found["throughput"][-1]["answers_per_s"] if found else None
    rows.append(_row("≥ 20 answers/s at 8 clients (1k)", rate, "/s", 20, rate))
    found = ours("100k")
    rss = found["server_peak_rss_mb"] if found else None
    rows.append(_row("server peak RSS ≤ 1.5 GB (100k)", rss, " MB", rss, 1536))
    return rows


def _row(
    label: str, value: float | None, unit: str, low: float | None, high: float | None
) -> tuple[str, str, bool | None]:
    """A target met when low ≤ high; "not run" when the scale was not measured."""
    if value is None or low is None or high is None:
        return label, "not run", None
    return label, f"{value}{unit}", low <= high


def write_results(folder: Path, target: Path) -> None:
    loaded = {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}
    results = {name: loaded[name] for name in ORDER if name in loaded}
    if not results:
        return
    any_result = next(iter(results.values()))
    box = any_result["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); every figure is measured in the same run, on "
        "the same corpus and machine, for newsqa and for the plain LangChain pipeline "
        "(RecursiveCharacterTextSplitter 1000/200 → all-MiniLM-L6-v2 → Chroma → similarity "
        "top-4). Both embed with the same MiniLM weights: the plain pipeline through "
        "sentence-transformers in batches of 32, as HuggingFaceEmbeddings does; newsqa through "
        "its int8 ONNX build of them. Ingest figures are medians of the runs shown; latencies "
        "are p50/p95 over every pass of the gold questions after a warm-up pass.",
        "",
        f"Machine: {box['cpu']}, {box['cores']} cores, {box['memory_gib']} GiB, {box['os']}, "
        f"Python {box['python']}, "
        + ", ".join(f"{k} {v}" for k, v in box["versions"].items())
        + ". Model load (reported apart): newsqa {}, plain {} s.".format(
            *any_result["model_load_seconds"]
        ),
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    for label, value, met in _targets(results):
        lines.append(f"| {label} | {value} | {'yes' if met else 'no' if met is False else '—'} |")
    lines += [
        "",
        "## Figures",
        "",
        "| scale | system | docs | chunks | ingest s (runs) | docs/s | chunks/s | re-ingest s "
        "| rebuild s | retrieval p50/p95 ms | answer p50/p95 ms (HTTP) "
        "| answers/s at 1/4/8 clients | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for scale, result in results.items():
        lines.append(
            _newsqa_row(scale, result)
            if "newsqa" in result
            else f"| {scale} | newsqa | not measured in this run |" + " |" * 10
        )
        lines.append(
            _plain_row(scale, result)
            if "plain" in result
            else f"| {scale} | plain LangChain | not measured in this run |" + " |" * 10
        )
    target.write_text("\n".join(lines) + "\n")


def _newsqa_row(scale: str, result: dict[str, Any]) -> str:
    ours = result["newsqa"]
    rates = "/".join(str(t["answers_per_s"]) for t in ours["throughput"])
    failed = sum(t["failed"] for t in ours["throughput"])
    return (
        f"| {scale} | newsqa | {ours['documents']} | {ours['chunks']} | "
        f"{ours['ingest_seconds']} ({result['repeats']}) | {ours['docs_per_s']} | "
        f"{ours['chunks_per_s']} | {ours['reingest_seconds']} | "
        f"{ours.get('rebuild_seconds', 'not measured')} | "
        f"{ours['retrieval_p50_ms']}/{ours['retrieval_p95_ms']} | "
        f"{ours['answer_http']['p50_ms']}/{ours['answer_http']['p95_ms']} | "
        f"{rates}{f' ({failed} failed)' if failed else ''} | {ours['server_peak_rss_mb']} |"
    )


def _plain_row(scale: str, result: dict[str, Any]) -> str:
    plain = result["plain"]
    again = plain["again"]
    rerun = (
        f"{round(again['seconds'], 2)} (adds duplicates: "
        f"{again['chunks_before']} → {again['chunks_after']} chunks)"
        if again
        else "not run (re-embeds everything)"
    )
    return (
        f"| {scale} | plain LangChain | {plain['documents']} | {plain['chunks']} | "
        f"{plain['ingest_seconds']} ({result['repeats']}) | {plain['docs_per_s']} | "
        f"{plain['chunks_per_s']} | {rerun} | — | "
        f"{plain['retrieval_p50_ms']}/{plain['retrieval_p95_ms']} | — | — | — |"
    )
