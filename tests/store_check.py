"""`python -m tests.store_check DATA_DIR`: open an embedded store the way the next writer would
and print, as JSON, what the crash tests judge it by. It runs in its own process so that the
test process never holds a Chroma client for a store that other processes write."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from service.config import load_settings
from service.services import build_services


def state(data_dir: Path) -> dict[str, object]:
    services = build_services(load_settings(_env_file=None, data_dir=data_dir), writer=True)
    try:
        store = services.store
        ids = store.document_ids()
        documents = store.get_documents(ids)
        chunks = store.get_chunks_of(ids)
        partial = []
        for doc_id, document in documents.items():
            current = [c for c in chunks[doc_id] if c.content_hash == document.content_hash]
            complete = [c.index for c in current] == list(range(document.n_chunks)) and all(
                document.text[c.start : c.end] == c.text for c in current
            )
            if not complete or document.n_chunks == 0:
                partial.append(doc_id)
        # What a reader is shown must come from complete documents only.
        passages = services.retriever.retrieve("report on the talks and the prices", 20)
        unsafe = [
            p.chunk.id
            for p in passages
            if p.chunk.doc_id not in documents
            or p.chunk.content_hash != documents[p.chunk.doc_id].content_hash
        ]
        return {
            "documents": len(ids),
            "chunks": store.count_chunks(),
            "chunks_named": sum(d.n_chunks for d in documents.values()),
            "partial": partial,
            "unsafe_passages": unsafe,
            "passages": len(passages),
            "repaired": services.repaired.summary() if services.repaired else None,
        }
    finally:
        services.close()


def checked(store: Path) -> dict[str, Any]:
    """`state` of the store, computed in a new process (the caller keeps no Chroma client)."""
    from tests.conftest import ROOT, process_env

    done = subprocess.run(
        [sys.executable, "-m", "tests.store_check", str(store)],
        capture_output=True, text=True, cwd=ROOT, env=process_env(store), timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


if __name__ == "__main__":
    print(json.dumps(state(Path(sys.argv[1]))))
