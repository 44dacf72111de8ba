"""`python -m eval.train_scorer`: fit the extractive answerer's sentence scorer on the tuning gold
sets and write service/answer/scorer_weights.json.

Every candidate sentence the real retrieval gives a gold question is a row; it is positive when
it holds one of the item's `must_include` facts. Folds leave whole articles out, so the decline
threshold is chosen on questions about articles the scorer never saw: the one with the most
items right, a lookalike answered counting LOOKALIKE_COST times an answerable question
declined."""

import argparse
import json
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from eval import EVAL_DIR
from eval.gold import GoldItem, load_gold_sets
from eval.scorers import holds_fact
from service.answer.decline import DECLINE_FEATURES, decline_features
from service.answer.evidence import Evidence, collect_sentences
from service.answer.features import FEATURES, Candidate, candidates
from service.answer.learned import LearnedSelector
from service.answer.question import Question, analyse
from service.answer.scorer import WEIGHTS, Logistic, ScorerModel, fit_logistic
from service.answer.vectors import VectorSource
from service.config import load_settings
from service.services import Services, build_services

ROOT = EVAL_DIR.parent
GOLD = EVAL_DIR / "gold"
# Each tuning gold set with the articles it is about, each corpus in a store of its own as a
# user would have it.
TUNING = [
    (ROOT / "data" / "articles", [GOLD / "dev.jsonl", GOLD / "holdout.jsonl"]),
    (ROOT / "data" / "corpus-dev", [GOLD / "corpus-dev-tune.jsonl"]),
]
FOLDS = 5
COMPANION_SHARE = 0.6


@dataclass
class Example:
    item: GoldItem
    question: Question
    evidence: Evidence
    found: list[Candidate]
    labels: np.ndarray
    article: str


def gather(services: Services, items: list[GoldItem]) -> list[Example]:
    vectors = VectorSource(services.retriever)
    examples = []
    for item in items:
        history = [(t.role, t.content) for t in item.history]
        retrieval = services.answerer.retrieve(item.question, history=history)
        evidence = collect_sentences(services.retriever, retrieval.passages)
        evidence = vectors.attach(evidence, retrieval.standalone)
        question = analyse(retrieval.standalone)
        assert evidence.question_vector is not None
        found = candidates(question, evidence, evidence.question_vector, evidence.vectors)
        facts = [alt for group in item.must_include for alt in group] if item.answerable else []
        labels = np.array([float(holds_fact(c.sentence.text, facts)) for c in found])
        top = retrieval.passages[0].chunk.doc_id if retrieval.passages else "-"
        article = item.sources[0] if item.sources else top
        examples.append(Example(item, question, evidence, found, labels, article))
    return examples


def fit_sentences(examples: list[Example], l2: float) -> Logistic:
    rows = np.vstack([np.stack([c.values for c in e.found]) for e in examples if e.found])
    labels = np.concatenate([e.labels for e in examples if e.found])
    return Logistic(FEATURES, *fit_logistic(rows, labels, l2))


@dataclass(frozen=True)
class Outcome:
    answerable: bool
    row: np.ndarray  # the decline features of its best sentence
    correct: bool  # right when answered
    answers: float = 0.0  # the decline model's probability, out of fold


def outcome(example: Example, sentences: Logistic) -> Outcome:
    """The item scored by a sentence model that never saw its article: what it would cite, and
    the decline features of its best sentence."""
    always = Logistic(DECLINE_FEATURES, np.zeros(len(DECLINE_FEATURES)), 10.0,
                      np.zeros(len(DECLINE_FEATURES)), np.ones(len(DECLINE_FEATURES)))  # fmt: skip
    model = ScorerModel(sentences, always, 0.0, COMPANION_SHARE)
    selector = LearnedSelector(model)
    ranked = selector.rank(example.question, example.evidence)
    if not ranked:
        return Outcome(example.item.answerable, np.zeros(len(DECLINE_FEATURES)), False)
    second = ranked[1].probability if len(ranked) > 1 else 0.0
    row = decline_features(
        example.question, example.evidence, ranked[0].candidate, ranked[0].probability, second
    )
    chosen = selector.choose(example.question, example.evidence, ranked)
    text = " ".join(s.text for s in chosen.sentences)
    correct = all(holds_fact(text, group) for group in example.item.must_include)
    return Outcome(example.item.answerable, row, correct and example.item.answerable)


def folds(examples: list[Example]) -> list[int]:
    articles = sorted({e.article for e in examples})
    order = np.random.default_rng(0).permutation(len(articles))
    fold_of = {articles[i]: n % FOLDS for n, i in enumerate(order)}
    return [fold_of[e.article] for e in examples]


def fit_decline(outcomes: list[Outcome], l2: float) -> Logistic:
    rows = np.stack([o.row for o in outcomes])
    labels = np.array([float(o.answerable) for o in outcomes])
    return Logistic(DECLINE_FEATURES, *fit_logistic(rows, labels, l2))


def cross_validate(examples: list[Example], l2: float) -> list[Outcome]:
    """Out-of-fold outcomes: the sentence model, then the decline model over its outputs, each
    fitted without the articles it is scored on."""
    fold_of = folds(examples)
    outcomes: list[Outcome] = [Outcome(False, np.zeros(0), False)] * len(examples)
    for fold in range(FOLDS):
        sentences = fit_sentences(
            [e for e, f in zip(examples, fold_of, strict=True) if f != fold], l2
        )
        for index, example in enumerate(examples):
            if fold_of[index] == fold:
                outcomes[index] = outcome(example, sentences)
    scored: list[Outcome] = list(outcomes)
    for fold in range(FOLDS):
        decline = fit_decline([o for o, f in zip(outcomes, fold_of, strict=True) if f != fold], l2)
        for index, o in enumerate(outcomes):
            if fold_of[index] == fold:
                scored[index] = replace(o, answers=float(decline.probabilities(o.row[None])[0]))
    return scored


def at_threshold(results: list[Outcome], threshold: float) -> dict[str, float]:
    yes = [r for r in results if r.answerable]
    no = [r for r in results if not r.answerable]
    answered = [r.answers >= threshold for r in yes]
    return {
        "threshold": round(threshold, 4),
        "answer_accuracy": round(
            sum(r.correct and a for r, a in zip(yes, answered, strict=True)) / len(yes), 4
        ),
        "false_abstention_rate": round(answered.count(False) / len(yes), 4),
        "abstention_accuracy": round(sum(r.answers < threshold for r in no) / max(1, len(no)), 4),
    }


# Answering a lookalike misleads a reader; declining an answerable question only fails to help.
LOOKALIKE_COST = 2.0


def choose_threshold(results: list[Outcome]) -> dict[str, float]:
    """The threshold with the most right, a lookalike answered counting LOOKALIKE_COST times a
    missed answer."""
    options = [at_threshold(results, t) for t in sorted({r.answers + 1e-4 for r in results})]
    n_yes = sum(r.answerable for r in results)
    n_no = len(results) - n_yes

    def value(o: dict[str, float]) -> float:
        return o["answer_accuracy"] * n_yes + LOOKALIKE_COST * o["abstention_accuracy"] * n_no

    return max(options, key=value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    parser.add_argument("--dry-run", action="store_true", help="report, write nothing")
    args = parser.parse_args()
    examples: list[Example] = []
    files: list[dict[str, object]] = []
    for articles, gold in TUNING:
        items, described = load_gold_sets(gold)
        files += described
        with tempfile.TemporaryDirectory(prefix="newsqa-train-") as tmp:
            settings = load_settings(
                _env_file=None, data_dir=Path(tmp) / "s", chroma_url=None, answer_scorer="learned"
            )
            services = build_services(settings)
            try:
                services.ingestor.ingest_paths([articles])
                examples += gather(services, items)
            finally:
                services.close()
    results = cross_validate(examples, args.l2)
    chosen = choose_threshold(results)
    for threshold in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, chosen["threshold"]):
        print(at_threshold(results, threshold))
    print("chosen (cross-validated by article):", chosen)
    final = ScorerModel(
        fit_sentences(examples, args.l2),
        fit_decline(results, args.l2),
        chosen["threshold"],
        COMPANION_SHARE,
    )
    for model in (final.sentences, final.decline):
        for name, weight in zip(model.features, model.weights, strict=True):
            print(f"  {name:<18} {weight:+.3f}")
    if not args.dry_run:
        rows = int(sum(len(e.found) for e in examples))
        about = {"trained_on": files, "cross_validated": chosen, "l2": args.l2,
                 "n_items": len(examples), "rows": rows}  # fmt: skip
        args.out.write_text(json.dumps(final.to_json(**about), indent=1) + "\n", encoding="utf-8")
        print("wrote", args.out)


if __name__ == "__main__":
    main()
