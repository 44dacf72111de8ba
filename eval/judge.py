"""Optional LLM-judge metrics (faithfulness, answer relevancy), run only when an LLM is
configured (NEWSQA_LLM=openai). They are reported and never gate: a judge is itself a model."""

import json
import re
import statistics
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable

from service.answer.llm import fence
from service.answer.models import Answer
from service.answer.prompts import load_prompt

JUDGE_METRICS = {"faithfulness": "judge_faithfulness", "answer_relevancy": "judge_relevancy"}
_OBJECT = re.compile(r"\{.*\}", re.S)


def parse_score(reply: str) -> float:
    """The `score` of the JSON object in a judge's reply, clamped to 0..1."""
    found = _OBJECT.search(reply)
    if not found:
        raise ValueError(f"no JSON object in the judge's reply {reply[:80]!r}")
    score = json.loads(found.group(0)).get("score")
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise ValueError(f"no numeric score in the judge's reply {reply[:80]!r}")
    return min(1.0, max(0.0, float(score)))


class Judge:
    def __init__(self, chat_model: BaseChatModel, name: str = "") -> None:
        self.name = name or getattr(chat_model, "model_name", "") or type(chat_model).__name__
        self.system = load_prompt("judge_system")
        self.templates = {metric: load_prompt(name) for metric, name in JUDGE_METRICS.items()}
        self.chain: Runnable[list[BaseMessage], str] = chat_model | StrOutputParser()

    def judge(self, question: str, answer: Answer) -> dict[str, Any] | None:
        """Scores for one answer, None for a decline (nothing to grade). A failing or
        unreadable judge call leaves that score None and says why in `errors`."""
        if answer.abstained:
            return None
        quotes = "\n".join(
            f'<quote n="{c.n}" doc="{c.doc_id}">{fence(c.quote)}</quote>' for c in answer.citations
        )
        values = {"question": fence(question), "answer": fence(answer.answer), "quotes": quotes}
        scores: dict[str, Any] = {}
        errors = []
        for metric, template in self.templates.items():
            wanted = {key: values[key] for key in template.variables}
            messages = [
                SystemMessage(self.system.render()),
                HumanMessage(template.render(**wanted)),
            ]
            try:
                scores[metric] = parse_score(self.chain.invoke(messages))
            except Exception as exc:  # a judge failure is reported, never fatal
                scores[metric] = None
                errors.append(f"{metric}: {type(exc).__name__}: {exc}"[:300])
        return {**scores, "errors": errors}


def summarise_judge(judged: list[dict[str, Any] | None], model: str) -> dict[str, Any]:
    """Mean score per metric over the answers the judge graded; how many it could not."""
    graded = [j for j in judged if j is not None]
    summary: dict[str, Any] = {"model": model, "n_judged": len(graded)}
    for metric in JUDGE_METRICS:
        scores = [j[metric] for j in graded if j.get(metric) is not None]
        summary[metric] = round(statistics.fmean(scores), 4) if scores else None
    summary["n_errors"] = sum(bool(j["errors"]) for j in graded)
    summary["gating"] = False
    return summary
