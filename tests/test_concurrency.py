"""Concurrency over HTTP: 8 readers keep asking while a writer ingests for 20 s. No request fails,
every written document is counted exactly once and stored whole, and readers find new ones."""

import random
import threading
import time
from pathlib import Path

import httpx

from bench.corpus import article, sample_sentences
from tests.conftest import newsqa_server
from tests.store_check import checked

READERS = 8
SECONDS = 20.0
QUESTIONS = [
    "What did Witkoff say about Putin?",
    "What is Putin's red line?",
    "Who met European leaders in Washington?",
    "What security guarantees were discussed?",
    "What did Zelensky say about territory?",
    "What happened to oil prices?",  # unanswerable in the samples: declined, not an error
]


def test_eight_readers_and_one_writer_for_twenty_seconds(tmp_path: Path) -> None:
    failures: list[str] = []
    asked = [0] * READERS
    written: list[str] = []
    pool, rng = sample_sentences(), random.Random(5)
    with newsqa_server(tmp_path, NEWSQA_RATE_LIMIT_PER_MINUTE="0") as url:
        deadline = time.monotonic() + SECONDS

        def reader(number: int) -> None:
            with httpx.Client(base_url=url, timeout=60) as client:
                while time.monotonic() < deadline:
                    question = QUESTIONS[(number + asked[number]) % len(QUESTIONS)]
                    response = client.post("/v1/ask", json={"question": question})
                    if response.status_code != 200 or "answer" not in response.json():
                        failures.append(f"ask {response.status_code}: {response.text[:200]}")
                    asked[number] += 1

        def writer() -> None:
            with httpx.Client(base_url=url, timeout=60) as client:
                while time.monotonic() < deadline:
                    doc_id = f"wire-{len(written):04d}"
                    text = article(len(written), pool, rng)
                    response = client.post("/v1/documents", json={"id": doc_id, "text": text})
                    if response.status_code != 201:
                        failures.append(f"ingest {response.status_code}: {response.text[:200]}")
                    written.append(doc_id)

        threads = [threading.Thread(target=reader, args=(n,)) for n in range(READERS)]
        threads.append(threading.Thread(target=writer))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert failures == []
        assert min(asked) > 0 and len(written) > 5, (asked, len(written))
        listed = httpx.get(f"{url}/v1/documents", params={"limit": 200}).json()
        assert listed["total"] == 5 + len(written)
        assert {d["id"] for d in listed["documents"]} >= set(written)
        assert httpx.get(f"{url}/readyz").json()["documents"] == 5 + len(written)
        # A reader asking now finds the last article written among the passages it reads.
        # (Whether the extractive answerer then quotes it depends on the article: these reuse
        # the samples' sentences, and about 1 in 12 of their opening paragraphs is declined.)
        last = httpx.get(f"{url}/v1/documents/{written[-1]}").json()
        opening = last["text"].split("\n")[0]
        answer = httpx.post(f"{url}/v1/ask", json={"question": opening}, timeout=60).json()
        assert written[-1] in {passage["doc_id"] for passage in answer["retrieved"]}

    state = checked(tmp_path / "store")  # the server has stopped: open the store afresh
    assert state["documents"] == 5 + len(written)
    assert state["chunks"] == state["chunks_named"]  # no chunk twice, none left over
    assert state["partial"] == []
