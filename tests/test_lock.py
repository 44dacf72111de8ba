"""Embedded mode is single-writer: a second writing process is refused, the store intact."""

import os
import subprocess
from pathlib import Path

from service.services import Services
from tests.conftest import ARTICLES, BIN, process_env


def test_second_writer_process_is_refused_cleanly(tmp_path: Path, embedder: object) -> None:
    from service.config import load_settings
    from service.services import build_services

    settings = load_settings(_env_file=None, data_dir=tmp_path / "store")
    holder: Services = build_services(settings, embedder=embedder)  # type: ignore[arg-type]
    try:
        holder.ingestor.ingest_paths([ARTICLES / "000_24ebec4603e8d0ce.txt"])
        env = process_env(settings.data_dir)
        result = subprocess.run(
            [str(BIN / "newsqa"), "ingest", str(ARTICLES)],
            capture_output=True, text=True, env=env, timeout=120,
        )  # fmt: skip
        assert result.returncode == 1
        assert result.stderr.strip() == (
            f"newsqa: error: the embedded store at {settings.data_dir} is in use by another "
            f"process (pid {os.getpid()}); stop it first, or share a Chroma server "
            "(NEWSQA_CHROMA_URL) between processes"
        )
        assert holder.store.document_ids() == ["000_24ebec4603e8d0ce"]
    finally:
        holder.close()

    # Once the holder is gone, the same command goes through.
    env = process_env(settings.data_dir)
    result = subprocess.run(
        [str(BIN / "newsqa"), "ingest", str(ARTICLES)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("added 4, updated 0, unchanged 1, failed 0")
