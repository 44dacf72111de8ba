"""The measurements of one scale: ingest, unchanged re-ingest, the rebuild of a damaged store,
retrieval and HTTP answer latency, answers/s under concurrent clients and server peak RSS —
newsqa and the plain LangChain pipeline side by side on the same corpus."""

import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.corpus import SAMPLES, build
from bench.plain_langchain import PlainPipeline
from service.config import load_settings
from service.ingest.repair import rebuild
from service.services import build_services
from vectorstore.embeddings import Embedder, TorchMiniLM

BIN = Path(sys.executable).parent
CHUNKS_PER_ARTICLE = 3
CLIENTS = (1, 4, 8)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered)) - 1))]


def latency(call: Callable[[str], Any], questions: list[str], passes: int) -> dict[str, float]:
    """p50/p95 in ms over `passes` passes of every question, after one warm-up pass."""
    for question in questions:
        call(question)
    times = []
    for _ in range(passes):
        for question in questions:
            started = time.perf_counter()
            call(question)
            times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(percentile(times, 50), 2), "p95_ms": round(percentile(times, 95), 2)}


def corpus_files(root: Path, chunks: int) -> list[Path]:
    folder = build(root / "corpus" / str(chunks), articles=max(1, chunks // CHUNKS_PER_ARTICLE))
    for sample in SAMPLES.glob("*.txt"):  # the gold questions are about the samples
        shutil.copy(sample, folder / sample.name)
    return sorted(folder.glob("*.txt"))


def ingest_newsqa(
    files: list[Path], store: Path, model: Embedder, questions: list[str], passes: int
) -> dict[str, Any]:
    shutil.rmtree(store, ignore_errors=True)
    services = build_services(load_settings(_env_file=None, data_dir=store), embedder=model)
    try:

        def progress(done: int, total: int) -> None:
            if done % max(1, total // 10) == 0 or done == total:
                say(f"    newsqa ingest {done}/{total} files")

        first = services.ingestor.ingest_paths(files, on_progress=progress)
        again = services.ingestor.ingest_paths(files)
        retrieval = latency(lambda q: services.retriever.retrieve(q, 6), questions, passes)
        return {
            "seconds": first.seconds,
            "documents": len(files),
            "chunks": first.chunks_embedded,
            "reingest_seconds": again.seconds,
            "reingest_embedded": again.chunks_embedded,
            "retrieval": retrieval,
        }
    finally:
        services.close()


def rebuild_newsqa(store: Path, model: Embedder) -> float:
    """Seconds to rebuild a copy of the store as if it were damaged (`newsqa repair`'s work).
    A copy: this process has a Chroma client open on the store itself."""
    copy = store.with_name(f"{store.name}-rebuilt")
    shutil.copytree(store, copy)
    try:
        return rebuild(load_settings(_env_file=None, data_dir=copy), model, "bench").seconds
    finally:
        for folder in copy.parent.glob(f"{copy.name}*"):
            shutil.rmtree(folder, ignore_errors=True)


def ingest_plain(
    files: list[Path], store: Path, model: TorchMiniLM, questions: list[str], passes: int
) -> dict[str, Any]:
    shutil.rmtree(store, ignore_errors=True)
    pipeline = PlainPipeline(store, model)
    first = pipeline.ingest(
        files, on_progress=lambda done, total: say(f"    plain ingest {done}/{total} files")
    )
    retrieval = latency(pipeline.search, questions, passes)
    return {
        "seconds": first.seconds,
        "documents": first.documents,
        "chunks": first.chunks,
        "retrieval": retrieval,
    }


def reingest_plain(files: list[Path], store: Path, model: TorchMiniLM) -> dict[str, Any]:
    """The plain pipeline has no notion of unchanged: running it again adds every chunk again."""
    pipeline = PlainPipeline(store, model)
    before = pipeline.count()
    again = pipeline.ingest(files)
    return {"seconds": again.seconds, "chunks_before": before, "chunks_after": pipeline.count()}


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def answers_per_second(
    url: str, questions: list[str], clients: int, seconds: float
) -> dict[str, Any]:
    done, failed = [0], [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(offset: int) -> None:
        with httpx.Client(timeout=60) as http:
            index = offset
            while time.perf_counter() < deadline:
                response = http.post(
                    f"{url}/v1/ask", json={"question": questions[index % len(questions)]}
                )
                with lock:
                    if response.status_code == 200:
                        done[0] += 1
                    else:
                        failed[0] += 1
                index += clients

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"clients": clients, "answers_per_s": round(done[0] / elapsed, 2), "failed": failed[0]}


def serve_and_load(
    store: Path, questions: list[str], passes: int, seconds: float
) -> dict[str, Any]:
    """`newsqa serve` (real uvicorn) over the store: HTTP answer latency, answers/s at 1, 4 and
    8 clients, and the server's peak RSS."""
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")},
        "NEWSQA_DATA_DIR": str(store),
        "NEWSQA_RATE_LIMIT_PER_MINUTE": "0",
    }
    server = subprocess.Popen(
        [str(BIN / "newsqa"), "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, server)
        with httpx.Client(timeout=60) as http:
            answer = latency(
                lambda q: http.post(f"{url}/v1/ask", json={"question": q}).raise_for_status(),
                questions,
                passes,
            )
        throughput = [answers_per_second(url, questions, n, seconds) for n in CLIENTS]
        return {
            "answer_http": answer,
            "throughput": throughput,
            "server_peak_rss_mb": peak_rss_mb(server.pid),
        }
    finally:
        server.terminate()
        server.wait(timeout=60)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, process: subprocess.Popen[bytes], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"newsqa serve exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} not ready within {timeout}s")


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(run[key] for run in runs))
