"""Keys, body and question caps, and the rate limits: over a real uvicorn server, and the
wrong-key lockout per client address in process (TestClient sets the address)."""

import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from service.config import effective_rate_limit, load_settings
from service.main import create_app
from service.services import build_services
from tests.conftest import BIN, assert_problem, newsqa_server, process_env, serving
from vectorstore.embeddings import Embedder

KEY = "sk-limits-test"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with newsqa_server(
        tmp_path_factory.mktemp("limits"),
        ingest=False,
        NEWSQA_API_KEYS=f"sk-other,{KEY}",
        NEWSQA_MAX_BODY_BYTES="4096",
        NEWSQA_RATE_LIMIT_PER_MINUTE="30",
    ) as url:
        yield url


def test_keys_guard_every_v1_route_but_not_health(server: str) -> None:
    assert httpx.get(f"{server}/healthz").status_code == 200
    assert httpx.get(f"{server}/readyz").status_code == 200
    for method, path in [("GET", "/v1/documents"), ("POST", "/v1/ask"), ("GET", "/v1/models"),
                         ("POST", "/v1/summarize"), ("POST", "/v1/chat/completions"),
                         ("DELETE", "/v1/documents/x")]:  # fmt: skip
        for headers in ({}, {"Authorization": "Bearer sk-wrong"}, {"Authorization": KEY}):
            response = httpx.request(method, f"{server}{path}", headers=headers, json={})
            assert_problem(response, 401)
            assert response.headers["www-authenticate"] == "Bearer"
    assert httpx.get(f"{server}/v1/documents", headers=AUTH).status_code == 200
    other = {"Authorization": "Bearer sk-other"}
    assert httpx.get(f"{server}/v1/models", headers=other).status_code == 200


def test_body_over_the_cap_is_413_with_or_without_content_length(server: str) -> None:
    big = {
        "question": "What did Witkoff say?",
        "history": [{"role": "user", "content": "x" * 5000}],
    }
    assert_problem(httpx.post(f"{server}/v1/ask", json=big, headers=AUTH), 413)

    def chunked() -> Iterator[bytes]:  # httpx sends a generator without Content-Length
        yield b'{"question": "' + b"y" * 3000
        yield b"z" * 3000 + b'"}'

    response = httpx.post(f"{server}/v1/ask", content=chunked(), headers={
        **AUTH, "content-type": "application/json"})  # fmt: skip
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)


def test_a_lying_chunked_client_cannot_slip_past_the_cap(server: str) -> None:
    """Raw HTTP: a chunked body far over the cap gets 413 before it is all read."""
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = (f"POST /v1/documents HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {KEY}\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")  # fmt: skip
        sock.sendall(head.encode())
        chunk = b"a" * 2048
        try:
            for _ in range(64):  # 128 KiB offered against a 4 KiB cap
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        except OSError:
            pass  # the server may close the connection once it has answered
        reply = sock.recv(65536).decode("latin-1")
    assert reply.startswith("HTTP/1.1 413")
    assert "application/problem+json" in reply


def test_question_over_the_length_cap_is_422(server: str) -> None:
    problem = assert_problem(
        httpx.post(f"{server}/v1/ask", json={"question": "q" * 2001}, headers=AUTH), 422
    )
    assert str(problem["detail"]).startswith("body.question")


def test_rate_limit_is_429_with_retry_after_per_key(server: str) -> None:
    statuses = []
    for _ in range(40):
        response = httpx.get(f"{server}/v1/models", headers=AUTH)
        statuses.append(response.status_code)
        if response.status_code == 429:
            problem = assert_problem(response, 429)
            assert int(response.headers["retry-after"]) >= 1
            assert "set NEWSQA_RATE_LIMIT_PER_MINUTE=0 to lift it" in problem["detail"]
            break
    assert statuses[-1] == 429 and statuses.count(200) >= 20
    # Another key has its own allowance; health is never limited.
    assert (
        httpx.get(f"{server}/v1/models", headers={"Authorization": "Bearer sk-other"}).status_code
        == 200
    )
    assert httpx.get(f"{server}/healthz").status_code == 200


@pytest.mark.parametrize(
    ("setting", "host", "keyed", "limit"),
    [
        (None, "127.0.0.1", False, 0),  # `make run`: only the local user calls
        (None, "127.3.2.1", False, 0),
        (None, "::1", False, 0),
        (None, "localhost", False, 0),
        (None, "0.0.0.0", False, 120),
        (None, "192.168.1.20", False, 120),
        (None, "::", False, 120),
        (None, "newsqa.example", False, 120),
        (None, None, False, 120),  # where it listens is unknown: as if not loopback
        (None, "127.0.0.1", True, 120),  # keys mean callers other than the local user
        (0, "0.0.0.0", True, 0),  # an explicit setting always wins
        (500, "127.0.0.1", False, 500),
    ],
)
def test_the_default_rate_limit_fits_where_the_api_listens(
    setting: int | None, host: str | None, keyed: bool, limit: int
) -> None:
    assert effective_rate_limit(setting, host, keyed) == limit


def test_an_open_api_on_loopback_has_no_rate_limit(tmp_path: Path) -> None:
    with newsqa_server(tmp_path, ingest=False) as url, httpx.Client(base_url=url) as client:
        statuses = {client.get("/v1/models").status_code for _ in range(130)}
    assert statuses == {200}


def test_wrong_keys_lock_out_their_address_not_the_key(tmp_path: Path, minilm: Embedder) -> None:
    settings = load_settings(_env_file=None, data_dir=tmp_path / "store", api_keys=KEY)
    app = create_app(services=build_services(settings, embedder=minilm))
    with TestClient(app, client=("10.0.0.1", 40000)) as guesser:
        elsewhere = TestClient(app, client=("10.0.0.2", 40000))
        for attempt in range(10):
            wrong = {"Authorization": f"Bearer sk-guess-{attempt}"}
            assert_problem(guesser.get("/v1/models", headers=wrong), 401)
        locked = guesser.get("/v1/models", headers={"Authorization": "Bearer sk-guess-10"})
        assert "NEWSQA_AUTH_FAILURES_PER_MINUTE" in assert_problem(locked, 429)["detail"]
        assert 1 <= int(locked.headers["retry-after"]) <= 6  # 10 a minute: one more in 6 s
        # Even the good key, from there: answering it would tell a hit from a miss.
        assert_problem(guesser.get("/v1/models", headers=AUTH), 429)
        assert elsewhere.get("/v1/models", headers=AUTH).status_code == 200
        assert_problem(elsewhere.get("/v1/models", headers={"Authorization": "Bearer x"}), 401)


def test_several_workers_need_a_chroma_server(tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("workers")
    result = subprocess.run(
        [str(BIN / "newsqa"), "serve", "--workers", "2"],
        env=process_env(root / "store"), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "NEWSQA_CHROMA_URL" in result.stderr


def test_several_workers_share_a_chroma_server(tmp_path: Path, chroma_server: str) -> None:
    """Two uvicorn workers over one Chroma server: a document posted through one worker is
    listed and answered from by both (each worker follows the store within 2 s)."""
    prefix = f"w{uuid.uuid4().hex[:12]}"
    env = process_env(tmp_path / "store", NEWSQA_CHROMA_URL=chroma_server,
                      NEWSQA_COLLECTION_PREFIX=prefix)  # fmt: skip
    with serving(
        lambda port: [str(BIN / "newsqa"), "serve", "--port", str(port), "--workers", "2"],
        "/healthz",
        tmp_path / "server.log",
        env=env,
        cwd=tmp_path,
    ) as url:
        article = {"id": "lantern-count", "text": "The Brno festival floated 3,100 lanterns."}
        assert httpx.post(f"{url}/v1/documents", json=article, timeout=60).status_code == 201
        question = {"question": "How many lanterns did the Brno festival float?"}
        answers = []
        deadline = time.monotonic() + 30
        while len(answers) < 6 and time.monotonic() < deadline:
            # New connections, so the kernel spreads them over both workers.
            answer = httpx.post(f"{url}/v1/ask", json=question, timeout=60).json()
            if not answer["abstained"]:
                answers.append(answer)
            else:
                time.sleep(0.5)
        assert len(answers) == 6 and all("3,100" in a["answer"] for a in answers)
        listed = {httpx.get(f"{url}/v1/documents").json()["total"] for _ in range(6)}
        assert listed == {1}
    assert "Started parent process" in (tmp_path / "server.log").read_text()
