"""Crash safety: `newsqa ingest` killed (SIGKILL) at random points never leaves a partial
document, a run after it finishes the job with no duplicates, and a store a crash left damaged
is rebuilt from its document records instead of crashing the next process."""

import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from bench.corpus import build
from tests.conftest import BIN, free_port, process_env, wait_for_http
from tests.store_check import checked

# Over 1,000 chunks: Chroma writes an HNSW segment to disk only past 1,000 vectors.
FEED_ARTICLES = 360
KILLS = 4
# Each killed run is killed this long after it logs its first file going in, so the kill falls
# while documents are written however long start-up takes under load. At about 14 articles/s,
# 4 runs store at most about 300 of the feed, and the run after them finishes it. On a faster
# machine a run may finish before its kill: the kills stop there.
KILL_AFTER_FIRST_FILE_SECONDS = (0.2, 5.0)
KILLED_FEED_ARTICLES = 500


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("feed"), articles=FEED_ARTICLES, progress=False)


@pytest.fixture(scope="module")
def killed_feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("killed"), articles=KILLED_FEED_ARTICLES, progress=False)


def ingest(feed: Path, store: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [str(BIN / "newsqa"), "ingest", str(feed)],
            stdout=output, stderr=subprocess.STDOUT, env=process_env(store),
        )  # fmt: skip


def wait_for_log(process: subprocess.Popen[bytes], log: Path, text: str) -> None:
    """Until `text` stands in the process's log or the process has ended (5 min at most)."""
    deadline = time.monotonic() + 300
    while text not in log.read_text() and process.poll() is None:
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)


def test_killed_ingests_leave_no_partial_document_and_a_rerun_no_duplicates(
    killed_feed: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    stored_after_run = []
    for kill in range(KILLS):
        log = tmp_path / f"ingest-{kill}.log"
        process = ingest(killed_feed, store, log)
        wait_for_log(process, log, "ingested 1/")
        try:
            process.wait(timeout=rng.uniform(*KILL_AFTER_FIRST_FILE_SECONDS))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
        if process.returncode == 0:  # it finished the feed before its kill
            stored_after_run.append(KILLED_FEED_ARTICLES)
            break
        assert process.returncode == -signal.SIGKILL, f"seed {seed}: run {kill}: {log.read_text()}"
        state = checked(store)
        where = f"seed {seed}, after kill {kill + 1}: {state}"
        assert state["partial"] == [] and state["unsafe_passages"] == [], where
        stored_after_run.append(state["documents"])
    # The kills fell while documents were being written, not before or after.
    assert any(0 < stored < KILLED_FEED_ARTICLES for stored in stored_after_run), stored_after_run

    final = subprocess.run(
        [str(BIN / "newsqa"), "ingest", str(killed_feed)],
        capture_output=True, text=True, env=process_env(store), timeout=600,
    )  # fmt: skip
    assert final.returncode == 0, final.stderr
    remaining = KILLED_FEED_ARTICLES - stored_after_run[-1]
    assert final.stdout.startswith(f"added {remaining}, updated 0, ")
    state = checked(store)
    assert state["documents"] == KILLED_FEED_ARTICLES
    assert state["chunks"] == state["chunks_named"] > 1000  # no duplicate, no orphan chunk
    assert state["partial"] == [] and state["unsafe_passages"] == [] and state["passages"]


def kill_a_writer_and_damage_the_store(store: Path) -> None:
    """A writer is killed, and the crash leaves HNSW segment headers Chroma cannot load."""
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "newsqa"), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=process_env(store),
    )  # fmt: skip
    wait_for_http(f"http://127.0.0.1:{port}/healthz", server)
    server.send_signal(signal.SIGKILL)
    server.wait()
    headers = sorted(store.glob("*/header.bin"))
    assert headers
    for header in headers:
        header.write_bytes(random.Random(7).randbytes(header.stat().st_size))


def test_a_store_left_damaged_is_rebuilt_from_its_documents(feed: Path, tmp_path: Path) -> None:
    store, log = tmp_path / "store", tmp_path / "ingest.log"
    first = ingest(feed, store, log)
    assert first.wait(timeout=600) == 0, log.read_text()
    before = checked(store)

    kill_a_writer_and_damage_the_store(store)

    again = subprocess.run(
        [str(BIN / "newsqa"), "ingest", str(feed)],
        capture_output=True, text=True, env=process_env(store), timeout=600,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "the store was damaged" in again.stderr
    assert f"rebuilt {FEED_ARTICLES} documents" in again.stderr
    # The rebuilt records keep their content hashes: nothing needs ingesting again.
    assert again.stdout.startswith(f"added 0, updated 0, unchanged {FEED_ARTICLES}, failed 0")
    after = checked(store)
    assert after["repaired"] is None  # a clean stop since: no second check, no second rebuild
    for key in ("documents", "chunks", "chunks_named"):
        assert after[key] == before[key]
    assert after["partial"] == [] and after["passages"]
    repair = subprocess.run(
        [str(BIN / "newsqa"), "repair"],
        capture_output=True, text=True, env=process_env(store), timeout=600,
    )  # fmt: skip
    assert repair.returncode == 0, repair.stderr
    assert repair.stdout.strip() == (
        f"the store at {store} reads cleanly: {after['documents']} documents, "
        f"{after['chunks']} chunks"
    )
    kept = list(tmp_path.glob("store.damaged-*"))
    assert len(kept) == 1 and (kept[0] / "chroma.sqlite3").exists()
    assert sorted(kept[0].glob("*/header.bin"))  # the damaged files are kept, not deleted

    # The rebuild itself is killed part-way; the next writer takes it up from the same records.
    kill_a_writer_and_damage_the_store(store)
    rebuild_log = tmp_path / "rebuild.log"
    rebuilding = ingest(feed, store, rebuild_log)
    wait_for_log(rebuilding, rebuild_log, f"/{FEED_ARTICLES} documents")
    assert f"/{FEED_ARTICLES} documents" in rebuild_log.read_text(), rebuild_log.read_text()
    rebuilding.send_signal(signal.SIGKILL)
    rebuilding.wait()
    resumed = subprocess.run(
        [str(BIN / "newsqa"), "repair"],
        capture_output=True, text=True, env=process_env(store), timeout=600,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert "an earlier rebuild from" in resumed.stdout and "was cut short" in resumed.stdout
    assert f"rebuilt {FEED_ARTICLES} documents" in resumed.stdout
    final = checked(store)
    for key in ("documents", "chunks", "chunks_named"):
        assert final[key] == before[key]
    assert final["partial"] == []
