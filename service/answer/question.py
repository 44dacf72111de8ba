"""What a question asks for: its kind, its named entities, a speaker and topic for
"what did X say about Y", and follow-ups resolved against earlier turns."""

import re
from dataclasses import dataclass, field

from service.retrieval.terms import QUESTION_WORDS, STOPWORDS, canonical, normalise_word, terms

_LEADING = frozenset(
    """what who whom whose when where why how which did does do is are was were has have had can
    could will would should according tell give list name describe explain summarize and but so
    in on at for to of the a an""".split()
)
_SPEAKER = re.compile(
    r"^(?:and\s+|so\s+)?(?:what|how)\s+(?:did|does|do|has|have|had|was|is)\s+(?P<speaker>.+?)\s+"
    r"(?:say|said|says|tell|told|think|claim|claimed|mention|mentioned|note|noted|reveal|revealed|"
    r"describe|described|characteri[sz]e|characteri[sz]ed|announce|announced|highlight|"
    r"highlighted|stress|stressed|argue|argued|warn|warned|write|wrote|insist|insisted|respond|"
    r"responded|reply|replied|call|called|emphasi[sz]e|emphasi[sz]ed|add|added|comment|commented)"
    r"(?:\s+(?:about|regarding|on|of|concerning|to|when|after|at|during|in\s+response\s+to|"
    r"in\s+reply\s+to)\s+(?P<topic>.+?))?\s*\??$",
    re.IGNORECASE,
)
_ACCORDING = re.compile(r"^according to (?P<speaker>[^,]+),\s*(?P<rest>.+)$", re.IGNORECASE)
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
_ROLES = (
    r"official|officials|leader|leaders|person|people|president|minister|chancellor|envoy|general|"
    r"senator|reporter|journalist|aide|secretary|spokesperson|spokesman|diplomat|analyst|expert|"
    r"newspaper|outlet|channel|publication|country|countries|nation|nations|city|organization"
)
_AUXILIARY = r"(?:did|does|do|has|have|had|was|were|is|are|will|would|could|can|should)"
_PRONOUN = re.compile(r"\b(he|she|they|him|her|them|his|hers|their|it|its)\b", re.IGNORECASE)
_WHAT_ABOUT = re.compile(
    r"^(?:and\s+)?(?:what|how)\s+about\s+(?P<entity>.+?)\s*\??$", re.IGNORECASE
)


@dataclass(frozen=True)
class Entity:
    surface: str
    terms: tuple[str, ...]

    @property
    def head(self) -> str:
        """The term that must be present: the last one (a surname, the head noun)."""
        return self.terms[-1]


@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # quote | count | when | where | who | why | yesno | general
    entities: tuple[Entity, ...] = ()
    speaker: Entity | None = None
    topic_terms: tuple[str, ...] = ()
    content_terms: tuple[str, ...] = field(default=())
    answer_type_terms: tuple[str, ...] = ()  # "which newspaper" → newspaper: wanted, not required


def find_entities(text: str) -> list[Entity]:
    """Runs of capitalised words, acronyms and numbers, skipping question words."""
    entities: list[Entity] = []
    tokens = re.findall(r"(?:[A-Z]\.){2,}|[\w’'-]+|[^\w\s]", canonical(text))
    run: list[str] = []

    def close() -> None:
        words = [w for w in run if w.lower() not in _LEADING]
        while words and words[0].lower() in STOPWORDS:
            words.pop(0)
        if words:
            entity_terms = tuple(t for w in words for t in terms(w))
            if entity_terms:
                entities.append(Entity(" ".join(words), entity_terms))
        run.clear()

    for index, token in enumerate(tokens):
        capitalised = token[:1].isupper() and not (index == 0 and token.lower() in _LEADING)
        numeric = bool(_NUMBER.fullmatch(token))
        joiner = token.lower() in ("of", "de", "von", "der") and run and index + 1 < len(tokens)
        if capitalised or numeric or (joiner and tokens[index + 1][:1].isupper()):
            run.append(token)
        else:
            close()
    close()
    return entities


def classify(text: str) -> str:
    lowered = text.lower().strip()
    if _SPEAKER.match(lowered) or _ACCORDING.match(lowered):
        return "quote"
    if re.match(r"^(?:and\s+)?how (many|much)\b", lowered) or re.search(
        r"\bwhat (number|percentage|amount)\b", lowered
    ):
        return "count"
    if (
        re.match(r"^(?:and\s+)?(when|what (date|day|month|year|time))\b", lowered)
        or "by when" in lowered
    ):
        return "when"
    if re.match(r"^(?:and\s+)?(where|in what (city|country|place))\b", lowered):
        return "where"
    if re.match(r"^(?:and\s+)?(who|whom|whose)\b", lowered) or re.match(
        # "Which minister…", "what other officials…"; not "what did the minister say…".
        rf"^(?:and\s+)?(?:which|what)\s+(?!{_AUXILIARY}\b)(?:\w+\s+){{0,2}}(?:{_ROLES})\b",
        lowered,
    ):
        return "who"
    if re.match(r"^(?:and\s+)?why\b", lowered):
        return "why"
    if re.match(r"^(?:is|are|was|were|did|does|do|has|have|had|will|would|can|could)\b", lowered):
        return "yesno"
    return "general"


def analyse(text: str) -> Question:
    kind = classify(text)
    entities = find_entities(text)
    speaker: Entity | None = None
    topic_terms: tuple[str, ...] = ()
    match = _SPEAKER.match(text.strip()) or _ACCORDING.match(text.strip())
    if match:
        found = find_entities(match.group("speaker"))
        speaker = found[-1] if found else None
        topic = match.groupdict().get("topic") or match.groupdict().get("rest") or ""
        topic_terms = tuple(t for t in terms(topic) if t not in _QUESTION_TERMS)
    # "Which newspaper …?" names the kind of answer wanted, not a word the answer contains.
    answer_type = re.match(r"^(?:and\s+)?(?i:which|what|whose)\s+([a-z]+)\b", text.strip())
    skip = tuple(terms(answer_type.group(1))) if answer_type else ()
    content = tuple(
        dict.fromkeys(t for t in terms(text) if t not in _QUESTION_TERMS and t not in skip)
    )
    return Question(text, kind, tuple(entities), speaker, topic_terms, content, skip)


_QUESTION_TERMS = frozenset(normalise_word(w) for w in QUESTION_WORDS)


def resolve_follow_up(question: str, history: list[tuple[str, str]]) -> str:
    """Rewrite "and what did he say about NATO?" into a standalone question using the
    entities of earlier user turns (most recent first). `history` is (role, content) pairs."""
    earlier = [content for role, content in reversed(history) if role == "user"]
    if not earlier:
        return question
    what_about = _WHAT_ABOUT.match(question.strip())
    if what_about:
        previous = earlier[0]
        new_entity = what_about.group("entity")
        old = analyse(previous)
        replaced = old.speaker or (old.entities[0] if old.entities else None)
        if replaced is not None and replaced.surface in previous:
            return previous.replace(replaced.surface, new_entity, 1)
        return f"{previous.rstrip('?')} — {new_entity}?"
    if not _PRONOUN.search(question) and not question.lower().startswith("and "):
        return question
    if find_entities(question) and not _PRONOUN.search(question):
        return question
    for turn in earlier:
        turn_question = analyse(turn)
        referent = turn_question.speaker or next(
            (e for e in turn_question.entities if not _NUMBER.fullmatch(e.surface)), None
        )
        if referent is None:
            continue
        pronoun = _PRONOUN.search(question)
        rewritten = question
        if pronoun is not None:
            replacement = _pronoun_replacement(pronoun.group(1), referent.surface)
            rewritten = question[: pronoun.start()] + replacement + question[pronoun.end() :]
        return re.sub(r"^and\s+", "", rewritten, flags=re.IGNORECASE)
    return question


def _pronoun_replacement(pronoun: str, name: str) -> str:
    return f"{name}’s" if pronoun.lower() in ("his", "hers", "their", "its") else name
