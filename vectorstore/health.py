"""Is an embedded store readable? Asked in a child process, because Chroma 1.5's Rust HNSW loader
can kill the whole process (SIGSEGV) on a segment a crash left half-written, instead of raising.

`python -m vectorstore.health DATA_DIR PREFIX` loads every newsqa collection the way a query
does (get, count, a nearest-neighbour query) and exits 0 when all of them answer.
"""

import signal
import subprocess
import sys
from pathlib import Path

PROBE_TIMEOUT_SECONDS = 120.0


def damage(data_dir: Path, prefix: str) -> str | None:
    """None when the store at `data_dir` reads cleanly; otherwise what went wrong."""
    if not (data_dir / "chroma.sqlite3").exists():
        return None
    command = [sys.executable, "-m", "vectorstore.health", str(data_dir), prefix]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=PROBE_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired:
        return f"reading it did not finish within {PROBE_TIMEOUT_SECONDS:g} s"
    if done.returncode == 0:
        return None
    if done.returncode < 0:
        return f"reading it killed the reader ({signal.Signals(-done.returncode).name})"
    lines = done.stderr.strip().splitlines()
    return lines[-1] if lines else f"reading it failed (exit {done.returncode})"


def _probe(data_dir: str, prefix: str) -> None:
    import chromadb
    import numpy as np
    from chromadb.config import Settings

    client = chromadb.PersistentClient(data_dir, settings=Settings(anonymized_telemetry=False))
    for collection in client.list_collections():
        if not collection.name.startswith(f"{prefix}_"):
            continue
        collection.get(limit=1, include=["metadatas"])
        if collection.count():
            vectors = collection.get(limit=1, include=["embeddings"])["embeddings"]
            if vectors is not None and len(vectors):
                vector = np.asarray(vectors[0], dtype=np.float32).tolist()
                collection.query(query_embeddings=[vector], n_results=1)


if __name__ == "__main__":
    try:
        _probe(sys.argv[1], sys.argv[2])
    except Exception as exc:  # the parent reports the last line
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
