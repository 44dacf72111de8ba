"""Shared fixtures: the real embedder, real Chroma (embedded and a `chroma run` server)."""

import atexit
import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from service.config import Settings, load_settings
from service.services import Services, build_services
from vectorstore.embeddings import Embedder, make_embedder

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "data" / "articles"
BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True)
def _no_remote_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach a real remote model: an unset base URL would mean api.openai.com."""
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-never-sent")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for name in [key for key in os.environ if key.startswith("NEWSQA_")]:
        monkeypatch.delenv(name)


def process_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment for a newsqa subprocess: no inherited NEWSQA_ setting, this store."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEWSQA_")}
    return {**env, "NEWSQA_DATA_DIR": str(data_dir), **extra}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


def read_events(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    """Server-sent events as (event name, parsed data), in arrival order."""
    events: list[tuple[str, dict[str, Any]]] = []
    name, data = "message", []
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data.append(line.removeprefix("data: "))
        elif not line and data:
            events.append((name, json.loads("\n".join(data))))
            name, data = "message", []
    return events


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status, and shows no stack trace."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status and problem["title"] and problem["detail"]
    assert "Traceback" not in response.text
    return problem


class CountingEmbedder:
    """The real embedder, counting the texts it embeds."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.times_embedded = Counter[str]()  # by text

    @property
    def texts_embedded(self) -> int:
        return sum(self.times_embedded.values())

    def embed(self, texts: list[str]) -> np.ndarray:
        self.times_embedded.update(texts)
        return self.inner.embed(texts)


@pytest.fixture(scope="session")
def minilm() -> Embedder:
    """The default local embedder, as the service builds it (the int8 ONNX MiniLM)."""
    return make_embedder(load_settings(_env_file=None))


@pytest.fixture
def embedder(minilm: Embedder) -> CountingEmbedder:
    return CountingEmbedder(minilm)


@contextmanager
def serving(
    command: Callable[[int], list[str]], ready_path: str, log: Path, **popen: Any
) -> Iterator[str]:
    """Run `command(port)` on a free port until the block ends; yields its base URL once
    `ready_path` answers. Output goes to `log`."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(command(port), stdout=output, stderr=subprocess.STDOUT, **popen)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(f"{url}{ready_path}", process)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


# Settings read only by a running server (the LLM, limits, keys, logs): the same store serves.
_SERVE_TIME_SETTINGS = ("NEWSQA_LLM", "NEWSQA_RATE_LIMIT", "NEWSQA_API_KEYS", "NEWSQA_LOG",
                        "NEWSQA_AUTH", "NEWSQA_SHUTDOWN", "NEWSQA_ANSWER", "OPENAI_")  # fmt: skip


@functools.cache
def ingested_samples() -> Path:
    """An embedded store of the sample articles made by a real `newsqa ingest`, once a session
    (removed when it ends)."""
    root = Path(tempfile.mkdtemp(prefix="newsqa-samples-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    subprocess.run([str(BIN / "newsqa"), "ingest", str(ARTICLES)],
                   env=process_env(root / "store"), check=True, capture_output=True,
                   cwd=root, timeout=300)  # fmt: skip
    return root / "store"


@contextmanager
def newsqa_server(root: Path, ingest: bool = True, **env: str) -> Iterator[str]:
    """`newsqa serve` (a real uvicorn) on a free port over a store under `root`, with the
    sample articles ingested first unless `ingest` is false; `env` adds settings."""
    environment = process_env(root / "store", **env)
    if ingest and all(key.startswith(_SERVE_TIME_SETTINGS) for key in env):
        # What `newsqa ingest` stored once for the session, copied: the settings given change
        # nothing that ingest stores.
        shutil.copytree(ingested_samples(), root / "store")
    elif ingest:
        subprocess.run([str(BIN / "newsqa"), "ingest", str(ARTICLES)], env=environment,
                       check=True, capture_output=True, cwd=root, timeout=300)  # fmt: skip
    with serving(
        lambda port: [str(BIN / "newsqa"), "serve", "--port", str(port)],
        "/healthz",
        root / "server.log",
        env=environment,
        cwd=root,
    ) as url:
        yield url


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` server on a free port, stopped after the session."""
    path = tmp_path_factory.mktemp("chroma-server")
    data = str(path / "data")
    with serving(
        lambda port: [str(BIN / "chroma"), "run", "--path", data, "--port", str(port)],
        "/api/v2/heartbeat",
        path / "server.log",
    ) as url:
        yield url


@pytest.fixture(params=["embedded", "server"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for a fresh, empty store: embedded under tmp_path, or on the Chroma server."""
    if request.param == "server":
        url = request.getfixturevalue("chroma_server")
        prefix = f"t{uuid.uuid4().hex[:12]}"
        return load_settings(_env_file=None, chroma_url=url, collection_prefix=prefix)
    return load_settings(_env_file=None, data_dir=tmp_path / "store")


@pytest.fixture
def services(settings: Settings, embedder: CountingEmbedder) -> Iterator[Services]:
    built = build_services(settings, embedder=embedder)
    yield built
    built.close()


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    """A private copy of the sample articles that a test may edit."""
    folder = tmp_path / "articles"
    shutil.copytree(ARTICLES, folder)
    return folder


@pytest.fixture(scope="module")
def sample_services(
    tmp_path_factory: pytest.TempPathFactory, minilm: Embedder
) -> Iterator[Services]:
    """The five samples ingested once into an embedded store, shared by a module's tests."""
    settings = load_settings(_env_file=None, data_dir=tmp_path_factory.mktemp("samples") / "store")
    built = build_services(settings, embedder=minilm)
    built.ingestor.ingest_paths([ARTICLES])
    yield built
    built.close()
