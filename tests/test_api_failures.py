"""When a part behind the API fails or is slow, clients get a problem+json 503/504, not a hang."""

import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import BIN, assert_problem, free_port, newsqa_server, wait_for_http


@pytest.fixture
def silent_llm() -> Iterator[str]:
    """An OpenAI base URL whose server accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_an_llm_that_never_answers_is_a_504(tmp_path: Path, silent_llm: str) -> None:
    with newsqa_server(tmp_path, NEWSQA_LLM="openai", OPENAI_BASE_URL=silent_llm,
               NEWSQA_LLM_TIMEOUT_SECONDS="1", NEWSQA_LLM_MAX_RETRIES="0") as url:  # fmt: skip
        question = {"question": "What did Witkoff say about Putin?"}
        problem = assert_problem(httpx.post(f"{url}/v1/ask", json=question, timeout=60), 504)
        assert "LLM" in problem["detail"]
        # Once the stream has begun, the failure arrives as an `error` event.
        with httpx.stream("POST", f"{url}/v1/ask", json={**question, "stream": True},
                          timeout=60) as response:  # fmt: skip
            body = response.read().decode()
        assert response.status_code == 200
        assert "event: retrieval" in body and "event: error" in body and '"status": 504' in body


def test_request_timeout_gives_504(tmp_path: Path) -> None:
    with newsqa_server(tmp_path, ingest=False, NEWSQA_REQUEST_TIMEOUT_SECONDS="0.001") as url:
        detail = assert_problem(
            httpx.post(f"{url}/v1/ask", json={"question": "Who is Witkoff?"}, timeout=60), 504
        )
        assert "0.001" in detail["detail"]
        assert httpx.get(f"{url}/healthz").status_code == 200


def test_a_stopped_chroma_server_is_503_and_the_service_recovers_when_it_returns(
    tmp_path: Path,
) -> None:
    port = free_port()
    chroma_url = f"http://127.0.0.1:{port}"

    def start_chroma() -> subprocess.Popen[bytes]:
        with (tmp_path / "chroma.log").open("ab") as log:
            process = subprocess.Popen(
                [str(BIN / "chroma"), "run", "--path", str(tmp_path / "chroma"), "--port",
                 str(port)], stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_for_http(f"{chroma_url}/api/v2/heartbeat", process)
        return process

    chroma = start_chroma()
    try:
        with newsqa_server(tmp_path, NEWSQA_CHROMA_URL=chroma_url) as url:
            assert httpx.get(f"{url}/readyz").json()["documents"] == 5
            chroma.terminate()  # Chroma goes away mid-run; newsqa stays up
            chroma.wait(timeout=30)
            assert httpx.get(f"{url}/healthz").status_code == 200
            assert_problem(httpx.get(f"{url}/readyz"), 503)
            detail = assert_problem(httpx.get(f"{url}/v1/documents/000_24ebec4603e8d0ce"), 503)
            assert "Chroma" in detail["detail"]
            asked = httpx.post(f"{url}/v1/ask", json={"question": "Who is Witkoff?"}, timeout=60)
            assert asked.status_code in (503, 504)
            assert_problem(asked, asked.status_code)
            ingested = httpx.post(
                f"{url}/v1/documents", json={"id": "late-news", "text": "Rain fell in Leeds."}
            )
            assert ingested.status_code in (503, 504)

            chroma = start_chroma()  # back on the same port, same data
            assert httpx.get(f"{url}/readyz").json()["documents"] == 5
            answer = httpx.post(
                f"{url}/v1/ask", json={"question": "What did Witkoff say about Putin?"}, timeout=60
            )
            assert answer.status_code == 200 and answer.json()["citations"]
            assert httpx.get(f"{url}/v1/documents/late-news").status_code == 404
    finally:
        chroma.terminate()
        chroma.wait(timeout=30)
