"""A scripted stand-in for a capable chat model, served as a real OpenAI-compatible HTTP server,
to drive newsqa's LLM path (NEWSQA_LLM=openai) the way a good model would: it looks the question
of the last user turn up in gold sets and replies the item's scripted claims (eval/llm/) whose
quotes stand in a shown passage. An unanswerable item gets its over-reaching claims the same
way, and every `invent_every`-th answerable reply one invented claim whose quote no passage
holds: newsqa must drop both kinds."""

import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from eval.gold import GoldItem, load_gold_sets
from service.answer.llm import fence
from service.answer.question import resolve_follow_up
from service.answer.verify import normalised_with_map

GOLD_DIR = Path(__file__).resolve().parent.parent / "eval" / "gold"
MODEL = "scripted-capable"
_PASSAGE = re.compile(r'<passage id="(\d+)">(.*?)</passage>', re.DOTALL)
_MAX_CLAIMS = re.compile(r"at most (\d+) claims")
_NUMBER = re.compile(r"(?<![\d.,])\d+(?:[,.]\d+)*")
MADE_UP = {
    "text": "Officials confirmed that 4,317 extra inspectors would arrive next week.",
    "quote": "officials confirmed that 4,317 extra inspectors would arrive in the region next week",
}

Claim = dict[str, Any]


class Call(NamedTuple):
    question: str
    passages: list[str]
    reply: str


def folded(text: str) -> str:
    return normalised_with_map(text)[0]


def question_key(question: str) -> str:
    return " ".join(question.split()).casefold()


def load_claims(paths: list[Path]) -> dict[str, list[Claim]]:
    """{gold item id: [{"text", "quote", "doc"}]} of JSONL claims files."""
    found: dict[str, list[Claim]] = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                found.setdefault(row["id"], []).extend(row["claims"])
    return found


def parse_prompt(prompt: str) -> tuple[str, list[tuple[int, str]]]:
    """(question, [(passage number, text)]) of a prompt rendered from prompts/answer_user.md."""
    head, marker, question = prompt.rpartition("Question:")
    if not marker:
        return "", []
    _, _, listed = head.partition("Passages:")
    return " ".join(question.split()), [(int(n), text) for n, text in _PASSAGE.findall(listed)]


def claimed(claim: Claim, shown: list[tuple[int, str]]) -> Claim | None:
    """The claim as the model sends it, naming the first passage its quote stands in, or None
    when no shown passage has it. Passages are fenced, so the quote is sought fenced too."""
    quote = folded(fence(claim["quote"]))
    number = next((n for n, text in shown if quote in text), None)
    if number is None:
        return None
    return {"text": claim["text"], "passage": number, "quote": claim["quote"]}


def invented(real: list[Claim], shown: list[tuple[int, str]]) -> Claim:
    """A plausible claim whose quote no passage holds: the first real claim with a number it
    shares with its quote changed in both (newsqa may match the quote fuzzily, but the claim's
    number is then not the source's), else a made-up sentence."""
    for claim in real[:1]:
        for number in _NUMBER.findall(claim["quote"]):
            if number in claim["text"]:
                changed = str(int(number[0]) % 9 + 1) + number[1:]
                swap = re.compile(rf"(?<![\d.,]){re.escape(number)}(?!\d)")
                quote = swap.sub(changed, claim["quote"])
                if claimed({**claim, "quote": quote}, shown) is None:
                    return {**claim, "text": swap.sub(changed, claim["text"]), "quote": quote}
    return {**MADE_UP, "passage": shown[0][0] if shown else 1}


class ScriptedLLM:
    """The script and its app; `scripted_llm` serves it. `invent_every=0` never invents."""

    def __init__(
        self,
        gold_files: list[Path],
        claims_files: list[Path],
        overclaims_files: list[Path],
        invent_every: int = 5,
        refuse: tuple[str, ...] = (),
    ) -> None:
        items, _ = load_gold_sets(gold_files)
        self.items: dict[str, GoldItem] = {}
        for item in items:
            self.items.setdefault(question_key(item.question), item)
        for item in items:  # newsqa sends a follow-up's standalone rewrite, not the question
            history = [(turn.role, turn.content) for turn in item.history]
            rewritten = resolve_follow_up(item.question.strip(), history)
            self.items.setdefault(question_key(rewritten), item)
        self.claims = load_claims(claims_files)
        self.overclaims = load_claims(overclaims_files)
        self.invent_every = invent_every
        self.refuse = refuse
        self.base_url = ""  # set once served
        self.calls: list[Call] = []
        # Counters: requests, those refused, questions in no gold set, replies to answerable
        # items (what `invent_every` counts), invented claims sent.
        self.requests = self.refused = self.unknown = self.answerable = self.invented = 0
        self.app = self._app()

    def reply(self, question: str, passages: list[tuple[int, str]], limit: int | None) -> str:
        """The JSON reply to one prompt; `limit` is the most claims the prompt allows."""
        item = self.items.get(question_key(question))
        shown = [(number, folded(text)) for number, text in passages]
        script: list[Claim] = []
        if item is None:
            self.unknown += 1
        else:
            script = (self.claims if item.answerable else self.overclaims).get(item.id, [])
        claims = [found for claim in script if (found := claimed(claim, shown))]
        limit = limit or len(claims) + 1
        if item is not None and item.answerable:
            self.answerable += 1
            if self.invent_every > 0 and self.answerable % self.invent_every == 0:
                # Within the limit: a claim the client cuts off would test nothing.
                claims = [*claims[: limit - 1], invented(claims, shown)]
                self.invented += 1
        text = json.dumps({"claims": claims[:limit]}, ensure_ascii=False)
        self.calls.append(Call(question, [passage for _, passage in passages], text))
        return text

    def summary_points(self, passages: list[tuple[int, str]], limit: int) -> str:
        """A summary's map call: the scripted claims whose quotes the passages hold, in the
        order the passages tell them — what a capable model states of them, in its own words."""
        shown = [(number, folded(text)) for number, text in passages]
        found = [c for claims in self.claims.values() for claim in claims
                 if (c := claimed(claim, shown))]  # fmt: skip
        by_place = {}
        for claim in found:
            text = dict(shown)[claim["passage"]]
            by_place.setdefault(claim["quote"], (claim["passage"], text.find(folded(fence(
                claim["quote"]))), claim))  # fmt: skip
        ordered = [claim for _, _, claim in sorted(by_place.values(), key=lambda p: p[:2])]
        ordered = ordered[:limit]
        if self.invent_every > 0 and ordered:  # every map reply also states something untrue
            ordered = [*ordered[: limit - 1], invented(ordered, shown)]
            self.invented += 1
        text = json.dumps({"claims": ordered}, ensure_ascii=False)
        self.calls.append(Call("", [passage for _, passage in passages], text))
        return text

    def respond(self, messages: list[dict[str, Any]]) -> str:
        """Only the last user turn is the real question; earlier turns are worked examples."""

        def text(role: str) -> list[str]:  # o-series clients send the system text as "developer"
            return [str(m.get("content") or "") for m in messages if m.get("role") in role.split()]

        users, system = text("user"), " ".join(text("system developer"))
        last = users[-1] if users else ""
        if last.startswith("Summary of:"):  # the reduce call: every point, as given, that fits
            return json.dumps({"order": choose_points(last, system)})
        found = _MAX_CLAIMS.search(system)
        limit = int(found.group(1)) if found else None
        if "\nTask:" in last:
            _, passages = parse_prompt(last.replace("\nTask:", "\nQuestion:"))
            return self.summary_points(passages, limit or 5)
        question, passages = parse_prompt(last)
        return self.reply(question, passages, limit)

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/v1/models")
        def models() -> dict[str, Any]:
            model = {"id": MODEL, "object": "model", "created": 0, "owned_by": "newsqa-tests"}
            return {"object": "list", "data": [model]}

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> Response:
            self.requests += 1
            body = await request.json()
            refused = [name for name in self.refuse if name in body]
            if refused:
                self.refused += 1
                return JSONResponse(error(refused[0]), status_code=400)
            reply = self.respond(body.get("messages") or [])
            model = str(body.get("model") or MODEL)
            if body.get("stream"):
                usage = bool((body.get("stream_options") or {}).get("include_usage"))
                return StreamingResponse(
                    stream(reply, model, usage), media_type="text/event-stream"
                )
            return JSONResponse(completion(reply, model))

        return app


_POINT = re.compile(r"^\[(\d+)\] .*\((\d+) words\)$", re.MULTILINE)
_MAX_WORDS = re.compile(r"at most (\d+) words")


def choose_points(prompt: str, system: str) -> list[int]:
    """The reduce call's reply: the points in their given order while they fit the words."""
    found = _MAX_WORDS.search(system)
    budget = int(found.group(1)) if found else 10**6
    chosen, used = [], 0
    for number, words in _POINT.findall(prompt):
        if used + int(words) <= budget:
            chosen.append(int(number))
            used += int(words)
    return chosen


def error(param: str) -> dict[str, Any]:
    """OpenAI's 400 for a parameter a reasoning model does not take."""
    message = f"Unsupported parameter: '{param}' is not supported with this model."
    return {"error": {"message": message, "type": "invalid_request_error", "param": param,
                      "code": "unsupported_parameter"}}  # fmt: skip


def _envelope(kind: str, model: str) -> dict[str, Any]:
    return {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": kind,
            "created": int(time.time()), "model": model, "system_fingerprint": None}  # fmt: skip


def _usage(reply: str) -> dict[str, int]:
    tokens = len(reply.split())  # rough: nothing here bills, but clients expect the fields
    return {"prompt_tokens": 0, "completion_tokens": tokens, "total_tokens": tokens}


def completion(reply: str, model: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": reply, "refusal": None}
    choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
    return {**_envelope("chat.completion", model), "choices": [choice], "usage": _usage(reply)}


def stream(reply: str, model: str, usage: bool, piece: int = 16) -> Iterator[str]:
    """The reply as chat.completion.chunk events: the role, the text a few characters at a
    time (so clients really assemble deltas), the finish reason, usage if asked, [DONE]."""
    envelope = _envelope("chat.completion.chunk", model)

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return f"data: {json.dumps({**envelope, 'choices': [choice]})}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for start in range(0, len(reply), piece):
        yield chunk({"content": reply[start : start + piece]})
    yield chunk({}, "stop")
    if usage:
        yield f"data: {json.dumps({**envelope, 'choices': [], 'usage': _usage(reply)})}\n\n"
    yield "data: [DONE]\n\n"


@contextmanager
def scripted_llm(
    claims_files: list[Path],
    overclaims_files: list[Path],
    invent_every: int = 5,
    *,
    gold_files: list[Path] | None = None,
    refuse: tuple[str, ...] = (),
) -> Iterator[ScriptedLLM]:
    """A ScriptedLLM served on a free loopback port in a background thread for the block.
    Questions are looked up in `gold_files` (default: every eval/gold/*.jsonl)."""
    script = ScriptedLLM(gold_files or sorted(GOLD_DIR.glob("*.jsonl")), claims_files,
                         overclaims_files, invent_every, refuse)  # fmt: skip
    config = uvicorn.Config(script.app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    # Binding here, before the thread starts, gives the port with no race for it.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the scripted LLM server did not start")
        time.sleep(0.01)
    script.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    try:
        yield script
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
