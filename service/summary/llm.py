"""The LLM summarizer: map-reduce with LangChain over any OpenAI-compatible chat model.

Map: the chunks are packed into groups within the tiktoken budget, one chain call per group
(all in one `.batch()`); each returns claims with quotes, verified exactly as answers are (the
quote is in the named passage's document, it carries the claim, neither is instruction-like).
Reduce: one more call that may only choose and order the verified claims by number — it cannot
add text. Nothing verified, or no usable order → the extractive summary with mode
"extractive_fallback". A client error → LLMUnavailable."""

import re
from collections.abc import Callable
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable, RunnableLambda

from service.answer.evidence import Evidence
from service.answer.llm import claims_chain, fence, pack_by_tokens
from service.answer.prompts import load_examples, load_prompt
from service.answer.replies import first_json_with, parse_claims, verify_claim
from service.answer.vectors import VectorSource
from service.errors import LLMUnavailable
from service.retrieval.hybrid import HybridRetriever, Passage
from service.summary.compose import (
    Drafted,
    Point,
    label,
    label_words,
    statement_words,
    write_document,
    write_topic,
)
from service.summary.extractive import ExtractiveSummarizer
from vectorstore.store import StoredChunk

MAP_CLAIMS = 5
MAX_MAP_CALLS = 8
DOCUMENT_TASK = "the main points of this article"
_MARKER = re.compile(r"\[\d+\]")
Cost = Callable[[Point, list[Point]], int]


class LLMSummarizer:
    name = "llm"

    def __init__(
        self,
        chat_model: BaseChatModel,
        retriever: HybridRetriever,
        context_tokens: int = 1500,
        concurrency: int = 4,
    ) -> None:
        self.retriever = retriever
        self.vectors = VectorSource(retriever)
        self.context_tokens = context_tokens
        self.concurrency = concurrency
        self.fallback = ExtractiveSummarizer()
        self.prompts = {
            name: load_prompt(f"summary_{name}")
            for name in ("map_system", "map_user", "reduce_system", "reduce_user")
        }
        self.map_chain = claims_chain(
            chat_model,
            self.prompts["map_system"].render(max_claims=MAP_CLAIMS),
            self.prompts["map_user"],
            load_examples("summary_map_examples"),
        )
        self.reduce_chain: Runnable[dict[str, Any], str] = (
            RunnableLambda(self._reduce_messages) | chat_model | StrOutputParser()
        )

    def _reduce_messages(self, values: dict[str, Any]) -> list[BaseMessage]:
        return [
            SystemMessage(self.prompts["reduce_system"].render(max_words=values["max_words"])),
            HumanMessage(
                self.prompts["reduce_user"].render(task=values["task"], points=values["points"])
            ),
        ]

    def groups(self, chunks: list[StoredChunk]) -> list[list[StoredChunk]]:
        """Chunks packed in order into groups of at most `context_tokens` tokens each."""
        packed = pack_by_tokens([c.text for c in chunks], self.context_tokens, MAX_MAP_CALLS)
        return [[chunks[i] for i in group] for group in packed]

    def _call(
        self, chain: Runnable[dict[str, Any], str], inputs: list[dict[str, Any]]
    ) -> list[str]:
        try:
            return chain.batch(inputs, config={"max_concurrency": self.concurrency})
        except Exception as exc:  # the client's timeout, connection and API errors alike
            raise LLMUnavailable(f"the LLM did not answer: {type(exc).__name__}: {exc}") from exc

    def _map(self, groups: list[list[StoredChunk]], task: str) -> tuple[list[Point], int]:
        """Verified claims of every group, in order, one per cited span; and how many the
        model made."""
        inputs = [{"passages": [chunk.text for chunk in group], "task": task} for group in groups]
        replies = self._call(self.map_chain, inputs) if inputs else []
        points: list[Point] = []
        seen: set[tuple[str, int, int]] = set()
        made = 0
        for group, reply in zip(groups, replies, strict=True):
            for claim in parse_claims(reply, limit=MAP_CLAIMS):
                made += 1
                # A summary answers no question: nothing the claim takes from one to check.
                verified = verify_claim(claim, group, self.retriever, "", self.vectors.embed)
                if verified is None:
                    continue
                text, span = verified
                text = " ".join(_MARKER.sub(" ", text).split())  # [n] belongs to the summary
                if (span.doc_id, span.start, span.end) not in seen:
                    seen.add((span.doc_id, span.start, span.end))
                    points.append(Point(text, span))
        return points, made

    def _reduce(
        self, points: list[Point], task: str, budget: int, cost: Cost, reduce: bool
    ) -> list[Point]:
        """The points the model chose, in its order, that fit the budget. Without `reduce`
        (one map call whose points all fit) the map's order stands."""
        order = list(range(1, len(points) + 1))
        if reduce and points:
            listing = "\n".join(
                f"[{n}] ({fence(label(p.span))}) {fence(p.text)} ({p.words} words)"
                for n, p in enumerate(points, start=1)
            )
            values = {"task": task, "points": listing, "max_words": budget}
            order = parse_order(self._call(self.reduce_chain, [values])[0], len(points))
        chosen: list[Point] = []
        used = 0
        for number in order:
            point = points[number - 1]
            size = cost(point, chosen) + point.words
            if used + size <= budget:
                chosen.append(point)
                used += size
        return chosen

    def document(self, doc_id: str, title: str | None, text: str, max_words: int) -> Drafted:
        document = self.retriever.document(doc_id)
        chunks = [
            chunk
            for chunk in self.retriever.store.get_chunks(doc_id)
            if document is not None and chunk.content_hash == document.content_hash
        ]
        groups = self.groups(chunks)
        points, made = self._map(groups, DOCUMENT_TASK)
        fits = sum(p.words for p in points) <= max_words
        chosen = self._reduce(points, DOCUMENT_TASK, max_words, lambda p, c: 0,
                              reduce=len(groups) > 1 or not fits)  # fmt: skip
        if not chosen:
            fallback = self.fallback.document(doc_id, title, text, max_words, "extractive_fallback")
            return _noted(fallback, points, made)
        return write_document(chosen, self.name, f"{len(chosen)} of {len(points)} verified")

    def topic(
        self, topic: str, evidence: Evidence, passages: list[Passage], max_words: int
    ) -> Drafted:
        if not self.fallback.relevant(topic, evidence)[0]:
            # Declined without a model call, as answers are for absent entities.
            return write_topic([], [], self.name, "no sentence covers the topic")
        disagreements = self.fallback.disagreements(topic, evidence, max_words)
        budget = max_words - sum(statement_words(item) for item in disagreements)
        task = f"what these articles say about: {topic}"
        groups = self.groups([passage.chunk for passage in passages])
        points, made = self._map(groups, task)

        def cost(point: Point, chosen: list[Point]) -> int:
            fresh = all(p.span.doc_id != point.span.doc_id for p in chosen)
            return label_words(point.span) if fresh else 0

        chosen = self._reduce(points, task, budget, cost, reduce=True)
        if not chosen:
            fallback = self.fallback.topic(
                topic, evidence, passages, max_words, "extractive_fallback"
            )
            return _noted(fallback, points, made)
        return write_topic(chosen, disagreements, self.name, f"{len(chosen)} verified")


def _noted(fallback: Drafted, points: list[Point], made: int) -> Drafted:
    if points:
        note = "the model chose no point that fits"
    else:
        note = "no claim of the model verified" if made else "the model gave no usable claims"
    return Drafted(fallback.text, fallback.cited, fallback.mode, fallback.disagreements, note)


def parse_order(raw: str, count: int) -> list[int]:
    """The point numbers of the first JSON object in the reply with an "order" list: those in
    range, each once; [] when none parses."""
    order = first_json_with(raw, "order", list) or []
    return list(dict.fromkeys(n for n in order if type(n) is int and 1 <= n <= count))
