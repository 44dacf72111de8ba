"""A model's reply, read and checked: the claims of the first JSON object in it, each kept only
when its quote stands in a chunk the model was shown and the whole sentences there carry it
(service/answer/claims.py)."""

import json
import re
from typing import Any

from service.answer.claims import Embed, Source, lead_of, load_verifier
from service.answer.evidence import (
    OPENING_PRONOUNS,
    REPORTING,
    REPORTING_VERB,
    cached_sentence_spans,
    is_instruction,
)
from service.answer.question import find_entities
from service.answer.service import CitedSpan
from service.answer.verify import locate_quote, normalised_with_map, strip_quote
from service.retrieval.hybrid import HybridRetriever
from vectorstore.store import StoredChunk

MAX_CLAIMS = 3


def verify_claim(
    claim: dict[str, Any],
    shown: list[StoredChunk],
    retriever: HybridRetriever,
    question: str,
    embed: Embed,
) -> tuple[str, CitedSpan] | None:
    """A model's claim about the numbered chunks it was shown, kept only when its quote is in
    a shown chunk's document and the sentences there carry the claim: (claim text, the whole
    sentences cited). The chunk it names is searched first; small models often name the wrong
    one. A claim without text claims what its quote says."""
    quote, number = claim.get("quote"), claim.get("passage")
    text = claim.get("text")
    if not isinstance(quote, str):
        return None
    if not isinstance(text, str) or not text.strip():
        text = quote
    named = number - 1 if isinstance(number, int) and 1 <= number <= len(shown) else None
    order = ([named] if named is not None else []) + [i for i in range(len(shown)) if i != named]
    for index in order:
        chunk = shown[index]
        source = retriever.document_text(chunk.doc_id)
        found = locate_quote(quote, source, within=(chunk.start, chunk.end))
        if found is not None:
            break
    else:
        return None
    claim_text = " ".join(text.split())
    if is_instruction(claim_text):
        return None
    document = retriever.document(chunk.doc_id)
    title = document.title if document else None
    carried = carried_by(source, title, found, claim_text, question, embed)
    if carried is None:
        return None
    displayed, checked = carried
    return claim_text, CitedSpan(
        chunk.doc_id, title, *displayed, checked.attributed, retriever.label(chunk.doc_id)
    )


def carried_by(
    text: str, title: str | None, found: tuple[int, int], claim: str, question: str, embed: Embed
) -> tuple[tuple[int, int], Source] | None:
    """The span shown for a claim whose quote stands at `found`, and what the verifier read,
    when the sentences there carry it; None otherwise. Whole sentences are cited, as the
    extractive answerer cites them: the reader sees the context."""
    for span in spans_to_check(text, widen_to_sentences(text, *found), claim):
        cited = text[span[0] : span[1]]
        if is_instruction(cited) or not quotes_verbatim(claim, cited):
            return None
        displayed = with_antecedent(text, span)
        checked = source_of(text, title, span, displayed)
        if load_verifier().rejects(claim, checked, question, embed) is None:
            return displayed, checked
    return None


def source_of(
    text: str, title: str | None, span: tuple[int, int], shown: tuple[int, int]
) -> Source:
    """What the verifier reads of a document for a claim citing the sentences at `span`,
    shown to the reader as `shown` (`with_antecedent`)."""
    return Source(text[span[0] : span[1]], sentence_context(text, span, title),
                  lead_of(title, text), text, text[shown[0] : shown[1]])  # fmt: skip


def widen_to_sentences(text: str, start: int, end: int) -> tuple[int, int]:
    spans = [(s, e) for s, e in cached_sentence_spans(text) if s < end and e > start]
    return (spans[0][0], spans[-1][1]) if spans else (start, end)


_LEANS_BACK = re.compile(rf"^[\"“‘']?(?:{OPENING_PRONOUNS})\b")
# Words put to whom a pronoun means: "…, he said, …", '"…," she added.'
_PRONOUN_SPEAKS = re.compile(rf"\b(?:he|she|they)\s+(?:{REPORTING})\b", re.IGNORECASE)
_NAMES_SOMEONE = re.compile(r"[\w,;:] [A-Z][a-z]")  # a capitalised word mid-sentence
# How far back a pronoun's speaker is looked for: past a quote or two, as news writes them.
ANTECEDENT_REACH = 3


def with_antecedent(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """The sentences of `span`, and those before back to the one naming whom a pronoun means,
    when the first opens with one, the words are put to "he", "she" or "they", or they are a
    quotation that names nobody (its speaker is named before it): "She said the
    unions would strike" is cited with "Ilse Kornbrek told the crowd…", so the reader sees who
    said it, and the question's speaker is found where it is answered. At most
    ANTECEDENT_REACH sentences back, and just the one before when none of them names anyone."""
    spans = cached_sentence_spans(text)
    first = next((i for i, (s, e) in enumerate(spans) if s < span[1] and e > span[0]), None)
    if first is None or first == 0:
        return span
    cited = text[spans[first][0] : span[1]]
    if not _leans_back(cited) and not _anonymous_quotation(cited):
        return span
    for earlier in range(first - 1, max(-1, first - 1 - ANTECEDENT_REACH), -1):
        sentence = text[spans[earlier][0] : spans[earlier][1]]
        # Another "she said" means the same one: whoever it is is named further back.
        if not _leans_back(sentence) and _NAMES_SOMEONE.search(sentence):
            return (spans[earlier][0], span[1])
    return (spans[first - 1][0], span[1])


# How many sentences after the quoted ones may carry on what they say.
CONTINUATION_REACH = 2
_OPENS_QUOTATION = re.compile(r"^[\"“‘]")


def spans_to_check(text: str, span: tuple[int, int], claim: str) -> list[tuple[int, int]]:
    """The quoted sentences and, for a claim of what someone said, the attribution with its
    words: each following sentence that gives them, up to CONTINUATION_REACH — one put to
    whom the quoted sentences name ("…," he said; "She added…"), or a quotation that names
    nobody else. A model quotes the sentence naming a speaker whose words come next ("X
    founded the group after…" / "'… is just a number,' he said"); a claim of both is cited
    with both. Only speech carries on so: a date or figure in the next sentence is about
    whatever that sentence is about."""
    found = [span]
    if not REPORTING_VERB.search(claim):
        return found
    spans = cached_sentence_spans(text)
    after = [i for i, (s, _) in enumerate(spans) if s >= span[1]]
    for index in after[:CONTINUATION_REACH]:
        sentence = text[spans[index][0] : spans[index][1]]
        if not (_leans_back(sentence) or _anonymous_quotation(sentence)):
            break
        found.append((span[0], spans[index][1]))
    return found


_HE_OR_SHE = re.compile(r"^(?:He|She)\b")


def naming_the_speaker(claim: str, shown: str, kind: str) -> str:
    """A "who" answer opening "She vowed…" names whom the sentences shown with it put the
    words to: the one name standing as the subject of a reporting verb there ("Councillor Hedda
    Marsh, who chairs the committee, said…", "…, said Hedda Marsh"), else a full name opening
    the first of them, its subject, when it reports nobody's words ("Nadia Ferreira, 67, has
    lived…"). With none, or several speakers, the claim stands as it is."""
    if kind != "who" or not _HE_OR_SHE.match(claim):
        return claim
    entities = find_entities(shown)
    speakers = set()
    for entity in entities:
        name = re.escape(entity.surface)
        if re.search(rf"\b{name}(?:,[^,.]{{1,80}},)?\s+(?:{REPORTING})\b", shown) or re.search(
            rf"\b(?:{REPORTING})\s+{name}\b", shown
        ):
            speakers.add(entity.surface)
    # A sentence reporting someone else's words ("…, the chief inspector said") has another
    # subject than the name opening it.
    spans = cached_sentence_spans(shown)
    first = shown[: spans[0][1]] if spans else ""
    if not speakers and entities and first.startswith(entities[0].surface):
        if len(entities[0].terms) >= 2 and not REPORTING_VERB.search(first):
            speakers.add(entities[0].surface)
    return _HE_OR_SHE.sub(speakers.pop(), claim, count=1) if len(speakers) == 1 else claim


def _anonymous_quotation(sentences: str) -> bool:
    """Words in quotation marks that name nobody: someone named nearby says them."""
    return bool(_OPENS_QUOTATION.match(sentences)) and not _NAMES_SOMEONE.search(sentences)


def _leans_back(sentences: str) -> bool:
    return bool(_LEANS_BACK.match(sentences) or _PRONOUN_SPEAKS.search(sentences))


def sentence_context(text: str, span: tuple[int, int], title: str | None) -> str:
    """The cited sentences with the one before and the one after, and the headline: where a
    claim's speaker or subject may be named."""
    spans = cached_sentence_spans(text)
    inside = [i for i, (s, e) in enumerate(spans) if s < span[1] and e > span[0]]
    if not inside:
        return text[span[0] : span[1]]
    first, last = max(0, inside[0] - 1), min(len(spans) - 1, inside[-1] + 1)
    return f"{title or ''}\n{text[spans[first][0] : spans[last][1]]}"


_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”')


def quotes_verbatim(claim: str, cited: str) -> bool:
    """What a claim puts in double quotation marks stands in the cited text: a reader takes
    quotation marks to mean the source's own words."""
    source = normalised_with_map(cited)[0]
    for match in _QUOTED.finditer(claim):
        quoted = normalised_with_map(strip_quote(match.group(1) or match.group(2)))[0]
        if quoted and quoted not in source:
            return False
    return True


def first_json_with(raw: str, key: str, kind: type) -> Any:
    """`value[key]` of the first JSON object in a model's reply whose `key` holds a `kind`;
    None when none parses (small models wrap JSON in prose or fences)."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", raw):
        try:
            value, _ = decoder.raw_decode(raw[match.start() :])
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict) and isinstance(value.get(key), kind):
            return value[key]
    return None


def parse_claims(raw: str, limit: int = MAX_CLAIMS) -> list[dict[str, Any]]:
    """The claims of the first JSON object in the reply that has any; [] when none parses."""
    claims = first_json_with(raw, "claims", list) or []
    return [c for c in claims[:limit] if isinstance(c, dict)]
