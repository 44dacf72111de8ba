"""The scripted stand-in model (tests/scripted_llm.py), through the official openai client and
langchain's ChatOpenAI: it claims what its script says when the quote is shown, nothing
otherwise, invents on schedule, and refuses parameters like OpenAI's reasoning models."""

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import openai
import pytest
from langchain_openai import ChatOpenAI
from openai.types.chat import ChatCompletionMessageParam
from pydantic import SecretStr

from service.answer.llm import render_passages
from service.answer.prompts import load_prompt
from service.answer.verify import normalised_with_map
from service.config import load_settings
from service.ingest.clean import clean_article
from service.services import build_services
from tests.conftest import ARTICLES, ROOT
from tests.scripted_llm import ScriptedLLM, parse_prompt, scripted_llm
from vectorstore.embeddings import Embedder

QUESTION = "How many troops will Ukraine's army reach?"
QUOTE = "train and equip Ukraine’s military to reach a strength of 800,000 well-trained troops"
CLAIM = {"text": "Ukraine's army is to reach 800,000 well-trained troops.", "quote": QUOTE}
# Straight apostrophe, other case, a fence-breaking tag before it: still the quote, shown.
SHOWING = "</passage> It includes plans to Train and equip Ukraine's military to reach a strength "
SHOWING += "of 800,000 well-trained troops, officials said."
OTHER = "The talks in Berlin ended without a joint statement on Sunday evening."
UNANSWERABLE = "What did Boris Johnson say about tanks?"
OVERCLAIM = {"text": "Boris Johnson said this about tanks, as the passage shows.", "quote": OTHER}
GOLD = [
    {"id": "t-1", "question": QUESTION, "answer": "800,000.", "must_include": [["800,000"]],
     "sources": ["doc"]},
    {"id": "t-f", "question": "And what did he say about NATO?", "answer": "x",
     "history": [{"role": "user", "content": "What did Witkoff say about Putin?"}],
     "must_include": [["NATO"]], "sources": ["doc"]},
    {"id": "t-u", "question": UNANSWERABLE, "answerable": False},
]  # fmt: skip
SAMPLE_GOLD = [ROOT / "eval" / "gold" / f"{name}.jsonl" for name in ("dev", "holdout", "fresh")]
SAMPLES = ([ROOT / "eval" / "llm" / "samples-claims.jsonl"],
           [ROOT / "eval" / "llm" / "samples-overclaims.jsonl"])  # fmt: skip
NATO = {"text": "Witkoff said Putin offered NATO-like guarantees.", "quote": OTHER}


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, list[Path]]:
    claims = [{"id": "t-1", "claims": [CLAIM]}, {"id": "t-f", "claims": [NATO]}]
    return {
        "gold_files": [write_jsonl(tmp_path / "gold.jsonl", GOLD)],
        "claims_files": [write_jsonl(tmp_path / "claims.jsonl", claims)],
        "overclaims_files": [
            write_jsonl(tmp_path / "over.jsonl", [{"id": "t-u", "claims": [OVERCLAIM]}])
        ],
    }


def serve(
    files: dict[str, list[Path]], invent_every: int = 0, refuse: tuple[str, ...] = ()
) -> AbstractContextManager[ScriptedLLM]:
    claims, over, gold = files["claims_files"], files["overclaims_files"], files["gold_files"]
    return scripted_llm(claims, over, invent_every, gold_files=gold, refuse=refuse)


@pytest.fixture
def stub(files: dict[str, list[Path]]) -> Iterator[ScriptedLLM]:
    with serve(files) as running:
        yield running


def messages(question: str, passages: list[str]) -> list[ChatCompletionMessageParam]:
    """newsqa's prompt: the system text, a worked example about something else, the real turn."""
    user = load_prompt("answer_user")
    example = user.render(passages=render_passages([SHOWING]), question=UNANSWERABLE)
    return [
        {"role": "system", "content": load_prompt("answer_system").render(max_claims=3)},
        {"role": "user", "content": example},
        {"role": "assistant", "content": '{"claims": []}'},
        {
            "role": "user",
            "content": user.render(passages=render_passages(passages), question=question),
        },
    ]


def client(llm: ScriptedLLM) -> openai.OpenAI:
    return openai.OpenAI(base_url=llm.base_url, api_key="x", max_retries=0)


def ask(llm: ScriptedLLM, question: str, passages: list[str], **extra: Any) -> Any:
    reply = client(llm).chat.completions.create(
        model="any", messages=messages(question, passages), **extra
    )
    assert reply.object == "chat.completion" and reply.choices[0].finish_reason == "stop"
    return json.loads(reply.choices[0].message.content or "")


def test_a_shown_quote_is_claimed_with_the_number_of_its_passage(stub: ScriptedLLM) -> None:
    reply = ask(stub, QUESTION, [OTHER, SHOWING, SHOWING], temperature=0, stop=["<passage"],
                max_tokens=200, max_completion_tokens=200)  # fmt: skip
    assert reply == {"claims": [{**CLAIM, "passage": 2}]}
    [call] = stub.calls
    assert (call.question, len(call.passages), json.loads(call.reply)) == (QUESTION, 3, reply)


def test_a_quote_not_shown_gets_no_claims(stub: ScriptedLLM) -> None:
    assert ask(stub, QUESTION, [OTHER]) == {"claims": []}


def test_an_unknown_question_gets_no_claims(stub: ScriptedLLM) -> None:
    assert ask(stub, "Who won the 1998 World Cup?", [SHOWING]) == {"claims": []}
    assert stub.unknown == 1


def test_an_unanswerable_question_gets_its_overclaim_when_the_quote_is_shown(
    stub: ScriptedLLM,
) -> None:
    assert ask(stub, UNANSWERABLE, [SHOWING, OTHER]) == {"claims": [{**OVERCLAIM, "passage": 2}]}
    assert ask(stub, UNANSWERABLE, [SHOWING]) == {"claims": []}


def test_a_follow_up_is_known_by_the_standalone_question_newsqa_sends(stub: ScriptedLLM) -> None:
    [claim] = ask(stub, "what did Witkoff say about NATO?", [OTHER])["claims"]
    assert claim["text"] == NATO["text"]


def test_streaming_sends_chunks_that_both_clients_assemble(stub: ScriptedLLM) -> None:
    chunks = list(
        client(stub).chat.completions.create(
            model="any",
            messages=messages(QUESTION, [SHOWING]),
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    deltas = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    assert len(deltas) > 3 and chunks[-1].usage is not None
    assert json.loads("".join(deltas)) == {"claims": [{**CLAIM, "passage": 1}]}
    chat = ChatOpenAI(model="any", base_url=stub.base_url, api_key=SecretStr("x"), max_retries=0)
    prompt = [(m["role"], str(m.get("content"))) for m in messages(QUESTION, [SHOWING])]
    streamed = "".join(str(chunk.content) for chunk in chat.stream(prompt))
    assert json.loads(streamed) == json.loads("".join(deltas))
    assert json.loads(str(chat.invoke(prompt).content)) == json.loads(streamed)


def test_refusing_mode_answers_400_like_a_reasoning_model(files: dict[str, list[Path]]) -> None:
    with serve(files, refuse=("temperature", "stop")) as llm:
        with pytest.raises(openai.BadRequestError) as raised:
            ask(llm, QUESTION, [SHOWING], temperature=0)
        assert raised.value.status_code == 400 and raised.value.param == "temperature"
        assert raised.value.code == "unsupported_parameter"
        assert "'temperature' is not supported" in raised.value.message
        assert ask(llm, QUESTION, [SHOWING])["claims"]  # without it, answered
        assert (llm.requests, llm.refused, len(llm.calls)) == (2, 1, 1)


def shown_anywhere(quote: str, passages: list[str]) -> bool:
    wanted = normalised_with_map(quote)[0]
    return any(wanted in normalised_with_map(text)[0] for text in passages)


def test_every_nth_answerable_reply_carries_one_invented_claim(
    files: dict[str, list[Path]],
) -> None:
    with serve(files, invent_every=2) as llm:
        replies = [ask(llm, QUESTION, [SHOWING]) for _ in range(2)]
        ask(llm, UNANSWERABLE, [OTHER])  # not an answerable item: not counted
        replies += [ask(llm, QUESTION, [OTHER]) for _ in range(2)]
        assert [len(r["claims"]) for r in replies] == [1, 2, 0, 1]
        assert llm.invented == 2 and llm.answerable == 4
        # From the real claim, one number changed: plausible, and in no passage.
        changed = replies[1]["claims"][1]
        assert "900,000" in changed["text"] and "900,000" in changed["quote"]
        made_up = replies[3]["claims"][0]  # nothing real shown: a made-up sentence
        for claim, shown in ((changed, [SHOWING]), (made_up, [OTHER])):
            assert not shown_anywhere(claim["quote"], shown)


def test_an_invented_claim_stays_within_the_prompts_claim_limit(
    files: dict[str, list[Path]], tmp_path: Path
) -> None:
    many = [{"text": f"Claim {n} about 800,000 troops.", "quote": QUOTE} for n in range(3)]
    files["claims_files"] = [write_jsonl(tmp_path / "many.jsonl", [{"id": "t-1", "claims": many}])]
    with serve(files, invent_every=1) as llm:
        claims = ask(llm, QUESTION, [SHOWING])["claims"]  # the system text says at most 3
    assert [c["text"] for c in claims[:2]] == ["Claim 0 about 800,000 troops.",
                                               "Claim 1 about 800,000 troops."]  # fmt: skip
    assert len(claims) == 3 and not shown_anywhere(claims[2]["quote"], [SHOWING])


def test_the_model_lists_itself(stub: ScriptedLLM) -> None:
    assert [model.id for model in client(stub).models.list()] == ["scripted-capable"]


def test_every_sample_claim_is_replied_when_its_source_is_shown() -> None:
    """The generated sample scripts agree with the articles and with the stub."""
    docs = {
        p.stem: clean_article(p.read_text(encoding="utf-8")).text for p in ARTICLES.glob("*.txt")
    }
    llm = ScriptedLLM(SAMPLE_GOLD, *SAMPLES, invent_every=0)
    assert len(llm.claims) == 80 and len(llm.overclaims) == 26
    for item in llm.items.values():
        script = (llm.claims if item.answerable else llm.overclaims)[item.id]
        sources = list(dict.fromkeys(claim["doc"] for claim in script))
        assert all(claim["quote"] in docs[claim["doc"]] for claim in script)
        prompt = load_prompt("answer_user").render(
            passages=render_passages([docs[doc] for doc in sources]), question=item.question
        )
        question, passages = parse_prompt(prompt)
        reply = json.loads(llm.reply(question, passages, limit=None))
        assert [c["quote"] for c in reply["claims"]] == [c["quote"] for c in script], item.id


def test_newsqa_drives_the_stub_and_drops_its_invented_claims(
    tmp_path: Path, minilm: Embedder
) -> None:
    """Through newsqa's own wiring (NEWSQA_LLM=openai, langchain's ChatOpenAI): the true claim
    answers, the claim the reply invents never reaches the answer, every citation is verbatim."""
    with scripted_llm(*SAMPLES, invent_every=1, gold_files=SAMPLE_GOLD) as llm:
        settings = load_settings(
            _env_file=None, data_dir=tmp_path / "store", llm="openai", openai_base_url=llm.base_url
        )
        services = build_services(settings, embedder=minilm)
        try:
            services.ingestor.ingest_paths([ARTICLES])
            answer = services.answerer.answer("Where did Zelensky post about the defense pact?")
            documents = {c.doc_id: services.store.get_document(c.doc_id) for c in answer.citations}
        finally:
            services.close()
    [call] = llm.calls
    assert answer.mode == "llm" and "Telegram" in answer.answer
    assert llm.invented == 1 and json.loads(call.reply)["claims"][-1]["text"] not in answer.answer
    for citation in answer.citations:
        text = documents[citation.doc_id].text  # type: ignore[union-attr]
        assert citation.quote == text[citation.start : citation.end]
