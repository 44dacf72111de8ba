"""The LLM path as a capable model drives it: the scripted model (tests/scripted_llm.py) behind a
real OpenAI-compatible HTTP server, newsqa as a real uvicorn server pointed at it, every gold
item of both corpora asked through `POST /v1/ask`, and each article it asks about summarized
through `POST /v1/summarize`. What must hold for a user: no invented or
over-reaching claim is ever shown, every quote is verbatim, the lookalikes are declined (so
far on the samples and the twinned sets). Where these do not hold yet (corpus-dev, written), no
more over-reach and no worse accuracy or declines than the committed baseline of this run
(README, LLM answers)."""

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.summary_recall import stated
from eval import EVAL_DIR
from eval.gold import GoldItem, load_gold
from eval.scorers import answer_correct
from service.answer.models import Answer
from service.answer.verify import normalised_with_map
from tests.conftest import ARTICLES, BIN, ROOT, assert_problem, newsqa_server, process_env
from tests.scripted_llm import ScriptedLLM, question_key, scripted_llm

GOLD = EVAL_DIR / "gold"
LLM = EVAL_DIR / "llm"
WRITTEN = [f"corpus-written-{n}" for n in range(3, 12)]
# Written the same way, each lookalike worded like an answerable question of its set, so that
# the wording does not give it away (eval/gold/WRITING.md, `python -m eval.wording`).
TWINNED = ["corpus-written-12", "corpus-written-13"]
# Twinned too, written blind a round later and measured once when they came: not yet held to
# every lookalike declined, so gated against their baseline.
TWINNED_2 = ["corpus-written-14", "corpus-written-15"]
TWINNED_3 = ["corpus-written-16", "corpus-written-17"]  # the same, a round later again
CORPORA = {
    "samples": ([ARTICLES], ["dev", "holdout", "fresh"]),
    "corpus-dev": (
        [ROOT / "data" / "corpus-dev"],
        ["corpus-dev-tune", "corpus-dev-untuned", "corpus-dev-written", "corpus-dev-written-2"],
    ),
    # New articles and questions, written for evaluation by helpers that never read the code.
    "written": ([ROOT / "data" / name for name in WRITTEN], WRITTEN),
    "twinned": ([ROOT / "data" / name for name in TWINNED], TWINNED),
    "twinned-2": ([ROOT / "data" / name for name in TWINNED_2], TWINNED_2),
    "twinned-3": ([ROOT / "data" / name for name in TWINNED_3], TWINNED_3),
}
BASELINE = EVAL_DIR / "baseline-llm-scripted.json"
TOLERANCE = 0.02  # as the eval gate's: one item in 60 flipping is noise


@pytest.fixture(scope="module")
def stub() -> Iterator[ScriptedLLM]:
    replies = ["samples", "corpus-dev", "corpus-dev-written", "corpus-dev-written-2", *WRITTEN,
               *TWINNED, *TWINNED_2, *TWINNED_3]  # fmt: skip
    claims = [LLM / f"{name}-claims.jsonl" for name in replies]
    overclaims = [LLM / f"{name}-overclaims.jsonl" for name in replies]
    gold = [GOLD / f"{name}.jsonl" for _, names in CORPORA.values() for name in names]
    with scripted_llm(claims, overclaims, invent_every=5, gold_files=gold) as llm:
        yield llm


Asked = list[tuple[GoldItem, dict[str, Any]]]


def ask_all(stub: ScriptedLLM, tmp: Path, corpus: str) -> tuple[Asked, dict[str, Any]]:
    """Every gold item asked, and a 120-word summary of each article the gold asks about."""
    articles, names = CORPORA[corpus]
    # An eval run asks more than the default 120 questions a minute.
    env = {"NEWSQA_LLM": "openai", "OPENAI_BASE_URL": stub.base_url,
           "NEWSQA_LLM_MODEL": "scripted-capable", "NEWSQA_RATE_LIMIT_PER_MINUTE": "0"}  # fmt: skip
    command = [str(BIN / "newsqa"), "ingest", *map(str, articles)]
    environment = process_env(tmp / "store", **env)
    subprocess.run(command, check=True, cwd=tmp, env=environment, capture_output=True, timeout=300)
    asked = []
    with newsqa_server(tmp, ingest=False, **env) as url, httpx.Client(timeout=60) as client:
        for item in [i for name in names for i in load_gold(GOLD / f"{name}.jsonl")]:
            history = [turn.model_dump() for turn in item.history]
            response = client.post(f"{url}/v1/ask", json={"question": item.question,
                                                         "history": history})  # fmt: skip
            assert response.status_code == 200, response.text
            asked.append((item, response.json()))
        summaries = {}
        for doc_id in sorted({d for item, _ in asked if item.answerable for d in item.sources}):
            response = client.post(f"{url}/v1/summarize", json={"doc_id": doc_id,
                                                                "max_words": 120})  # fmt: skip
            assert response.status_code == 200, response.text
            summaries[doc_id] = response.json()
        texts = {d: client.get(f"{url}/v1/documents/{d}").json()["text"]
                 for d in {c["doc_id"] for a in [*(a for _, a in asked), *summaries.values()]
                           for c in a["citations"]}}  # fmt: skip
    for answer in [*(a for _, a in asked), *summaries.values()]:
        for citation in answer["citations"]:
            assert (
                texts[citation["doc_id"]][citation["start"] : citation["end"]] == citation["quote"]
            )
    return asked, summaries


def never_to_show(stub: ScriptedLLM) -> tuple[set[str], set[str]]:
    """Claim texts the stub sent that no user may see: those it invented for answerable items,
    and every claim it made to a lookalike."""
    invented, overclaims = set(), set()
    scripted = {claim["text"] for claims in stub.claims.values() for claim in claims}
    for call in stub.calls:
        if not call.question:  # a summary's map call
            invented |= {c["text"] for c in json.loads(call.reply)["claims"]} - scripted
            continue
        item = stub.items.get(question_key(call.question))
        if item is None:
            continue
        real = {claim["text"] for claim in stub.claims.get(item.id, [])}
        for claim in json.loads(call.reply)["claims"]:
            if not item.answerable:
                overclaims.add(claim["text"])
            elif claim["text"] not in real:
                invented.add(claim["text"])
    return invented, overclaims


def measure(stub: ScriptedLLM, asked: Asked, summaries: dict[str, Any]) -> dict[str, Any]:
    shown = " ".join(normalised_with_map(a["answer"])[0] for _, a in asked)
    shown += " ".join(normalised_with_map(s["summary"])[0] for s in summaries.values())
    facts = [(i, d) for i, _ in asked if i.answerable and len(i.sources) == 1 and not i.history
             for d in i.sources]  # fmt: skip
    invented, overclaims = never_to_show(stub)
    answerable = [(i, Answer.model_validate(a)) for i, a in asked if i.answerable]
    lookalikes = [a for i, a in asked if not i.answerable]
    return {
        "answer_accuracy": round(
            sum(answer_correct(i, a) for i, a in answerable) / len(answerable), 4
        ),
        "abstention_accuracy": round(sum(a["abstained"] for a in lookalikes) / len(lookalikes), 4),
        "invented_shown": sorted(t for t in invented if normalised_with_map(t)[0] in shown),
        "overclaims_shown": sorted(t for t in overclaims if normalised_with_map(t)[0] in shown),
        "modes": sorted({a.mode for _, a in answerable}),
        # Facts the gold asks about that the article's summary states (bench.summary_recall):
        # what verification keeps of the points a capable model makes.
        "summary_facts_stated": round(
            sum(stated(summaries[d]["summary"], i) for i, d in facts) / len(facts), 4
        ),
        "summary_modes": sorted({s["mode"] for s in summaries.values()}),
        "summary_words_kept": all(s["words"] <= 120 for s in summaries.values()),
    }


@pytest.mark.parametrize("corpus", list(CORPORA))
def test_a_capable_model_is_answered_checked_and_never_overreaches(
    stub: ScriptedLLM, tmp_path: Path, corpus: str
) -> None:
    asked, summaries = ask_all(stub, tmp_path, corpus)
    found = measure(stub, asked, summaries)
    print(corpus, json.dumps(found))
    assert found["invented_shown"] == [] and found["modes"] == ["llm"]
    assert found["summary_modes"] == ["llm"] and found["summary_words_kept"]
    if corpus in ("samples", "twinned"):  # what a user is promised where it holds already
        assert found["abstention_accuracy"] == 1.0 and found["overclaims_shown"] == [], found
    before = json.loads(BASELINE.read_text(encoding="utf-8"))[corpus]
    # Not yet zero on corpus-dev: no more over-reaching claims shown than the baseline's.
    assert len(found["overclaims_shown"]) <= len(before["overclaims_shown"]), found
    for metric in ("answer_accuracy", "abstention_accuracy", "summary_facts_stated"):
        assert found[metric] >= before[metric] - TOLERANCE, (metric, found[metric], before)


def test_a_reasoning_model_is_sent_no_temperature_or_stop(tmp_path: Path) -> None:
    claims, overclaims = [LLM / "samples-claims.jsonl"], [LLM / "samples-overclaims.jsonl"]
    with scripted_llm(claims, overclaims, invent_every=0, refuse=("temperature", "stop"),
                      gold_files=[GOLD / "dev.jsonl"]) as llm:  # fmt: skip
        env = {"NEWSQA_LLM": "openai", "OPENAI_BASE_URL": llm.base_url}
        with newsqa_server(tmp_path, **env, NEWSQA_LLM_MODEL="o3-mini") as url:
            answer = httpx.post(f"{url}/v1/ask", json={"question": "When was Trump sworn in?"},
                                timeout=60).json()  # fmt: skip
        assert answer["mode"] == "llm" and "January 20, 2025" in answer["answer"]
        assert llm.refused == 0 and llm.requests >= 1
        (tmp_path / "other").mkdir()
        with newsqa_server(tmp_path / "other", **env, NEWSQA_LLM_MODEL="gpt-4o-mini") as url:
            refused = httpx.post(f"{url}/v1/ask", json={"question": "When was Trump sworn in?"},
                                 timeout=60)  # fmt: skip
        assert refused.status_code == 504 and llm.refused >= 1  # what the stub would refuse


def test_readyz_says_whether_the_llm_answers(tmp_path: Path) -> None:
    env = {"NEWSQA_LLM": "openai", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    with newsqa_server(tmp_path, ingest=False, **env) as url:
        down = httpx.get(f"{url}/readyz", timeout=30)
    assert_problem(down, 503)
    assert "LLM" in down.json()["detail"]
    with scripted_llm([], [], gold_files=[GOLD / "dev.jsonl"]) as llm:
        env["OPENAI_BASE_URL"] = llm.base_url
        (tmp_path / "up").mkdir()
        with newsqa_server(tmp_path / "up", ingest=False, **env) as url:
            up = httpx.get(f"{url}/readyz", timeout=30)
    assert up.status_code == 200 and up.json()["status"] == "ready"
