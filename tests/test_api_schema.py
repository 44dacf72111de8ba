"""schemathesis against the served /openapi.json: every phase, every check, zero failures."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BIN, ROOT, newsqa_server

KEY = "sk-schemathesis"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with newsqa_server(
        tmp_path_factory.mktemp("schema"), NEWSQA_API_KEYS=KEY, NEWSQA_RATE_LIMIT_PER_MINUTE="0"
    ) as url:
        yield url


def test_schemathesis_finds_no_failures(server: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(BIN / "st"), "--config-file", str(ROOT / "tests" / "schemathesis.toml"), "run",
         f"{server}/openapi.json", "--checks", "all", "-H", f"Authorization: Bearer {KEY}",
         "--max-examples", "50", "--workers", "1", "--seed", "2"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout
    assert "11 selected / 11 total" in result.stdout
