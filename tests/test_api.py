"""The HTTP service as clients see it: a real uvicorn process on a free port."""

import subprocess
from collections.abc import Iterator

import httpx
import pytest

from service.ingest.clean import clean_article
from tests.conftest import ARTICLES, BIN, process_env, serving


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("api")
    env = process_env(root / "store")
    subprocess.run([str(BIN / "newsqa"), "ingest", str(ARTICLES)], env=env, check=True,
                   capture_output=True, cwd=root, timeout=300)  # fmt: skip
    with serving(
        lambda port: [str(BIN / "newsqa"), "serve", "--port", str(port)],
        "/healthz",
        root / "server.log",
        env=env,
        cwd=root,
    ) as url:
        yield url


def test_health_and_readiness(server: str) -> None:
    assert httpx.get(f"{server}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{server}/readyz").json() == {"status": "ready", "documents": 5}


def test_ask_answers_with_citations_into_the_stored_text(server: str) -> None:
    response = httpx.post(
        f"{server}/v1/ask", json={"question": "What is Putin's red line?"}, timeout=60
    )
    assert response.status_code == 200
    body = response.json()
    assert body["abstained"] is False and body["citations"]
    texts = {p.stem: p for p in ARTICLES.glob("*.txt")}
    for citation in body["citations"]:
        assert citation["doc_id"] in texts
        assert f"[{citation['n']}]" in body["answer"]
        text = clean_article(texts[citation["doc_id"]].read_text(encoding="utf-8")).text
        assert text[citation["start"] : citation["end"]] == citation["quote"]


def test_invalid_request_is_problem_json(server: str) -> None:
    response = httpx.post(f"{server}/v1/ask", json={"question": ""})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422 and problem["detail"].startswith("body.question")
    assert "Traceback" not in response.text


def test_unknown_route_is_problem_json(server: str) -> None:
    response = httpx.get(f"{server}/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_ask_with_history_and_filters(server: str) -> None:
    body = {
        "question": "And what did he say about NATO?",
        "history": [
            {"role": "user", "content": "What did Witkoff say about Putin?"},
            {"role": "assistant", "content": "He said Putin agreed to Article 5-like guarantees."},
        ],
        "filters": {"doc_ids": ["004_adbbeb2228c4cbfc"]},
    }
    answer = httpx.post(f"{server}/v1/ask", json=body, timeout=60).json()
    assert answer["question"] == "what did Witkoff say about NATO?"
    assert not answer["abstained"]
    assert {c["doc_id"] for c in answer["citations"]} == {"004_adbbeb2228c4cbfc"}
    assert {r["doc_id"] for r in answer["retrieved"]} == {"004_adbbeb2228c4cbfc"}


def test_unanswerable_question_is_declined_not_an_error(server: str) -> None:
    response = httpx.post(
        f"{server}/v1/ask", json={"question": "What did Witkoff say about China?"}
    )
    assert response.status_code == 200
    assert response.json()["abstained"] is True and response.json()["citations"] == []
