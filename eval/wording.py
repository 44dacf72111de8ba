"""`python -m eval.wording --gold A.jsonl --gold B.jsonl ...`: can a gold set's lookalikes be told
from its answerable questions by their wording alone? If they can, a decline model fitted on such
sets learns the wording ("how many … in 2021?" is a lookalike) instead of whether the passages
fill the slot asked for, and a score on them flatters it.

For each file: how often each question form occurs among its answerable items and among its
lookalikes, and the AUC of a question-only model (these forms, the wh-word and the length)
fitted on the other files. Near 0.5 the wording says nothing; a file above --max-auc fails
(exit 1), so a newly written set can be checked before it is used."""

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from eval.gold import GoldItem, load_gold
from service.answer.scorer import Logistic, fit_logistic

# English question forms, no article's words.
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
FORMS: dict[str, Callable[[str], bool]] = {
    "names a year": lambda q: bool(_YEAR.search(q)),
    "names another number": lambda q: bool(re.search(r"\d", _YEAR.sub("", q))),
    "how many / how much": lambda q: bool(re.match(r"\s*how\s+(?:many|much)\b", q, re.I)),
    "who": lambda q: bool(re.match(r"\s*who\b", q, re.I)),
    "what": lambda q: bool(re.match(r"\s*what\b", q, re.I)),
    "when / what date": lambda q: bool(re.match(r"\s*(?:when|on what date|by when)\b", q, re.I)),
    "where / which place": lambda q: bool(re.match(r"\s*(?:where|in which|from which)\b", q, re.I)),
    "a relative time": lambda q: bool(
        re.search(r"\b(?:last|next|previous|this)\s+(?:year|month|week)\b|\bago\b", q, re.I)
    ),
}
FEATURES = (*FORMS, "length")
MAX_AUC = 0.7


def features(question: str) -> list[float]:
    return [float(form(question)) for form in FORMS.values()] + [len(question.split()) / 20]


def auc(positive: list[float], negative: list[float]) -> float:
    if not positive or not negative:
        return float("nan")
    pairs = [(p > n) + 0.5 * (p == n) for p in positive for n in negative]
    return float(np.mean(pairs))


def question_only_auc(train: list[GoldItem], test: list[GoldItem]) -> float:
    rows = np.array([features(i.question) for i in train])
    labels = np.array([float(i.answerable) for i in train])
    model = Logistic(FEATURES, *fit_logistic(rows, labels, l2=1.0))
    scores = model.probabilities(np.array([features(i.question) for i in test]))
    yes = [float(s) for s, i in zip(scores, test, strict=True) if i.answerable]
    no = [float(s) for s, i in zip(scores, test, strict=True) if not i.answerable]
    return auc(yes, no)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, action="append", required=True)
    parser.add_argument("--max-auc", type=float, default=MAX_AUC)
    args = parser.parse_args(argv)
    sets = {path: load_gold(path) for path in args.gold}
    failed = []
    for path, items in sets.items():
        yes = [i for i in items if i.answerable]
        no = [i for i in items if not i.answerable]
        print(f"{path.name}: {len(yes)} answerable, {len(no)} lookalikes")
        for name, form in FORMS.items():
            share_yes = sum(form(i.question) for i in yes) / max(1, len(yes))
            share_no = sum(form(i.question) for i in no) / max(1, len(no))
            print(f"  {name:<22} answerable {share_yes:4.0%}   lookalikes {share_no:4.0%}")
        others = [i for other, rest in sets.items() if other != path for i in rest]
        if not no or len({i.answerable for i in others}) < 2:
            print("  question-only AUC: needs lookalikes here and both kinds in the other files")
            continue
        value = question_only_auc(others, items)
        print(f"  question-only AUC (fitted on the other files): {value:.2f}")
        if value > args.max_auc:
            failed.append(path.name)
    if failed:
        print(f"the wording alone tells lookalikes apart in: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
