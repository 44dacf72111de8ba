"""Observability as an operator meets it: /metrics counts exactly what happened, every response
and problem carries the request's id, and the JSON log has one line a request and no secret."""

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from service.answer.llm import LLMGenerator
from service.answer.service import AnswerService
from service.main import create_app
from service.services import Services
from tests.conftest import assert_problem, newsqa_server, read_events
from tests.fakes import QueueChatModel

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
NEW_ID = re.compile(r"[0-9a-f]{32}")
ANSWERABLE = ["What did Witkoff say about Putin?", "What is Putin's red line?"]
DECLINED = "What did Witkoff say about China?"


@pytest.fixture(scope="module")
def client(sample_services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=sample_services)) as test_client:
        yield test_client


def scrape(client: TestClient | httpx.Client, **headers: str) -> Samples:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_metrics_count_exactly_the_asks_the_decline_and_the_errors(client: TestClient) -> None:
    before = scrape(client)
    for question in ANSWERABLE:
        assert not client.post("/v1/ask", json={"question": question}).json()["abstained"]
    with client.stream("POST", "/v1/ask", json={"question": ANSWERABLE[0], "stream": True}) as s:
        assert [name for name, _ in read_events(s)][-1] == "answer"
    assert client.post("/v1/ask", json={"question": DECLINED}).json()["abstained"]
    assert_problem(client.post("/v1/ask", json={"question": ""}), 422)
    assert_problem(client.get("/v1/documents/no-such-doc"), 404)
    after = scrape(client)

    requests = "newsqa_http_requests_total"
    assert moved(before, after, requests, method="POST", route="/v1/ask", status="200") == 4
    assert moved(before, after, requests, method="POST", route="/v1/ask", status="422") == 1
    document = {"method": "GET", "route": "/v1/documents/{doc_id}"}
    assert moved(before, after, requests, **document, status="404") == 1
    assert moved(before, after, requests, method="GET", route="/metrics", status="200") == 1
    assert not any("no-such-doc" in value for _, labels in after for _, value in labels)
    seconds = "newsqa_http_request_duration_seconds_count"
    assert moved(before, after, seconds, method="POST", route="/v1/ask") == 5

    answers = "newsqa_answers_total"
    assert moved(before, after, answers, mode="extractive", declined="false") == 3
    assert moved(before, after, answers, mode="extractive", declined="true") == 1
    for stage in ("retrieve", "generate", "total"):
        count = "newsqa_answer_stage_duration_seconds_count"
        assert moved(before, after, count, stage=stage) == 4
    assert moved(before, after, "newsqa_answer_stage_duration_seconds_sum", stage="total") > 0


def test_ingest_outcomes_and_store_gauges(client: TestClient) -> None:
    before = scrape(client)
    article = {"id": "obs-note", "text": "The Varnholt barrier opened on Monday after six years."}
    added = client.post("/v1/documents", json=article)
    assert added.status_code == 201
    assert client.post("/v1/documents", json=article).status_code == 200  # unchanged
    changed = {**article, "text": article["text"] + " It cost 4,812 crowns."}
    assert client.post("/v1/documents", json=changed).status_code == 201
    assert_problem(client.post("/v1/documents", json={"text": "!!!"}), 422)
    blank = {"file": ("blank.html", b"<html><body><script>x()</script></body></html>")}
    assert_problem(client.post("/v1/documents", files=blank), 422)
    after = scrape(client)

    for outcome, count in [("added", 1), ("unchanged", 1), ("updated", 1), ("failed", 2)]:
        assert moved(before, after, "newsqa_ingest_documents_total", outcome=outcome) == count
    assert moved(before, after, "newsqa_documents") == 1
    assert moved(before, after, "newsqa_chunks") == added.json()["documents"][0]["chunks"]
    assert client.delete("/v1/documents/obs-note").status_code == 204
    assert moved(before, scrape(client), "newsqa_documents") == 0


def test_llm_calls_failures_and_answer_modes(sample_services: Services) -> None:
    model = QueueChatModel()
    llm = AnswerService(sample_services.retriever, LLMGenerator(model, sample_services.retriever))
    services = replace(sample_services, answerer=llm, chat_model=model)
    timeout = openai.APITimeoutError(request=httpx.Request("POST", "http://127.0.0.1:9/v1"))
    model.enqueue('{"claims": []}', "I think about 800,000.", timeout)
    question = {"question": "How many well-trained troops is Ukraine's military meant to reach?"}
    with TestClient(create_app(services=services)) as client:
        before = scrape(client)
        declined = client.post("/v1/ask", json=question).json()
        assert declined["mode"] == "llm" and declined["abstained"]
        fallback = client.post("/v1/ask", json=question).json()
        assert fallback["mode"] == "extractive_fallback" and not fallback["abstained"]
        assert_problem(client.post("/v1/ask", json=question), 504)
        after = scrape(client)

    assert moved(before, after, "newsqa_llm_calls_total", outcome="ok") == 2
    assert moved(before, after, "newsqa_llm_calls_total", outcome="error") == 1
    assert moved(before, after, "newsqa_llm_call_duration_seconds_count") == 3
    answers = "newsqa_answers_total"
    assert moved(before, after, answers, mode="llm", declined="true") == 1
    assert moved(before, after, answers, mode="extractive_fallback", declined="false") == 1
    requests = "newsqa_http_requests_total"
    assert moved(before, after, requests, method="POST", route="/v1/ask", status="504") == 1


def test_a_callers_well_formed_request_id_is_echoed_in_header_and_problem(
    client: TestClient,
) -> None:
    given = "trace-2026.01:ab_C-9"
    response = client.get("/v1/documents/no-such-doc", headers={"X-Request-ID": given})
    assert response.headers["X-Request-ID"] == given
    assert assert_problem(response, 404)["request_id"] == given
    with client.stream("POST", "/v1/ask", json={"question": ANSWERABLE[1], "stream": True},
                       headers={"X-Request-ID": given}) as stream:  # fmt: skip
        assert stream.headers["X-Request-ID"] == given


@pytest.mark.parametrize("given", ["has spaces", "x" * 129, "semi;colon", "", None])
def test_a_malformed_or_missing_request_id_is_replaced_by_a_new_one(
    client: TestClient, given: str | None
) -> None:
    headers = {} if given is None else {"X-Request-ID": given}
    first = client.post("/v1/ask", json={"question": ""}, headers=headers)
    second = client.post("/v1/ask", json={"question": ""}, headers=headers)
    ids = [response.headers["X-Request-ID"] for response in (first, second)]
    assert all(NEW_ID.fullmatch(made) for made in ids) and ids[0] != ids[1]
    assert [response.json()["request_id"] for response in (first, second)] == ids


def test_requests_refused_before_routing_or_crashing_still_carry_their_id(
    client: TestClient, sample_services: Services
) -> None:
    too_big = b"x" * (sample_services.settings.max_body_bytes + 1)
    refused = client.post("/v1/ask", content=too_big, headers={"X-Request-ID": "big-1"})
    assert assert_problem(refused, 413)["request_id"] == "big-1"
    assert refused.headers["X-Request-ID"] == "big-1"

    class Broken:
        def retrieve(self, *args: Any, **kwargs: Any) -> None:
            raise RuntimeError("a bug")

    broken = replace(sample_services, answerer=Broken())
    with TestClient(create_app(services=broken), raise_server_exceptions=False) as crashing:
        crashed = crashing.post(
            "/v1/ask", json={"question": "Why?"}, headers={"X-Request-ID": "c-1"}
        )
    assert assert_problem(crashed, 500)["request_id"] == "c-1"
    assert crashed.headers["X-Request-ID"] == "c-1"


def test_real_server_json_logs_a_line_a_request_with_no_secret_and_guards_metrics(
    tmp_path: Path,
) -> None:
    key, wrong = "sk-obs-4f9d2c", "sk-obs-wrong-77a1"
    article = "Harbour master Ilse Brandvik said the Varnholt barrier held back a 3.2 metre surge."
    question = "What did Ilse Brandvik say about the Varnholt barrier?"
    auth = {"Authorization": f"Bearer {key}"}
    settings = {"NEWSQA_LOG_FORMAT": "json", "NEWSQA_API_KEYS": key}
    with newsqa_server(tmp_path, ingest=False, **settings) as url:
        with httpx.Client(base_url=url, timeout=60) as http:
            posted = http.post("/v1/documents", json={"id": "surge", "text": article},
                               headers={**auth, "X-Request-ID": "obs-post"})  # fmt: skip
            assert posted.status_code == 201
            asked = http.post("/v1/ask", json={"question": question},
                              headers={**auth, "X-Request-ID": "obs-ask"})  # fmt: skip
            assert not asked.json()["abstained"]
            for headers in ({}, {"Authorization": f"Bearer {wrong}"}):
                assert_problem(http.get("/metrics", headers=headers), 401)
            metrics = scrape(http, **auth)
    assert metrics[("newsqa_documents", frozenset())] == 1
    assert metrics[("newsqa_ingest_documents_total", frozenset({("outcome", "added")}))] == 1
    answered = frozenset({("mode", "extractive"), ("declined", "false")})
    assert metrics[("newsqa_answers_total", answered)] == 1

    log = (tmp_path / "server.log").read_text()
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]  # every line JSON
    access = [line for line in lines if line["logger"] == "newsqa.access"]
    by_id = {line["request_id"]: line for line in access}
    assert [line["request_id"] for line in access].count("obs-ask") == 1
    assert by_id["obs-post"]["route"] == "/v1/documents" and by_id["obs-post"]["status"] == 201
    ask = by_id["obs-ask"]
    assert ask["route"] == "/v1/ask" and ask["status"] == 200 and ask["mode"] == "extractive"
    assert ask["level"] == "INFO" and ask["time"] and ask["duration_ms"] > 0
    assert sum(1 for line in access if line["route"] == "/metrics" and line["status"] == 401) == 2
    assert not any(line["logger"] == "uvicorn.access" for line in lines)
    for secret in (key, wrong, "Bearer", article, question, "Brandvik", "Varnholt", "3.2 metre"):
        assert secret not in log
