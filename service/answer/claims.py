"""Whether the sentences a model cites carry its claim: strict on what can mislead, lenient on
wording. Every number of the claim stands in the cited sentences with the word it counts and
the name it is given, and every name around them; then a calibrated model weighs what a
paraphrase keeps and an over-reach adds — words the claim takes from the question that the
source does not have, how close each comes to the source's words, claim words the source
lacks, and how much nearer the claim comes to the question than its sentences do (an over-reach
restates the question around a fact about something else); and the claim must address the
question (weights and thresholds: `python -m eval.train_verifier`). Over-reaches that keep
every number and name are caught by rule first (`overreach.py`)."""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from service.answer.decline import MONTHS
from service.answer.evidence import REPORTING_VERB, cached_sentence_spans, text_fits_kind
from service.answer.features import named, numbers_of
from service.answer.figures import YEAR, uncounted, with_numerals
from service.answer.overreach import (
    figure_of_another,
    proposed_as_done,
    written_as_name,
    year_moved,
)
from service.answer.question import analyse, find_entities
from service.answer.scorer import Logistic
from service.errors import ConfigError
from service.retrieval.terms import STOPWORDS, normalise_word, terms, words

CLAIM_FEATURES = (
    "question_only",  # claim terms taken from the question that the source's context lacks
    "question_unmatched",  # the same, less how near each word comes to a word of the context
    "claim_only",  # share of the claim's terms the source's context lacks
    "claim_question",  # cosine of claim and question
    "cited_question",  # cosine of cited sentences and question
)
WEIGHTS = Path(__file__).resolve().parent / "verifier_weights.json"
Embed = Callable[[list[str]], list[np.ndarray]]


@dataclass(frozen=True)
class Source:
    """What a claim cites: its sentences, and those with their neighbours and the headline;
    `scope` is the article's headline and lead, where the place, country or body its every
    sentence is about is named once ("Parliament is due to vote…" is about the country of the
    dateline); `document` the whole text, where an acronym's spelled-out form stands;
    `attributed` the cited sentences back to the one naming whom their pronoun means
    (`replies.with_antecedent`: what the reader is shown)."""

    cited: str
    context: str
    scope: str = ""
    document: str = ""
    attributed: str = ""


@dataclass(frozen=True)
class Verifier:
    model: Logistic
    keep_above: float  # a claim is kept at or above this probability
    addresses_above: float  # and when its cosine to the question is at least this

    def features(self, claim: str, source: Source, question: str, embed: Embed) -> np.ndarray:
        claim_terms = set(terms(claim))
        # Where the verifier finds the claim's names too: whom a "she said" means.
        around = set(terms(f"{source.context} {source.attributed}"))
        taken = claim_terms & set(terms(question))
        question_only = len(taken - around)
        claim_only = len(claim_terms - around) / max(1, len(claim_terms))
        unmatched = _unmatched(taken - around, claim, source.context, embed)
        if question:
            claim_vector, cited_vector, question_vector = embed([claim, source.cited, question])
            to_question = (float(claim_vector @ question_vector),
                           float(cited_vector @ question_vector))  # fmt: skip
        else:  # a summary's claim: no question to come nearer to, so no gap either
            claim_vector, cited_vector = embed([claim, source.cited])
            to_question = (float(claim_vector @ cited_vector),) * 2
        return np.array([question_only, unmatched, claim_only, *to_question])

    def addresses(self, claim: str, cited: str, question: str, embed: Embed) -> float:
        """How close claim or cited sentences come to the question: a true sentence about
        something else answers nothing. (A terse claim, "On his Telegram channel.", is far
        from its question by itself; its sentence is not.)"""
        if not question:
            return 1.0  # a summary's claims answer no question
        claim_vector, cited_vector, question_vector = embed([claim, cited, question])
        return max(float(claim_vector @ question_vector), float(cited_vector @ question_vector))

    def rejects(self, claim: str, source: Source, question: str, embed: Embed) -> str | None:
        """Why the cited sentences do not carry the claim, or None when they do."""
        cited = source.cited
        missing = (
            numbers_of(claim) - numbers_of(with_numerals(cited)) - numbered_names(claim, source)
        )
        if missing:
            return f"numbers not in the source: {', '.join(sorted(missing))}"
        miscounted = uncounted(claim, cited)
        if miscounted:
            return f"a figure says what the source does not: {miscounted}"
        unnamed = self.unnamed(claim, source)
        if unnamed:
            return f"not in the source: {unnamed}"
        overreach = (
            figure_of_another(claim, cited, source.attributed, question, source.document)
            or proposed_as_done(claim, cited)
            or year_moved(claim, cited)
        )
        if overreach:
            return overreach
        row = self.features(claim, source, question, embed)
        probability = float(self.model.probabilities(row[None, :])[0])
        if probability < self.keep_above:
            return f"the source does not carry it ({probability:.2f})"
        if question and not gives_kind_asked(claim, source, question):
            return "it does not give the kind of answer asked"
        # A sentence opening "She said…" is about whom the one before names.
        closeness = self.addresses(claim, source.attributed or cited, question, embed)
        if closeness < self.addresses_above:
            return f"it does not address the question ({closeness:.2f})"
        return None

    def unnamed(self, claim: str, source: Source) -> str | None:
        """The first name of the claim that its source does not give, if any. A name found only
        in the article's headline and lead counts when the cited sentences name something and
        the claim keeps all of it (the dateline's city, for a sentence about "the city").
        Otherwise it is a substitution, or an attribution the sentence does not make (a speaker
        put to a quote that names nobody)."""
        # A speaker named a few sentences before a "he said" counts (`Source.attributed`).
        around = frozenset(terms(with_numerals(f"{source.context} {source.attributed}")))
        scope = frozenset(terms(source.scope))
        claim_terms = frozenset(terms(claim))
        cited_names = find_entities(source.cited)
        keeps_names = bool(cited_names) and all(named(e, claim_terms) for e in cited_names)
        for index, entity in enumerate(find_entities(claim)):
            # A claim's first word is capitalised whatever it is; it is checked as a name when
            # the article writes it capitalised mid-sentence too.
            opening_word = (
                index == 0
                and claim.startswith(entity.surface)
                and " " not in entity.surface
                and not written_as_name(entity.surface, source.document)
            )
            if opening_word or named(entity, around):
                continue
            if keeps_names and named(entity, scope):
                continue
            if spelled_out(entity.surface, source.document):
                continue
            return entity.surface
        return None

    def to_json(self, **about: object) -> dict[str, object]:
        return {
            "model": self.model.to_json(),
            "keep_above": round(self.keep_above, 4),
            "addresses_above": round(self.addresses_above, 4),
            **about,
        }


def _unmatched(absent: set[str], text: str, context: str, embed: Embed) -> float:
    """Σ over the absent terms (of `text`) of 1 - the best cosine of its word to a word of the
    context: a synonym ("spend" for "budget") counts little, a new slot ("unemployment") nearly
    one."""
    if not absent:
        return 0.0
    surfaces = {normalise_word(w): w.lower() for w in words(text)}
    wanted = [surfaces[t] for t in absent if t in surfaces]
    context_words = sorted({w.lower() for w in words(context) if len(w) > 2})
    if not wanted or not context_words:
        return float(len(absent))
    vectors = embed([*wanted, *context_words])
    mine, theirs = np.stack(vectors[: len(wanted)]), np.stack(vectors[len(wanted) :])
    return float((1.0 - (mine @ theirs.T).max(axis=1)).sum())


def gives_kind_asked(claim: str, source: Source, question: str) -> bool:
    """The claim and its sentences hold the kind of thing asked. A "who" may be answered where
    a pronoun's speaker is named (`Source.attributed`), or by whom the claim credits with words
    in its own: "a senior official said…" answers "who said…?" when the source names nobody."""
    asked = analyse(question)
    if text_fits_kind(f"{claim} {source.cited}", asked):
        return True
    if asked.kind != "who":
        return False
    if text_fits_kind(f"{claim} {source.attributed}", asked):
        return True
    question_terms = set(terms(question))
    for verb in REPORTING_VERB.finditer(claim):
        clause = re.split(r"[,;:]", claim[: verb.start()])[-1]
        if set(terms(" ".join(clause.split()[-5:]))) - question_terms:
            return True
    return False


_ACRONYM = re.compile(r"[A-Z]{3,6}")


_NUMBERED_NAME = re.compile(r"\b([A-Z][a-z]+ (\d+))\b")


def numbered_names(claim: str, source: Source) -> set[str]:
    """The numbers of names like "Line 7" or "Terminal 2" that the cited sentences' context or
    the article's lead gives: a name, checked as names are, not a figure."""
    around = f"{source.context} {source.scope}"
    return {
        found.group(2)
        for found in _NUMBERED_NAME.finditer(claim)
        # "March 14" is a date and "In 2024" a year: figures, which the cited sentences must give.
        if found.group(1).split()[0].lower() not in MONTHS | STOPWORDS
        and not YEAR.fullmatch(found.group(2))
        and re.search(rf"\b{re.escape(found.group(1))}\b", around)
    }


def spelled_out(surface: str, document: str) -> bool:
    """An acronym whose words stand in the document: "SUV" for "sport-utility vehicle". Three
    letters at least, and no stopword among the words: two letters, or a run like "said it
    was", match some words of most articles by chance."""
    acronym = re.sub(r"['’]s$", "", surface)
    if not _ACRONYM.fullmatch(acronym):
        return False
    # One word per letter, each starting with it, joined by spaces or hyphens.
    run = r"[\s-]+".join(f"[{c}{c.lower()}][A-Za-z]*" for c in acronym)
    for found in re.finditer(rf"\b{run}\b", document):
        if not any(w.lower() in STOPWORDS for w in re.split(r"[\s-]+", found.group(0))):
            return True
    return False


def lead_of(title: str | None, text: str) -> str:
    """The headline and the first sentence that states something: the article's scope."""
    for start, end in cached_sentence_spans(text):
        sentence = text[start:end]
        if len(sentence.split()) >= 8:
            return f"{title or ''}\n{sentence}"
    return title or ""


@lru_cache(maxsize=4)
def load_verifier(path: Path = WEIGHTS) -> Verifier:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        model = Logistic.from_json(data["model"], CLAIM_FEATURES)
        return Verifier(model, float(data["keep_above"]), float(data["addresses_above"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot read the claim verifier {path}: {exc}") from None
