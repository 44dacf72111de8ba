"""Floors and ceilings from eval/thresholds.toml, checked against a run's summary."""

import tomllib
from pathlib import Path

THRESHOLDS = Path(__file__).resolve().parent / "thresholds.toml"
CEILINGS = frozenset({"false_abstention_rate", "latency_ms_p50", "latency_ms_p95"})


def load_thresholds(path: Path = THRESHOLDS) -> dict[str, float]:
    with path.open("rb") as handle:
        return {key: float(value) for key, value in tomllib.load(handle).items()}


def failures(summary: dict[str, float], thresholds: dict[str, float]) -> list[str]:
    """One line per metric on the wrong side of its threshold."""
    found = []
    for metric, limit in thresholds.items():
        value = summary[metric]
        if metric in CEILINGS and value > limit:
            found.append(f"{metric} {value} is above the ceiling {limit}")
        elif metric not in CEILINGS and value < limit:
            found.append(f"{metric} {value} is below the floor {limit}")
    return found
