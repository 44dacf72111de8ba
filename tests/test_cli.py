"""The `newsqa` command as a user runs it: a real process, a real store."""

import json
import subprocess
from pathlib import Path

import pytest

from service.ingest.clean import clean_article
from tests.conftest import ARTICLES, BIN, process_env


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
