"""Evaluation harness: gold Q&A sets, named scorers, a runner, reports and a regression gate."""

from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent
THRESHOLDS = EVAL_DIR / "thresholds.toml"
BASELINE = EVAL_DIR / "baseline.json"  # dev + holdout, rewritten only by --update-baseline
ARTICLES = EVAL_DIR.parent / "data" / "articles"
