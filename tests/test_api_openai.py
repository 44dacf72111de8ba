"""The OpenAI-compatible surface, driven by the official `openai` client, unchanged."""

from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.conftest import newsqa_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with newsqa_server(
        tmp_path_factory.mktemp("openai-api"), NEWSQA_API_KEYS="sk-first,sk-second"
    ) as url:
        yield url


@pytest.fixture
def client(server: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server}/v1", api_key="sk-second", max_retries=0)


QUESTION = "What did Witkoff say about Putin?"


def test_models_lists_newsqa(client: openai.OpenAI) -> None:
    assert [model.id for model in client.models.list()] == ["newsqa"]
    assert client.models.retrieve("newsqa").owned_by == "newsqa"


def test_plain_completion_carries_citations_and_a_sources_list(
    client: openai.OpenAI, server: str
) -> None:
    completion = client.chat.completions.create(
        model="newsqa", messages=[{"role": "user", "content": QUESTION}]
    )
    content = completion.choices[0].message.content or ""
    assert completion.object == "chat.completion" and completion.model == "newsqa"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.completion_tokens > 0
    citations = (completion.model_extra or {})["citations"]
    assert citations and "Witkoff" in content
    sources = content.split("\n\nSources:\n")[1].splitlines()
    assert len(sources) == len(citations)
    # The same answer as /v1/ask gives, marker for marker.
    ask = httpx.post(
        f"{server}/v1/ask",
        json={"question": QUESTION},
        headers={"Authorization": "Bearer sk-first"},
        timeout=60,
    ).json()
    assert content.startswith(ask["answer"]) and citations == ask["citations"]
    for citation, line in zip(citations, sources, strict=True):
        # Named by label (a headline-less article by its first words), never by its id.
        assert f"[{citation['n']}]" in content and line == f"[{citation['n']}] {citation['label']}"
        assert citation["doc_id"] not in line
    assert any(citation["title"] is None for citation in citations)


def test_streaming_completion_joins_to_the_plain_one(client: openai.OpenAI) -> None:
    messages = [{"role": "user", "content": QUESTION}]
    plain = client.chat.completions.create(model="newsqa", messages=messages)  # type: ignore[arg-type]
    stream = client.chat.completions.create(
        model="newsqa",
        messages=messages,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content
    finished = [c for c in chunks if c.choices and c.choices[0].finish_reason == "stop"]
    assert len(finished) == 1
    assert (finished[0].model_extra or {})["citations"] == (plain.model_extra or {})["citations"]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    assert len(chunks) > 5  # streamed in pieces, not one lump


def test_earlier_turns_are_the_history(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="newsqa",
        messages=[
            {"role": "system", "content": "You answer about the news."},
            {"role": "user", "content": QUESTION},
            {"role": "assistant", "content": "He said Putin agreed to security guarantees."},
            {"role": "user", "content": "And what did he say about NATO?"},
        ],
    )
    content = completion.choices[0].message.content or ""
    assert "NATO" in content and (completion.model_extra or {})["citations"]


def test_unanswerable_question_is_declined_in_the_text(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="newsqa", messages=[{"role": "user", "content": "What did Witkoff say about China?"}]
    )
    extra = completion.model_extra or {}
    assert extra["abstained"] is True and extra["citations"] == []
    assert "Sources" not in (completion.choices[0].message.content or "")


def test_client_errors_are_typed(server: str, client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(
            model="newsqa", messages=[{"role": "user", "content": "x" * 2001}]
        )
    wrong_key = openai.OpenAI(base_url=f"{server}/v1", api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong_key.models.list()
