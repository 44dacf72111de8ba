"""The gate: floors and ceilings from eval/thresholds.toml, and with a baseline (a previous
`summary.json`) no aggregate worse beyond a tolerance and no critical item from pass to fail."""

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval import THRESHOLDS
from eval.run import LATENCIES, RATES
from service.errors import InputError

CEILINGS = frozenset({"false_abstention_rate", *LATENCIES})
METRICS = (*RATES, *LATENCIES)


@dataclass(frozen=True)
class Tolerance:
    rate: float = 0.02
    latency_factor: float = 0.0  # 0: latency is reported, never a regression


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read thresholds {path}: {exc}") from None


def load_thresholds(path: Path = THRESHOLDS) -> dict[str, float]:
    """The floors and ceilings: the top-level numbers of thresholds.toml."""
    limits = {k: v for k, v in _read_toml(path).items() if not isinstance(v, dict)}
    unknown = sorted(set(limits) - set(METRICS))
    if unknown:
        raise InputError(f"{path}: unknown metrics {unknown}")
    return {key: float(value) for key, value in limits.items()}


def load_tolerance(path: Path = THRESHOLDS) -> Tolerance:
    table = _read_toml(path).get("baseline", {})
    try:
        return Tolerance(**{key: float(value) for key, value in table.items()})
    except (TypeError, ValueError) as exc:
        raise InputError(f"{path}: bad [baseline] table: {exc}") from None


def failures(summary: dict[str, Any], thresholds: dict[str, float]) -> list[str]:
    """One line per metric on the wrong side of its threshold."""
    found = []
    for metric, limit in thresholds.items():
        value = summary.get(metric)
        if value is None:
            continue
        if metric in CEILINGS and value > limit:
            found.append(f"{metric} {value} is above the ceiling {limit}")
        elif metric not in CEILINGS and value < limit:
            found.append(f"{metric} {value} is below the floor {limit}")
    return found


def load_baseline(path: Path) -> dict[str, Any]:
    """A previous run's summary.json (or the committed eval/baseline.json)."""
    try:
        baseline = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"baseline {path} is not JSON: {exc}") from None
    if not isinstance(baseline, dict) or not isinstance(baseline.get("items"), dict):
        raise InputError(f"baseline {path} is not a summary.json from `newsqa eval --out`")
    bad = [m for m in METRICS if not isinstance(baseline.get(m), int | float | None)]
    if bad or any(not isinstance(v, dict) for v in baseline["items"].values()):
        raise InputError(f"baseline {path}: malformed metrics or items {bad}")
    return baseline


@dataclass(frozen=True)
class MetricChange:
    metric: str
    value: float | None
    baseline: float | None
    status: str  # regression, within tolerance, improvement, unchanged, not gated, not compared

    @property
    def delta(self) -> float | None:
        if self.value is None or self.baseline is None:
            return None
        return round(self.value - self.baseline, 4)


@dataclass(frozen=True)
class ItemChange:
    id: str
    status: str  # regressed | improved | unchanged | new | removed
    critical: bool
    passed: bool | None
    was: bool | None


@dataclass(frozen=True)
class Comparison:
    metrics: list[MetricChange]
    items: list[ItemChange]
    tolerance: Tolerance

    def failures(self) -> list[str]:
        found = [
            f"{m.metric} went from {m.baseline} to {m.value}, beyond the tolerance "
            + (
                f"{self.tolerance.rate}"
                if m.metric in RATES
                else f"×{self.tolerance.latency_factor}"
            )
            for m in self.metrics
            if m.status == "regression"
        ]
        found += [
            f"critical item {i.id} passed in the baseline and fails now"
            for i in self.items
            if i.critical and i.status == "regressed"
        ]
        return found


def _metric_status(metric: str, value: Any, was: Any, tolerance: Tolerance) -> str:
    if value is None or was is None:
        return "not compared"
    better = (was - value) if metric in CEILINGS else (value - was)
    if metric in LATENCIES:
        factor = tolerance.latency_factor
        if not factor:
            return "not gated"
        if value > was * factor:
            return "regression"
        return "improvement" if better > 0 else "unchanged" if better == 0 else "within tolerance"
    if better < -tolerance.rate - 1e-9:
        return "regression"
    return "improvement" if better > 0 else "unchanged" if better == 0 else "within tolerance"


def compare(summary: dict[str, Any], baseline: dict[str, Any], tolerance: Tolerance) -> Comparison:
    metrics = []
    for metric in METRICS:
        value, was = summary.get(metric), baseline.get(metric)
        metrics.append(
            MetricChange(metric, value, was, _metric_status(metric, value, was, tolerance))
        )
    now: dict[str, dict[str, Any]] = summary["items"]
    before: dict[str, dict[str, Any]] = baseline["items"]
    items = []
    for item_id in [*now, *(i for i in before if i not in now)]:
        current, previous = now.get(item_id), before.get(item_id)
        passed = bool(current["passed"]) if current else None
        was = bool(previous.get("passed")) if previous else None
        if current is None:
            status = "removed"
        elif previous is None:
            status = "new"
        else:
            status = "unchanged" if passed == was else "regressed" if was else "improved"
        critical = bool(current["critical"] if current else previous and previous.get("critical"))
        items.append(ItemChange(item_id, status, critical, passed, was))
    return Comparison(metrics, items, tolerance)
