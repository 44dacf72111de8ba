"""Graceful shutdown, on real processes: SIGTERM while `newsqa serve` streams answers, and
while `newsqa ingest` writes. Neither leaves the writer lock's pid behind, so the next start
runs no crash check; a stop during that check leaves it owed."""

import json
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from service import services as services_module
from service.config import load_settings
from service.signals import Terminated
from tests.conftest import ARTICLES, BIN, free_port, process_env, read_events, wait_for_http
from tests.store_check import checked
from vectorstore.embeddings import Embedder
from vectorstore.lock import LOCK_FILE_NAME, WriterLock

ANSWERED = "What did Witkoff say about Putin?"  # its LLM reply comes during the grace
CUT_SHORT = "What did Zelenskyy say about security guarantees?"  # its reply comes too late
CHAT_CUT_SHORT = "What did Rubio say about the talks?"  # the same, through chat completions
SHUTDOWN_TIMEOUT = 3  # seconds: a stream gets until 1 s before it (2 s) to end by itself


class HeldLLM(ThreadingHTTPServer):
    """An OpenAI-compatible chat endpoint that replies to a question only once the test
    releases it. The reply is prose newsqa cannot use, so it answers extractively."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _HeldReply)
        self.released = {q: threading.Event() for q in (ANSWERED, CUT_SHORT, CHAT_CUT_SHORT)}
        self.waiting: list[str] = []
        self.changed = threading.Condition()

    def wait_for_questions(self, count: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.waiting) >= count, timeout=60)


class _HeldReply(BaseHTTPRequestHandler):
    server: HeldLLM

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = [m["content"] for m in body["messages"] if m["role"] == "user"][-1]
        question = prompt.rpartition("Question:")[2].strip()
        with self.server.changed:
            self.server.waiting.append(question)
            self.server.changed.notify_all()
        self.server.released[question].wait(timeout=60)
        message = {"role": "assistant", "content": "Let me think about the passages first."}
        reply = json.dumps({"id": "held", "object": "chat.completion", "created": 0,
                            "model": body["model"], "choices": [{"index": 0, "message": message,
                            "finish_reason": "stop"}]}).encode()  # fmt: skip
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *_: Any) -> None:
        pass


@contextmanager
def held_llm() -> Iterator[HeldLLM]:
    llm = HeldLLM()
    thread = threading.Thread(target=llm.serve_forever, daemon=True)
    thread.start()
    try:
        yield llm
    finally:
        for event in llm.released.values():
            event.set()
        llm.shutdown()
        llm.server_close()


def next_start_checks_the_store(store: Path) -> bool:
    """What the next writer decides from the lock file: a pid left there means the last
    writer did not stop cleanly, and a crash check (and maybe a rebuild) runs first."""
    lock = WriterLock(store)
    lock.acquire()
    lock.release()
    return lock.previous_holder_died


@pytest.fixture
def store(tmp_path: Path) -> Path:
    store = tmp_path / "store"
    subprocess.run([str(BIN / "newsqa"), "ingest", str(ARTICLES)], env=process_env(store),
                   check=True, capture_output=True, cwd=tmp_path, timeout=300)  # fmt: skip
    return store


def stream(url: str, path: str, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    with httpx.stream("POST", f"{url}{path}", json=body,
                      headers={"Accept": "text/event-stream"}, timeout=30) as response:  # fmt: skip
        return read_events(response)


def test_sigterm_lets_streams_end_with_a_final_event_and_exits_0(
    store: Path, tmp_path: Path
) -> None:
    with held_llm() as llm:
        env = process_env(
            store, NEWSQA_LLM="openai", OPENAI_BASE_URL=f"http://127.0.0.1:{llm.server_port}/v1",
            NEWSQA_LLM_MODEL="held", NEWSQA_LLM_MAX_RETRIES="0",
            NEWSQA_SHUTDOWN_TIMEOUT_SECONDS=str(SHUTDOWN_TIMEOUT),
        )  # fmt: skip
        port, log = free_port(), tmp_path / "server.log"
        with log.open("wb") as output:
            server = subprocess.Popen([str(BIN / "newsqa"), "serve", "--port", str(port)],
                                      stdout=output, stderr=subprocess.STDOUT, env=env)  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(f"{url}/healthz", server)
            with ThreadPoolExecutor(3) as pool:
                answered = pool.submit(stream, url, "/v1/ask", {"question": ANSWERED})
                cut_short = pool.submit(stream, url, "/v1/ask", {"question": CUT_SHORT})
                chat = {"model": "newsqa", "stream": True,
                        "messages": [{"role": "user", "content": CHAT_CUT_SHORT}]}  # fmt: skip
                chat_cut_short = pool.submit(stream, url, "/v1/chat/completions", chat)
                llm.wait_for_questions(3)  # every stream is waiting for its answer
                signalled = time.monotonic()
                server.send_signal(signal.SIGTERM)
                time.sleep(0.5)
                llm.released[ANSWERED].set()
                answer_events, late_events = answered.result(), cut_short.result()
                late_after = time.monotonic() - signalled
                chat_events = chat_cut_short.result()
            for late in (CUT_SHORT, CHAT_CUT_SHORT):
                llm.released[late].set()  # the LLM calls the streams gave up on return
            assert server.wait(timeout=15) == 0, log.read_text()
            stopped_after = time.monotonic() - signalled
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
    names = [name for name, _ in answer_events]
    assert names[0] == "retrieval" and names[-1] == "answer" and "delta" in names
    answer = answer_events[-1][1]
    assert answer["mode"] == "extractive_fallback" and answer["answer"]
    assert (
        "".join(data["text"] for name, data in answer_events if name == "delta") == answer["answer"]
    )
    # The others end with a final event before the timeout, not with a cut connection.
    assert [name for name, _ in late_events] == ["retrieval", "error"]
    assert late_events[-1][1]["status"] == 503 and late_events[-1][1]["title"] == "Shutting down"
    assert chat_events[0][1]["choices"][0]["delta"]["role"] == "assistant"
    assert len(chat_events) == 2 and chat_events[-1][1]["error"]["code"] == 503
    assert SHUTDOWN_TIMEOUT - 1.5 < late_after < SHUTDOWN_TIMEOUT
    assert stopped_after < SHUTDOWN_TIMEOUT + 3
    assert "timeout graceful shutdown exceeded" not in log.read_text()
    assert not next_start_checks_the_store(store)


def test_sigterm_stops_an_ingest_between_groups(tmp_path: Path) -> None:
    feed, store, log = tmp_path / "feed", tmp_path / "store", tmp_path / "ingest.log"
    feed.mkdir()
    total = 400
    for n in range(total):
        (feed / f"benches-{n:04d}.txt").write_text(
            f"The council of Brno district {n} approved {n * 7 + 3} new benches on Monday.\n\n"
            f"Its chair, Jana Novak {n}, said they would cost {n * 11 + 5} crowns each.\n\n"
            f"Residents had asked for seating since {1990 + n % 30}.",
            encoding="utf-8",
        )
    with log.open("wb") as output:
        ingest = subprocess.Popen([str(BIN / "newsqa"), "ingest", str(feed)], stdout=output,
                                  stderr=subprocess.STDOUT, env=process_env(store))  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while f"ingested 100/{total} files" not in log.read_text():
            assert ingest.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        ingest.send_signal(signal.SIGTERM)
        assert ingest.wait(timeout=30) == 128 + signal.SIGTERM, log.read_text()
    finally:
        if ingest.poll() is None:
            ingest.kill()
            ingest.wait()
    assert "newsqa: stopped by SIGTERM; every document stored is whole" in log.read_text()
    assert not next_start_checks_the_store(store)
    state = checked(store)
    assert 0 < state["documents"] < total, state
    assert state["partial"] == [] and state["chunks"] == state["chunks_named"]


def test_a_stop_during_the_crash_check_leaves_the_store_marked_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, minilm: Embedder
) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / LOCK_FILE_NAME).write_text("999999")  # the last writer was killed

    def stopped_while_checking(*_: object) -> str | None:
        raise Terminated(signal.SIGTERM)

    monkeypatch.setattr(services_module, "damage", stopped_while_checking)
    settings = load_settings(_env_file=None, data_dir=store)
    with pytest.raises(Terminated):
        services_module.build_services(settings, embedder=minilm)
    assert next_start_checks_the_store(store)  # the check it did not finish is still owed
