"""`python -m eval.train_verifier`: calibrate the LLM claim verifier on true and false claim/quote
pairs and write service/answer/verifier_weights.json.

True pairs: what a capable model answers to the tuning gold questions (eval/llm/*-claims.jsonl);
false pairs: an over-eager model's answers to the lookalikes (*-overclaims.jsonl), true quotes
under claims they do not carry. Only tuning items are read; folds leave articles out; the
threshold keeps the most true claims while no false one is kept, if that keeps at least
MIN_KEPT of them, and otherwise the best trade-off, a false claim kept counting FALSE_COST."""

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval import EVAL_DIR
from service.answer.claims import CLAIM_FEATURES, WEIGHTS, Verifier
from service.answer.replies import source_of, widen_to_sentences, with_antecedent
from service.answer.scorer import Logistic, fit_logistic
from service.answer.verify import locate_quote
from service.config import load_settings
from service.ingest.clean import clean_article
from service.ingest.loaders import expand_paths, load_file
from vectorstore.embeddings import make_embedder

ROOT = EVAL_DIR.parent
GOLD, LLM = EVAL_DIR / "gold", EVAL_DIR / "llm"
# (articles, tuning gold sets, true claims, false claims)
TUNING = [
    (ROOT / "data" / "corpus-dev", [GOLD / "corpus-dev-tune.jsonl"],
     LLM / "corpus-dev-claims.jsonl", LLM / "corpus-dev-overclaims.jsonl"),
    (ROOT / "data" / "articles", [GOLD / "dev.jsonl", GOLD / "holdout.jsonl"],
     LLM / "samples-claims.jsonl", LLM / "samples-overclaims.jsonl"),
]  # fmt: skip
FOLDS, MIN_KEPT, FALSE_COST, ADDRESS_MARGIN = 5, 0.95, 3.0, 0.8


@dataclass(frozen=True)
class Pair:
    row: np.ndarray
    true: bool
    article: str
    item: str  # the gold item it answers
    rejected_by_rule: bool  # numbers or names: dropped before the model is asked
    addresses: float  # cosine of claim and question


def documents(folder: Path) -> dict[str, tuple[str, str | None]]:
    files, _ = expand_paths([folder])
    found = {}
    for path in files:
        for raw in load_file(path, 10_000_000):
            cleaned = clean_article(raw.text, title=raw.title, markdown=raw.is_markdown)
            found[raw.id] = (cleaned.text, cleaned.title)
    return found


def pairs(verifier: Verifier) -> list[Pair]:
    embedder = make_embedder(load_settings(_env_file=None))

    def embed(texts: list[str]) -> list[np.ndarray]:
        return list(embedder.embed(texts))

    found = []
    for folder, gold_files, true_file, false_file in TUNING:
        if not true_file.exists():
            continue
        texts = documents(folder)
        questions = {}
        for gold in gold_files:
            for line in gold.read_text(encoding="utf-8").splitlines():
                item = json.loads(line)
                questions[item["id"]] = item["question"]
        for path, true in ((true_file, True), (false_file, False)):
            for line in path.read_text(encoding="utf-8").splitlines():
                reply = json.loads(line)
                if reply["id"] not in questions:
                    continue  # not a tuning item
                for claim in reply["claims"]:
                    text, title = texts[claim["doc"]]
                    at = locate_quote(claim["quote"], text)
                    if at is None:
                        continue
                    span = widen_to_sentences(text, *at)
                    source = source_of(text, title, span, with_antecedent(text, span))
                    question = questions[reply["id"]]
                    ruled = verifier.rejects(claim["text"], source, question, embed)
                    by_rule = ruled is not None and not ruled.startswith("the source")
                    row = verifier.features(claim["text"], source, question, embed)
                    closeness = verifier.addresses(
                        claim["text"], source.attributed, question, embed
                    )
                    found.append(Pair(row, true, claim["doc"], reply["id"], by_rule, closeness))
    return found


def kept_at(scored: list[tuple[Pair, float]], threshold: float) -> tuple[float, int]:
    true = [p for p, _ in scored if p.true]
    kept_true = sum(not p.rejected_by_rule and s >= threshold for p, s in scored if p.true)
    kept_false = sum(not p.rejected_by_rule and s >= threshold for p, s in scored if not p.true)
    return kept_true / max(1, len(true)), kept_false


def fit(usable: list[Pair]) -> Logistic:
    rows, labels = np.stack([p.row for p in usable]), np.array([float(p.true) for p in usable])
    return Logistic(CLAIM_FEATURES, *fit_logistic(rows, labels))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    width = len(CLAIM_FEATURES)
    neutral = Verifier(
        Logistic(CLAIM_FEATURES, np.zeros(width), 0.0, np.zeros(width), np.ones(width)), 0.0, -1.0
    )
    found = pairs(neutral)
    articles = sorted({p.article for p in found})
    fold_of = {a: i % FOLDS for i, a in enumerate(np.random.default_rng(0).permutation(articles))}
    scored: list[tuple[Pair, float]] = []
    for fold in range(FOLDS):
        train = [p for p in found if fold_of[p.article] != fold and not p.rejected_by_rule]
        model = fit(train)
        scored += [(p, float(model.probabilities(p.row[None])[0]))
                   for p in found if fold_of[p.article] == fold]  # fmt: skip
    options = sorted({s + 1e-4 for _, s in scored} | {0.0})
    strict = [
        t for t in options if kept_at(scored, t)[1] == 0 and kept_at(scored, t)[0] >= MIN_KEPT
    ]
    n_true = sum(p.true for p in found)

    def value(t: float) -> float:
        share, false_kept = kept_at(scored, t)
        return share * n_true - FALSE_COST * false_kept

    threshold = min(strict) if strict else max(options, key=value)
    share, false_kept = kept_at(scored, threshold)
    print(f"{len(found)} pairs ({n_true} true); rules drop "
          f"{sum(p.rejected_by_rule for p in found if not p.true)} false and "
          f"{sum(p.rejected_by_rule for p in found if p.true)} true")  # fmt: skip
    print(f"cross-validated at {threshold:.3f}: true kept {share:.3f}, false kept {false_kept}")
    final = fit([p for p in found if not p.rejected_by_rule])
    for name, weight in zip(CLAIM_FEATURES, final.weights, strict=True):
        print(f"  {name:<14} {weight:+.3f}")
    # Each true answer addresses its question in at least one claim (a second claim may add a
    # side fact): the floor sits just under the least close of the items' closest claims.
    closest: dict[str, float] = {}
    for p in found:
        if p.true:
            closest[p.item] = max(closest.get(p.item, -1.0), p.addresses)
    addresses_above = ADDRESS_MARGIN * min(closest.values())
    print(f"addresses the question above {addresses_above:.3f}")
    if not args.dry_run:
        about = {"cross_validated": {"threshold": round(threshold, 4), "true_kept": share,
                                     "false_kept": false_kept}, "pairs": len(found)}  # fmt: skip
        verifier = Verifier(final, threshold, addresses_above)
        args.out.write_text(json.dumps(verifier.to_json(**about), indent=1) + "\n")
        print("wrote", args.out)


if __name__ == "__main__":
    main()
