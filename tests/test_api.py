"""The HTTP service as clients see it: a real uvicorn process on a free port, over the embedded
store and over a real `chroma run` server."""

import uuid
from collections.abc import Iterator

import httpx
import pytest

from service.ingest.clean import clean_article
from tests.conftest import ARTICLES, newsqa_server, read_events


@pytest.fixture(scope="module", params=["embedded", "chroma-server"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    env = {}
    if request.param == "chroma-server":
        env = {
            "NEWSQA_CHROMA_URL": request.getfixturevalue("chroma_server"),
            "NEWSQA_COLLECTION_PREFIX": f"api{uuid.uuid4().hex[:8]}",
        }
    with newsqa_server(tmp_path_factory.mktemp("api"), **env) as url:
        yield url


def test_health_and_readiness(server: str) -> None:
    assert httpx.get(f"{server}/healthz").json() == {"status": "ok"}
    ready = {"status": "ready", "documents": 5, "generator": "extractive"}
    assert httpx.get(f"{server}/readyz").json() == ready


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


@pytest.mark.parametrize("how", ["accept-header", "stream-field"])
def test_ask_streams_retrieval_then_deltas_then_the_answer(server: str, how: str) -> None:
    question = {"question": "What is Putin's red line?"}
    plain = httpx.post(f"{server}/v1/ask", json=question, timeout=60).json()
    if how == "accept-header":
        request = {"json": question, "headers": {"Accept": "text/event-stream"}}
    else:
        request = {"json": {**question, "stream": True}}
    with httpx.stream("POST", f"{server}/v1/ask", timeout=60, **request) as response:  # type: ignore[arg-type]
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = read_events(response)
    names = [name for name, _ in events]
    assert names[0] == "retrieval" and names[-1] == "answer"
    assert set(names[1:-1]) == {"delta"} and len(names) > 3
    final = events[-1][1]
    # The deltas join to exactly the answer text, and the stream's answer is the plain one.
    assert "".join(data["text"] for name, data in events if name == "delta") == final["answer"]
    assert final["answer"] == plain["answer"] and final["citations"] == plain["citations"]
    assert events[0][1]["retrieved"] == final["retrieved"]


def test_ingest_ask_delete_ask_again(server: str) -> None:
    question = {"question": "How many lanterns did the Ostrava festival float?"}
    before = httpx.post(f"{server}/v1/ask", json=question, timeout=60).json()
    assert before["abstained"] is True

    article = {
        "id": "ostrava-lanterns",
        "title": "Ostrava floats lanterns for its river festival",
        "text": "The Ostrava river festival floated 4,200 paper lanterns on Saturday night. "
        "Organisers said the lanterns were made by local schoolchildren over three months.",
        "published_at": "2025-08-20",
    }
    created = httpx.post(f"{server}/v1/documents", json=article, timeout=60)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/v1/documents/ostrava-lanterns"
    assert created.json() == {"documents": [{"id": "ostrava-lanterns", "label": article["title"],
                                             "status": "added", "chunks": 1}]}  # fmt: skip
    again = httpx.post(f"{server}/v1/documents", json=article, timeout=60)
    assert again.status_code == 200 and again.json()["documents"][0]["status"] == "unchanged"

    answered = httpx.post(f"{server}/v1/ask", json=question, timeout=60).json()
    assert answered["abstained"] is False and "4,200" in answered["answer"]
    assert {c["doc_id"] for c in answered["citations"]} == {"ostrava-lanterns"}
    stored = httpx.get(f"{server}/v1/documents/ostrava-lanterns").json()
    assert stored["title"] == article["title"] and stored["published_at"] == "2025-08-20"
    for citation in answered["citations"]:
        assert stored["text"][citation["start"] : citation["end"]] == citation["quote"]

    assert httpx.delete(f"{server}/v1/documents/ostrava-lanterns").status_code == 204
    assert httpx.get(f"{server}/v1/documents/ostrava-lanterns").status_code == 404
    gone = httpx.delete(f"{server}/v1/documents/ostrava-lanterns")
    assert gone.status_code == 404 and gone.headers["content-type"] == "application/problem+json"
    after = httpx.post(f"{server}/v1/ask", json=question, timeout=60).json()
    assert after["abstained"] is True and after["citations"] == []


def test_an_article_without_a_headline_is_named_by_its_first_words(server: str) -> None:
    article = {
        "id": "kestrel-ferry",
        "text": "The Kestrel island ferry carried 9,300 passengers in its first week, the "
        "harbour office said.\n\nFares stay at two euros until the spring.",
    }
    lede = "The Kestrel island ferry carried 9,300 passengers in…"
    created = httpx.post(f"{server}/v1/documents", json=article, timeout=60)
    assert created.status_code == 201, created.text
    try:
        assert created.json()["documents"][0]["label"] == lede
        listed = httpx.get(f"{server}/v1/documents", params={"limit": 500}).json()["documents"]
        [entry] = [d for d in listed if d["id"] == "kestrel-ferry"]
        assert entry["title"] is None and entry["label"] == lede
        # Every document has a readable label, headline-less samples included; none is an id.
        assert all(d["label"] and d["id"] not in d["label"] for d in listed)
        one = httpx.get(f"{server}/v1/documents/kestrel-ferry").json()
        assert one["title"] is None and one["label"] == lede
        assert one["text"] == clean_article(article["text"]).text  # no label added to it

        question = {"question": "How many passengers did the Kestrel island ferry carry?"}
        answer = httpx.post(f"{server}/v1/ask", json=question, timeout=60).json()
        assert "9,300" in answer["answer"]
        cited = [c for c in answer["citations"] if c["doc_id"] == "kestrel-ferry"]
        assert cited and all(c["title"] is None and c["label"] == lede for c in cited)
    finally:
        assert httpx.delete(f"{server}/v1/documents/kestrel-ferry").status_code == 204


def test_documents_list_pages_and_get_has_the_cleaned_text(server: str) -> None:
    first = httpx.get(f"{server}/v1/documents", params={"limit": 2}).json()
    rest = httpx.get(f"{server}/v1/documents", params={"limit": 10, "offset": 2}).json()
    assert first["total"] == rest["total"] == 5
    ids = [d["id"] for d in first["documents"] + rest["documents"]]
    assert ids == sorted(p.stem for p in ARTICLES.glob("*.txt"))
    assert all("text" not in d and d["chunks"] > 0 for d in first["documents"])
    one = httpx.get(f"{server}/v1/documents/{ids[0]}").json()
    raw = (ARTICLES / f"{ids[0]}.txt").read_text(encoding="utf-8")
    assert one["text"] == clean_article(raw).text
    bad = httpx.get(f"{server}/v1/documents", params={"limit": 0})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


def test_file_upload_uses_the_loaders_and_the_file_name_as_id(server: str) -> None:
    html = (
        "<html><head><title>Harbour bridge reopens</title></head><body><nav>Home | News</nav>"
        "<article><h1>Harbour bridge reopens</h1><p>The Kestrel harbour bridge reopened on "
        "Tuesday after eleven weeks of repairs, the port authority said.</p><p>Traffic "
        "returned within the hour.</p></article></body></html>"
    )
    files = {"file": ("kestrel-bridge.html", html.encode(), "text/html")}
    created = httpx.post(f"{server}/v1/documents", files=files, timeout=60)
    assert created.status_code == 201, created.text
    assert created.json()["documents"][0]["id"] == "kestrel-bridge"
    stored = httpx.get(f"{server}/v1/documents/kestrel-bridge").json()
    assert "eleven weeks of repairs" in stored["text"] and "Home | News" not in stored["text"]

    binary = {"file": ("photo.txt", b"\x89PNG\x00\x00binary", "text/plain")}
    refused = httpx.post(f"{server}/v1/documents", files=binary)
    assert refused.status_code == 422 and "binary" in refused.json()["detail"]
    wrong_type = httpx.post(f"{server}/v1/documents", content=b"text", headers={
        "content-type": "text/plain"})  # fmt: skip
    assert wrong_type.status_code == 415
    assert httpx.delete(f"{server}/v1/documents/kestrel-bridge").status_code == 204
    assert httpx.get(f"{server}/readyz").json()["documents"] == 5


def test_summarize_over_http(server: str) -> None:
    doc_id = "004_adbbeb2228c4cbfc"
    body = httpx.post(f"{server}/v1/summarize", json={"doc_id": doc_id, "max_words": 60},
                      timeout=60).json()  # fmt: skip
    assert 0 < body["words"] <= 60 and body["citations"]
    text = httpx.get(f"{server}/v1/documents/{doc_id}").json()["text"]
    for citation in body["citations"]:
        assert f"[{citation['n']}]" in body["summary"]
        assert text[citation["start"] : citation["end"]] == citation["quote"]

    missing = httpx.post(f"{server}/v1/summarize", json={"doc_id": "no-such-article"})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    for bad in ({"topic": "  "}, {"doc_id": doc_id, "max_words": 19}, {"topic": "x",
                "max_words": 1001}, {}, {"doc_id": doc_id, "topic": "Ukraine"}):  # fmt: skip
        response = httpx.post(f"{server}/v1/summarize", json=bad)
        assert response.status_code == 422, bad
        assert response.headers["content-type"] == "application/problem+json"
