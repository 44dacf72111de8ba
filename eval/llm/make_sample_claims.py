"""Write the replies a capable model would give for the sample gold sets (dev, holdout, fresh),
for the scripted stand-in model of tests/scripted_llm.py:

- samples-claims.jsonl: per answerable item, one claim per `must_include` group, quoting the
  whole source sentence that holds the fact;
- samples-overclaims.jsonl: per unanswerable item, one over-reaching claim: the sample sentence
  nearest the question, with a text asserting what the question asks as if that sentence said
  it. newsqa must never let such a claim answer an unanswerable question.

Run from the project root: .venv/bin/python eval/llm/make_sample_claims.py
"""

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.gold import GoldItem, load_gold
from eval.scorers import normalise
from service.ingest.clean import clean_article
from service.ingest.sentences import sentence_spans
from service.retrieval.terms import terms

ROOT = Path(__file__).resolve().parents[2]
GOLD = [ROOT / "eval" / "gold" / f"{name}.jsonl" for name in ("dev", "holdout", "fresh")]
OUT = Path(__file__).resolve().parent
MIN_WORDS = 5  # shorter "sentences" (datelines, bylines) say too little to over-reach with

Claim = dict[str, str]


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text)]


def clause_with(sentence: str, fact: str) -> str:
    """The clause of `sentence` holding `fact`, as a short claim in the source's own words: a
    claim the quote carries (newsqa drops one whose words the quote does not support)."""
    pieces = re.split(r"(?<=[,;:—])\s+", sentence)
    clause = next((p for p in pieces if normalise(fact) in normalise(p)), sentence)
    if len(clause.split()) < 4:
        clause = sentence
    clause = clause.strip().rstrip(",;:—.").strip()
    return clause[0].upper() + clause[1:] + "."


def answer_claims(item: GoldItem, docs: dict[str, str]) -> list[Claim]:
    claims: list[Claim] = []
    for group in item.must_include:
        if any(normalise(fact) in normalise(c["quote"]) for c in claims for fact in group):
            continue  # an earlier claim's sentence already holds this fact: it says both
        found = next(
            (
                (doc, sentence, fact)
                for doc in item.sources
                for sentence in sentences(docs[doc])
                for fact in group
                if normalise(fact) in normalise(sentence)
            ),
            None,
        )
        if found is None:
            print(f"{item.id}: no source sentence holds any of {group}")
            continue
        doc, sentence, fact = found
        text = item.answer if not claims else clause_with(sentence, fact)
        claims.append({"text": text, "quote": sentence, "doc": doc})
    return claims


_AUX = "did|does|do|will|would|can|could|should|is|are|was|were|has|have|had"
_QUESTION = re.compile(
    rf"^(?P<wh>how many|how much|which|what|when|where|why|who|how)"
    rf"(?:\s+(?!(?:{_AUX})\b)(?P<noun>.+?))?"
    rf"\s+(?P<aux>{_AUX})\s+(?P<rest>.+?)\s*\?*$",
    re.IGNORECASE,
)
_DETERMINERS = {"the", "a", "an", "its", "his", "her", "their"}
_LINKS = {"about", "at", "to", "from", "on", "in", "for", "of", "with", "by", "after"}
_PAST = {"say": "said", "meet": "met", "send": "sent", "hold": "held", "give": "gave",
         "buy": "bought", "withdraw": "withdrew", "tell": "told", "make": "made"}  # fmt: skip


def verb_index(words: list[str]) -> int:
    """Where the predicate starts in "Germany deliver to Ukraine" or "the German defense analyst
    say about sanctions": the first lowercase word after the subject. A subject opened by a
    determiner may run on through lowercase nouns until a word followed by a link word, a
    name, or nothing."""
    in_phrase = words[0].lower() in _DETERMINERS
    for index in range(1, len(words)):
        word, after = words[index], words[index + 1] if index + 1 < len(words) else None
        if word[0].isupper() or word.lower() in _DETERMINERS:
            continue
        if not in_phrase or after is None or after[0].isupper() or after.lower() in _LINKS:
            return index
    return len(words)


def overclaim_text(question: str) -> str | None:
    """The statement the question asks to be true, as if the passage said it: "How many tanks
    will Germany deliver to Ukraine?" → "Germany will deliver tanks to Ukraine, as the passage
    shows." Mechanical: the wh-word goes, the auxiliary moves after the subject (a "did" or
    "does" goes into the verb), the asked-about noun goes after the verb."""
    match = _QUESTION.match(question.strip())
    if match is None:
        return None
    wh, noun, aux, rest = (
        match["wh"].lower(),
        match["noun"] or "",
        match["aux"].lower(),
        match["rest"],
    )
    words = rest.split()
    if noun and words[0].islower() and words[0] not in _DETERMINERS:
        # "Which city will host …", "How many troops will be deployed …": the noun is the subject.
        subject = ("The " if wh == "which" else "") + noun
        statement = f"{subject} {aux} {rest}"
    elif wh == "what" and aux in {"is", "are", "was", "were"}:
        statement = f"{rest} {aux} reported"
    else:
        at = verb_index(words)
        before, verb, tail = words[:at], words[at] if at < len(words) else "", words[at + 1 :]
        if aux == "did":
            verb = _PAST.get(verb, verb + ("d" if verb.endswith("e") else "ed"))
        elif aux == "does":
            verb += "s"
        elif aux != "do":
            verb = f"{aux} {verb}"
        # An infinitive or an indirect object keeps its place: "pledged to send troops",
        # "promised Ukraine fighter jets".
        keep = 2 if tail[:1] == ["to"] and len(tail) > 1 and tail[1].islower() else 0
        while keep < len(tail) and tail[keep][0].isupper():
            keep += 1
        obj = [noun] if noun else (["this"] if wh == "what" else [])
        statement = " ".join([*before, verb, *tail[:keep], *obj, *tail[keep:]])
    return statement[0].upper() + statement[1:] + ", as the passage shows."


@dataclass(frozen=True)
class Pool:
    """Every sample sentence long enough to over-reach with, and how rare each term is."""

    sentences: list[tuple[str, str, frozenset[str]]]  # (doc, sentence, its terms)
    rarity: dict[str, float]

    @classmethod
    def of(cls, docs: dict[str, str]) -> "Pool":
        found = [
            (doc, sentence, frozenset(terms(sentence)))
            for doc, body in sorted(docs.items())
            for sentence in sentences(body)
            if len(sentence.split()) >= MIN_WORDS
        ]
        counts = Counter(term for _, _, held in found for term in held)
        return cls(found, {term: math.log(len(found) / n) for term, n in counts.items()})

    def nearest(self, question: str) -> tuple[str, str]:
        """(doc, sentence) sharing the most with the question, terms weighted by rarity: a
        sentence sharing only "Ukraine" with it is near every question."""
        wanted = set(terms(question))
        doc, sentence, _ = max(
            self.sentences, key=lambda s: sum(self.rarity[t] for t in wanted & s[2])
        )
        return doc, sentence


def overclaims(item: GoldItem, pool: Pool) -> list[Claim]:
    text = overclaim_text(item.question)
    if text is None:
        print(f"{item.id}: question not of a shape the rewrite knows: {item.question!r}")
        return []
    doc, sentence = pool.nearest(item.question)
    return [{"text": text, "quote": sentence, "doc": doc}]


Row = dict[str, Any]  # {"id": gold item id, "claims": [Claim]}


def write(path: Path, rows: list[Row]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def main() -> None:
    articles = sorted((ROOT / "data" / "articles").glob("*.txt"))
    docs = {path.stem: clean_article(path.read_text(encoding="utf-8")).text for path in articles}
    pool = Pool.of(docs)
    items = [item for path in GOLD for item in load_gold(path)]
    answered: list[Row] = []
    over: list[Row] = []
    for item in items:
        claims = answer_claims(item, docs) if item.answerable else overclaims(item, pool)
        for claim in claims:
            assert claim["quote"] in docs[claim["doc"]], (item.id, claim)
        if claims:
            (answered if item.answerable else over).append({"id": item.id, "claims": claims})
    write(OUT / "samples-claims.jsonl", answered)
    write(OUT / "samples-overclaims.jsonl", over)
    count = sum(len(row["claims"]) for row in answered)
    print(f"{count} claims for {len(answered)} answerable items, {len(over)} overclaims")


if __name__ == "__main__":
    main()
