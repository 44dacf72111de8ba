"""The LLM generator: a LangChain chain over any OpenAI-compatible chat model. The model returns
claims with supporting quotes; only claims whose quotes verify against the source, and whose
sentences carry them (service/answer/claims.py), reach the user."""

import json
import re
import time
from dataclasses import replace
from typing import Any, Literal
from urllib.parse import urlsplit

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import SecretStr

from service.answer.evidence import Evidence, Sentence
from service.answer.prompts import Example, PromptTemplate, load_examples, load_prompt
from service.answer.question import Question
from service.answer.replies import MAX_CLAIMS, first_json_with, naming_the_speaker, verify_claim
from service.answer.service import (
    EXTRACTIVE_PASSAGES,
    NOT_COVERED,
    CitedSpan,
    ExtractiveGenerator,
    Generated,
)
from service.answer.vectors import VectorSource
from service.answer.verify import normalised_with_map, strip_quote
from service.config import Settings
from service.errors import LLMUnavailable
from service.ingest.chunk import count_tokens
from service.retrieval.hybrid import HybridRetriever, Passage

# A reply is one JSON object; a model that runs on into made-up passages or questions is cut off.
STOP_SEQUENCES = ["<passage", "\nPassages:", "\nQuestion:"]


def make_chat_model(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    # ChatOpenAI sends only `max_completion_tokens`; llama-cpp-python's server ignores it and
    # generates until its context is full. Other OpenAI-compatible servers get `max_tokens` too.
    host = urlsplit(settings.openai_base_url or "https://api.openai.com/v1").hostname
    extra_body = None if host == "api.openai.com" else {"max_tokens": settings.llm_max_tokens}
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.openai_base_url,
        api_key=SecretStr(key),
        temperature=None if refuses_sampling(settings.llm_model) else 0,
        max_completion_tokens=settings.llm_max_tokens,
        timeout=settings.llm_timeout_seconds,
        max_retries=settings.llm_max_retries,
        extra_body=extra_body,
    )


# OpenAI's reasoning models refuse `temperature` and `stop` with a 400.
_REFUSES_SAMPLING = re.compile(r"^(?:o\d|gpt-5)", re.IGNORECASE)


def refuses_sampling(model: str) -> bool:
    return bool(_REFUSES_SAMPLING.match(model))


class LLMProbe:
    """Whether the configured model's server answers (`GET /models`), for /readyz: a model
    still loading is reported, not met as 504s. Remembered for a few seconds."""

    def __init__(self, settings: Settings, remember_seconds: float = 5.0) -> None:
        from openai import OpenAI

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "none"
        self._client = OpenAI(base_url=settings.openai_base_url, api_key=key, timeout=5.0,
                              max_retries=0)  # fmt: skip
        self._remember = remember_seconds
        self._checked: tuple[float, str | None] | None = None

    def problem(self) -> str | None:
        now = time.monotonic()
        if self._checked is None or now - self._checked[0] > self._remember:
            try:
                self._client.models.list()
                found = None
            except Exception as exc:  # connection refused, timeout, 5xx: not answering
                found = f"{type(exc).__name__}: {exc}"
            self._checked = (now, found)
        return self._checked[1]


def fence(text: str) -> str:
    """Passage text cannot close its own fence, open a new one, or pose as a chat turn (a
    role tag in the prompt text may be read as the model's own special token)."""
    text = re.sub(r"<\s*/?\s*(passage|system|context|instructions?)", r"‹\1", text, flags=re.I)
    return re.sub(
        r"<(?=\|[a-z_]+\||(?:start|end)_of_turn|</?SYS>)|\[(?=/?INST\])", "‹", text, flags=re.I
    )


def render_passages(texts: list[str]) -> str:
    """Numbered, fenced passages as the prompts show them; claims cite them by number."""
    return "\n".join(
        f'<passage id="{n}">{fence(text)}</passage>' for n, text in enumerate(texts, start=1)
    )


def claims_chain(
    chat_model: BaseChatModel, system: str, user: PromptTemplate, examples: list[Example]
) -> Runnable[dict[str, Any], str]:
    """A chain from {"passages": [text], other variables of `user`} to the model's raw reply:
    the system text, each worked example as a user turn and its reply, then the real turn; cut
    at the stop sequences. Examples go through the same renderer and fence as real passages,
    once, here."""
    shown: list[BaseMessage] = [SystemMessage(system)]
    for example in examples:
        rendered = user.render(passages=render_passages(example.passages), **example.variables)
        shown.append(HumanMessage(rendered))
        shown.append(AIMessage(json.dumps(example.reply, ensure_ascii=False)))

    def messages(values: dict[str, Any]) -> list[BaseMessage]:
        variables = {key: value for key, value in values.items() if key != "passages"}
        turn = user.render(passages=render_passages(values["passages"]), **variables)
        return [*shown, HumanMessage(turn)]

    model_name = str(getattr(chat_model, "model_name", ""))
    model = chat_model if refuses_sampling(model_name) else chat_model.bind(stop=STOP_SEQUENCES)
    return RunnableLambda(messages) | model | StrOutputParser()


PASSAGE_TAG_TOKENS = 12  # what the <passage id="n"> tags add to a passage's tokens


def pack_by_tokens(texts: list[str], budget: int, max_groups: int) -> list[list[int]]:
    """Indices of `texts`, in order, packed into at most `max_groups` groups of at most `budget`
    tiktoken tokens each (a text over budget alone still makes a group of one)."""
    groups: list[list[int]] = []
    used = 0
    for index, text in enumerate(texts):
        tokens = count_tokens(text) + PASSAGE_TAG_TOKENS
        if not groups or used + tokens > budget:
            if len(groups) == max_groups:
                break
            groups.append([])
            used = 0
        groups[-1].append(index)
        used += tokens
    return groups


class LLMGenerator:
    """The model decides whether the passages answer; what it claims is checked. Its
    `{"claims": []}` is a decline that stands. A reply with no usable claims (no JSON a small
    model could be parsed for) falls back to the extractive answer, and `mode` says so; claims
    that all fail verification are a decline, so an over-reaching model's answer never becomes
    an extractive one — unless `unverified="extractive"` (NEWSQA_LLM_UNVERIFIED), for a small
    local model whose claims rarely verify."""

    name = "llm"

    def __init__(
        self,
        chat_model: BaseChatModel,
        retriever: HybridRetriever,
        context_tokens: int = 6000,
        fallback: ExtractiveGenerator | None = None,
        unverified: Literal["decline", "extractive"] = "decline",
    ) -> None:
        self.retriever = retriever
        self.context_tokens = context_tokens
        self.fallback = fallback or ExtractiveGenerator()
        self.unverified = unverified  # what a reply whose claims all fail becomes
        self.vectors = VectorSource(retriever)
        self.chain = claims_chain(
            chat_model,
            load_prompt("answer_system").render(max_claims=MAX_CLAIMS),
            load_prompt("answer_user"),
            load_examples("answer_examples"),
        )

    def budgeted(self, passages: list[Passage]) -> list[Passage]:
        first = pack_by_tokens([p.chunk.text for p in passages], self.context_tokens, 1)
        return [passages[i] for i in first[0]] if first else []

    def generate(
        self, question: Question, evidence: Evidence, passages: list[Passage]
    ) -> Generated:
        if not evidence.sentences:
            return Generated(NOT_COVERED, [], self.name, "nothing retrieved")
        shown = self.budgeted(passages)
        try:
            raw = self.chain.invoke(
                {"passages": [p.chunk.text for p in shown], "question": question.text}
            )
        except Exception as exc:  # the client's timeout, connection and API errors alike
            raise LLMUnavailable(f"the LLM did not answer: {type(exc).__name__}: {exc}") from exc
        claims = first_json_with(raw, "claims", list)
        extractive = evidence.first_passages(EXTRACTIVE_PASSAGES)
        if claims is None:
            fallback = self.fallback.generate(question, extractive, passages)
            return replace(
                fallback, mode="extractive_fallback", note="the model gave no usable claims"
            )
        if not claims:
            return Generated(NOT_COVERED, [], self.name, "the model found no answer")
        verified: list[tuple[str, CitedSpan]] = []
        answering: tuple[Sentence, ...] | None = None
        for claim in [c for c in claims[:MAX_CLAIMS] if isinstance(c, dict)]:
            found = verify_claim(
                claim, [p.chunk for p in shown], self.retriever, question.text, self.vectors.embed
            )
            if found is None or found in verified:
                continue
            if repeats(*found):
                # A claim that only repeats its sentence says nothing of its own to check: the
                # sentence must answer the question as the extractive selector judges it. (A
                # phrase picked out of it, "His Telegram channel.", is the model's own answer.)
                if answering is None:
                    answering = self.fallback.selector.select(question, extractive).relevant
                if not any(_overlaps(found[1], sentence) for sentence in answering):
                    continue
            verified.append(found)
        verified = [(naming_the_speaker(claim, span.text, question.kind), span)
                    for claim, span in verified]  # fmt: skip
        if not verified:
            if self.unverified == "extractive":
                fallback = self.fallback.generate(question, extractive, passages)
                return replace(fallback, mode="extractive_fallback",
                               note="no claim of the model verified")  # fmt: skip
            return Generated(NOT_COVERED, [], self.name, "no claim of the model verified")
        text = " ".join(f"{claim} [{n}]" for n, (claim, _) in enumerate(verified, start=1))
        return Generated(
            text, [span for _, span in verified], self.name, f"{len(verified)} verified"
        )


def repeats(claim: str, span: CitedSpan) -> bool:
    """The claim is the cited text itself, or most of it."""
    mine, cited = normalised_with_map(strip_quote(claim))[0], normalised_with_map(span.text)[0]
    return mine in cited and 2 * len(mine) >= len(cited)


def _overlaps(span: CitedSpan, sentence: Sentence) -> bool:
    return (
        span.doc_id == sentence.doc_id and span.start < sentence.end and sentence.start < span.end
    )
