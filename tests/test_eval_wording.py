"""`python -m eval.wording` tells a gold writer when the lookalikes can be told apart by their
wording alone, so that a set is fixed before a decline model is fitted or scored on it."""

import json
from pathlib import Path

import pytest

from eval.wording import main

SUBJECTS = ["the bridge", "the port", "the clinic", "the airport", "the dam", "the rail line"]


def write(path: Path, questions: list[tuple[str, bool]]) -> Path:
    rows = []
    for n, (question, answerable) in enumerate(questions):
        fact = {"must_include": [["x"]], "sources": ["doc"]} if answerable else {}
        rows.append({"id": f"{path.stem}-{n}", "question": question, "answerable": answerable,
                     **fact})  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def biased(subject: str) -> list[tuple[str, bool]]:
    """Every lookalike asks "how many … in <year>", no answerable question does."""
    return [(f"Who said {subject} would open soon?", True),
            (f"Where will {subject} be built?", True),
            (f"What did the minister say about {subject}?", True),
            (f"How many workers did {subject} employ in 2019?", False),
            (f"How much did {subject} cost in 2021?", False)]  # fmt: skip


def twinned(subject: str) -> list[tuple[str, bool]]:
    """Each lookalike has an answerable twin of the same form."""
    return [(f"How many workers did {subject} employ in 2023?", True),
            (f"How many workers did {subject} employ in 2019?", False),
            (f"Who said {subject} would open soon?", True),
            (f"Who said {subject} would close soon?", False),
            (f"Where will {subject} be built?", True),
            (f"Where will {subject} be moved?", False)]  # fmt: skip


def test_lookalikes_that_only_their_wording_gives_away_fail_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [write(tmp_path / f"set{n}.jsonl", biased(s)) for n, s in enumerate(SUBJECTS)]
    args = [a for p in paths for a in ("--gold", str(p))]
    assert main(args) == 1
    out = capsys.readouterr()
    assert "question-only AUC (fitted on the other files): 1.00" in out.out
    assert "set0.jsonl" in out.err


def test_lookalikes_twinned_with_answerable_questions_pass(tmp_path: Path) -> None:
    paths = [write(tmp_path / f"set{n}.jsonl", twinned(s)) for n, s in enumerate(SUBJECTS)]
    assert main([a for p in paths for a in ("--gold", str(p))]) == 0
