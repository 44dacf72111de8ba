"""The `newsqa` command as a user runs it: a real process, a real store."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from eval import BASELINE, EVAL_DIR
from service.config import load_settings
from service.ingest.clean import clean_article
from service.services import build_services
from service.summary.models import count_words
from tests.conftest import ARTICLES, BIN, process_env
from vectorstore.embeddings import Embedder


def newsqa(
    *args: str, data_dir: Path, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = process_env(data_dir, **(extra_env or {}))
    return subprocess.run(
        [str(BIN / "newsqa"), *args], capture_output=True, text=True, env=env,
        cwd=data_dir.parent, timeout=300,
    )  # fmt: skip


def cleaned_text(doc_id: str) -> str:
    return clean_article((ARTICLES / f"{doc_id}.txt").read_text(encoding="utf-8")).text


def test_ingest_reports_each_bad_file_and_exits_non_zero(tmp_path: Path) -> None:
    store = tmp_path / "store"
    bad = tmp_path / "bad.json"
    bad.write_text("{oops", encoding="utf-8")
    result = newsqa("ingest", str(ARTICLES), str(bad), str(tmp_path / "missing"), data_dir=store)
    assert result.returncode == 1
    assert result.stdout.strip().startswith("added 5, updated 0, unchanged 0, failed 2")
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {tmp_path / 'missing'}: no such file or folder",
        f"error: {bad}: invalid JSON: Expecting property name enclosed in double quotes"
        " at line 1 column 2",
    ]
    assert "ingested 6/6 files" in result.stderr  # progress when not on a terminal

    again = newsqa("ingest", str(ARTICLES), data_dir=store)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().startswith(
        "added 0, updated 0, unchanged 5, failed 0 (0 chunks embedded"
    )

    answer = newsqa(
        "ask", "How many troops should Ukraine's military reach?", "--json", data_dir=store
    )
    assert answer.returncode == 0, answer.stderr
    body = json.loads(answer.stdout)
    assert set(body) >= {"answer", "abstained", "citations", "retrieved", "mode", "timings_ms"}
    assert body["retrieved"] and body["retrieved"][0]["doc_id"] == "003_90df2db88ee2fc19"
    texts = {p.stem: None for p in ARTICLES.glob("*.txt")}
    assert all(c["doc_id"] in texts and c["end"] > c["start"] for c in body["citations"])


@pytest.mark.parametrize(
    "variable,value,expected",
    [
        ("NEWSQA_LLM", "gpt", "NEWSQA_LLM: Input should be 'extractive' or 'openai' (got 'gpt')"),
        ("NEWSQA_CHUNK_TOKENS", "lots", "NEWSQA_CHUNK_TOKENS: Input should be a valid integer"),
        ("NEWSQA_CHROMA_URL", "localhost:8001", "NEWSQA_CHROMA_URL: must be an http(s) URL"),
    ],
)
def test_bad_setting_is_one_line_naming_the_variable(
    tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    result = newsqa(
        "ingest", str(ARTICLES), data_dir=tmp_path / "store", extra_env={variable: value}
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"newsqa: configuration error: {expected}")
    assert not (tmp_path / "store").exists() or not any((tmp_path / "store").iterdir())


def test_missing_path_only_is_a_failure(tmp_path: Path) -> None:
    result = newsqa("ingest", str(tmp_path / "nope.txt"), data_dir=tmp_path / "store")
    assert result.returncode == 1
    assert "error: " in result.stderr and "no such file or folder" in result.stderr
    assert "failed 1" in result.stdout


def test_summarize_an_article_and_a_topic(tmp_path: Path, minilm: Embedder) -> None:
    store = tmp_path / "store"
    # Ingested in-process (the model is already loaded); the commands below read the store.
    writer = build_services(load_settings(_env_file=None, data_dir=store), embedder=minilm)
    writer.ingestor.ingest_paths([ARTICLES])
    writer.close()
    doc_id = "000_24ebec4603e8d0ce"
    text = cleaned_text(doc_id)

    plain = newsqa("summarize", "--doc", doc_id, "--max-words", "60", data_dir=store)
    assert plain.returncode == 0, plain.stderr
    summary, *citations = plain.stdout.splitlines()
    assert summary.startswith(text[:80]) and count_words(summary) <= 60
    assert len(citations) == 2 * summary.count("[") >= 4
    for n, (where, quote) in enumerate(zip(citations[::2], citations[1::2], strict=True), 1):
        found = re.fullmatch(rf"  \[{n}\] .+ \({doc_id} (\d+)-(\d+)\)", where)
        assert found is not None, where
        start, end = int(found.group(1)), int(found.group(2))
        assert quote == f"      “{text[start:end]}”"

    topic = newsqa("summarize", "--topic", "US troops in Ukraine", "--json", data_dir=store)
    assert topic.returncode == 0, topic.stderr
    body = json.loads(topic.stdout)
    assert body["scope"] == "topic" and body["words"] <= body["max_words"] == 120
    assert len(body["sources"]) >= 2 and len(body["disagreements"]) == 1
    assert body["disagreements"][0] in body["summary"]
    for citation in body["citations"]:
        source = cleaned_text(citation["doc_id"])
        assert citation["quote"] == source[citation["start"] : citation["end"]]

    missing = newsqa("summarize", "--doc", "no-such-article", data_dir=store)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "newsqa: error: no document with id 'no-such-article'"
    empty = newsqa("summarize", "--topic", "  ", data_dir=store)
    assert empty.returncode == 1 and "newsqa: error: the topic is empty" in empty.stderr
    for args in ([], ["--doc", doc_id, "--topic", "troops"]):
        usage = newsqa("summarize", *args, data_dir=store)
        assert usage.returncode == 2 and "exactly one of --doc ID or --topic TEXT" in usage.stderr
    too_short = newsqa("summarize", "--doc", doc_id, "--max-words", "19", data_dir=store)
    assert too_short.returncode == 2 and "--max-words" in too_short.stderr


GATED = [EVAL_DIR / "gold" / "dev.jsonl", EVAL_DIR / "gold" / "holdout.jsonl"]


def newsqa_eval(
    tmp_path: Path, *args: str, entry: str = "newsqa"
) -> subprocess.CompletedProcess[str]:
    command = [str(BIN / "newsqa"), "eval"] if entry == "newsqa" else [sys.executable, "-m", "eval"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=300,
                          env=process_env(tmp_path / "user-store"), cwd=tmp_path)  # fmt: skip


def test_cli_gates_the_committed_gold_sets_on_the_committed_baseline(tmp_path: Path) -> None:
    gold = [arg for path in GATED for arg in ("--gold", str(path))]
    result = newsqa_eval(tmp_path, *gold, "--baseline", str(BASELINE), "--out", "out")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS" in result.stdout and "answered 84/84 items" in result.stderr
    out = tmp_path / "out"
    assert json.loads((out / "summary.json").read_text())["n_items"] == 84
    assert len((out / "items.jsonl").read_text().splitlines()) == 84
    assert "no regression against the baseline" in (out / "report.md").read_text()
    assert (out / "report.html").read_text().startswith("<!doctype html>")
    assert not (tmp_path / "user-store").exists()  # a temporary store, not the user's


BAD_GOLD = "bad.jsonl:2: not a gold item: question: Field required"


@pytest.mark.parametrize(
    "entry,args,message",
    [
        ("newsqa", ["--gold", "bad.jsonl"], BAD_GOLD),
        ("python", ["--gold", "bad.jsonl"], BAD_GOLD),
        ("newsqa", ["--gold", str(GATED[0]), "--baseline", "none.json"],
         "cannot read baseline none.json: No such file or directory"),
    ],
)  # fmt: skip
def test_cli_harness_errors_exit_2_with_one_line(
    tmp_path: Path, entry: str, args: list[str], message: str
) -> None:
    first = GATED[0].read_text().splitlines()[0]
    (tmp_path / "bad.jsonl").write_text(first + '\n{"id": "x", "answer": "y"}\n', encoding="utf-8")
    result = newsqa_eval(tmp_path, *args, entry=entry)
    assert result.returncode == 2
    assert result.stderr.strip() == f"newsqa eval: error: {message}"
    assert not (tmp_path / "eval-output").exists()
