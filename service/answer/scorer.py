"""The learned sentence scorer: logistic regression over `features.FEATURES`, its weights and
decline threshold in a committed file written by `python -m eval.train_scorer` (trained on the
gold sets, cross-validated by article, so the threshold is chosen on articles it never saw)."""

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from service.answer.decline import DECLINE_FEATURES
from service.answer.features import FEATURES, Candidate
from service.errors import ConfigError

WEIGHTS = Path(__file__).resolve().parent / "scorer_weights.json"


@dataclass(frozen=True)
class Logistic:
    """One logistic regression over named features, standardised with the training set's mean
    and spread."""

    features: tuple[str, ...]
    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        if not len(rows):
            return np.zeros(0)
        logits = ((rows - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-logits))

    def to_json(self) -> dict[str, object]:
        return {
            "features": list(self.features),
            "weights": [round(float(w), 6) for w in self.weights],
            "bias": round(self.bias, 6),
            "mean": [round(float(m), 6) for m in self.mean],
            "scale": [round(float(s), 6) for s in self.scale],
        }

    @classmethod
    def from_json(cls, data: dict[str, object], features: tuple[str, ...]) -> "Logistic":
        if data.get("features") != list(features):
            raise ValueError("trained on other features: run python -m eval.train_scorer")
        return cls(
            features,
            np.asarray(data["weights"], dtype=np.float64),
            float(data["bias"]),  # type: ignore[arg-type]
            np.asarray(data["mean"], dtype=np.float64),
            np.asarray(data["scale"], dtype=np.float64),
        )


@dataclass(frozen=True)
class ScorerModel:
    sentences: Logistic  # does this sentence hold the answer?
    decline: Logistic  # does the best sentence answer the question at all?
    answer_above: float  # the decline model's probability at or above which it answers
    companion_share: float  # a further sentence is cited at this share of the best's score

    def score(self, found: list[Candidate]) -> np.ndarray:
        return self.sentences.probabilities(
            np.stack([c.values for c in found]) if found else np.zeros(0)
        )

    def answers(self, row: np.ndarray) -> float:
        return float(self.decline.probabilities(row[None, :])[0])

    def to_json(self, **about: object) -> dict[str, object]:
        return {
            "sentences": self.sentences.to_json(),
            "decline": self.decline.to_json(),
            "answer_above": round(self.answer_above, 4),
            "companion_share": self.companion_share,
            **about,
        }


@lru_cache(maxsize=4)
def load_scorer(path: Path = WEIGHTS) -> ScorerModel:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ScorerModel(
            Logistic.from_json(data["sentences"], FEATURES),
            Logistic.from_json(data["decline"], DECLINE_FEATURES),
            float(data["answer_above"]),
            float(data["companion_share"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot read the answer scorer {path}: {exc}") from None


def fit_logistic(
    rows: np.ndarray, labels: np.ndarray, l2: float = 1.0, steps: int = 50
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Weights, bias, mean and scale by Newton's method on the L2-penalised log loss; positives
    weighted up to balance the classes (one answer sentence among dozens)."""
    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale < 1e-9] = 1.0
    x = np.hstack([(rows - mean) / scale, np.ones((len(rows), 1))])
    positives = max(1.0, float(labels.sum()))
    sample = np.where(labels > 0, (len(labels) - positives) / positives, 1.0)
    theta = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ theta)))
        gradient = x.T @ (sample * (p - labels)) + penalty * theta
        hessian = (x * (sample * p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return theta[:-1], float(theta[-1]), mean, scale
