"""Summaries of one article and of a topic, on the real store and retriever: word budgets,
verbatim citations, the lede first, disagreements stated, caching that follows the store; the
LLM map-reduce with a queue-driven fake at the model boundary."""

import json
import re

import httpx
import openai
import pytest

from service.answer.evidence import cached_sentence_spans
from service.errors import DocumentNotFound, InputError, LLMUnavailable
from service.ingest.loaders import RawDocument
from service.services import Services
from service.summary.extractive import ExtractiveSummarizer
from service.summary.llm import LLMSummarizer
from service.summary.models import Summary, count_words
from service.summary.service import SummaryService
from tests.fakes import QueueChatModel
from tests.test_ingest import SAMPLE_IDS

TROOPS_TOPIC = "US troops in Ukraine"
PEACEKEEPERS_DOC = "002_ffeabc11d1486852"  # Trump "did not rule out" deploying U.S. peacekeepers
BERLIN_DOC = "003_90df2db88ee2fc19"  # the U.S. "pledged to avoid direct troop deployment"
PACT_DOC = "000_24ebec4603e8d0ce"


def assert_well_formed(summary: Summary, services: Services) -> None:
    """What a reader checks: the length, that every [n] has its citation and every citation
    its [n], numbered in reading order, and that each quote stands in its document."""
    text = summary.summary
    assert summary.words == count_words(text) <= summary.max_words
    # Independently of count_words: whitespace words, markers removed, never over the limit.
    assert len(re.sub(r"\[\d+\]", " ", text).split()) <= summary.max_words
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", text)]
    assert list(dict.fromkeys(markers)) == [c.n for c in summary.citations]
    assert [c.n for c in summary.citations] == list(range(1, len(summary.citations) + 1))
    for citation in summary.citations:
        document = services.store.get_document(citation.doc_id)
        assert document is not None
        assert citation.quote == document.text[citation.start : citation.end]
        assert citation.quote.strip() and citation.title == document.title
        assert citation.label == document.label
    assert summary.sources == list(dict.fromkeys(c.doc_id for c in summary.citations))
    assert all(statement in text for statement in summary.disagreements)


# -- one article ------------------------------------------------------------------------------


@pytest.mark.parametrize("max_words", [20, 37, 60, 120, 1000])
def test_document_summaries_fit_the_budget_and_quote_verbatim(
    sample_services: Services, max_words: int
) -> None:
    for doc_id in SAMPLE_IDS:
        summary = sample_services.summarizer.summarize_document(doc_id, max_words)
        assert_well_formed(summary, sample_services)
        assert summary.scope == "document" and summary.doc_id == doc_id
        assert summary.sources == [doc_id] and summary.mode == "extractive"
        assert summary.disagreements == [] and summary.topic is None
        # The budget is used, not just respected: at least half of it, or most of the article.
        text = sample_services.store.get_document(doc_id).text  # type: ignore[union-attr]
        assert summary.words >= min(max_words / 2, 0.6 * len(text.split()))


def test_document_summary_leads_with_the_lede_and_keeps_article_order(
    sample_services: Services,
) -> None:
    for doc_id in SAMPLE_IDS:
        summary = sample_services.summarizer.summarize_document(doc_id)
        text = sample_services.store.get_document(doc_id).text  # type: ignore[union-attr]
        first = summary.citations[0]
        assert first.start == 0 and summary.summary.startswith(text[: first.end])
        starts = [c.start for c in summary.citations]
        assert starts == sorted(starts) and len(starts) >= 3
        # Redundancy removed: no sentence is cited twice.
        assert len(set(starts)) == len(starts)


def test_sentences_longer_than_the_budget_are_cut_to_verbatim_prefixes_marked_as_cut(
    sample_services: Services,
) -> None:
    summary = sample_services.summarizer.summarize_document(PACT_DOC, 20)
    text = sample_services.store.get_document(PACT_DOC).text  # type: ignore[union-attr]
    assert 10 <= summary.words <= 20
    for citation in summary.citations:
        [sentence_end] = [e for s, e in cached_sentence_spans(text) if s <= citation.start < e]
        if citation.end < len(text[:sentence_end].rstrip()):  # a cut: shown with "…"
            assert f"{citation.quote}… [{citation.n}]" in summary.summary
        else:
            assert f"{citation.quote} [{citation.n}]" in summary.summary


def test_bad_requests_are_refused(sample_services: Services) -> None:
    summarizer = sample_services.summarizer
    with pytest.raises(DocumentNotFound, match="no document with id 'no-such-article'"):
        summarizer.summarize_document("no-such-article")
    for words in (19, 1001, 0, -5):
        with pytest.raises(InputError, match="max_words must be between 20 and 1000"):
            summarizer.summarize_document(PACT_DOC, words)
        with pytest.raises(InputError, match="max_words"):
            summarizer.summarize_topic(TROOPS_TOPIC, words)
    for topic in ("", "   \n\t"):
        with pytest.raises(InputError, match="the topic is empty"):
            summarizer.summarize_topic(topic)


# -- a topic ----------------------------------------------------------------------------------


def test_topic_summary_groups_sources_and_states_the_troop_disagreement(
    sample_services: Services,
) -> None:
    summary = sample_services.summarizer.summarize_topic(TROOPS_TOPIC, 120)
    assert_well_formed(summary, sample_services)
    assert summary.scope == "topic" and summary.topic == TROOPS_TOPIC
    assert len(summary.sources) >= 3
    [statement] = summary.disagreements
    assert statement.startswith("Sources disagree on ")
    assert "did not rule out the possibility of deploying U.S. peacekeepers" in statement
    assert "pledged to avoid direct troop deployment" in statement
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", statement)}
    assert {summary.citations[n - 1].doc_id for n in cited} == {PEACEKEEPERS_DOC, BERLIN_DOC}
    # Both sides are headline-less articles, named by their first words; no id is shown.
    assert "Ukrainian President Volodymyr Zelenskyy made it clear this… says “" in statement
    assert "U.S. and European Union officials convened in Berlin… says “" in statement
    assert not any(doc_id in summary.summary for doc_id in SAMPLE_IDS)
    # One line per source, each opening with the source's label.
    lines = summary.summary.splitlines()
    assert lines[-1] == statement
    for line, doc_id in zip(lines[:-1], summary.sources, strict=False):
        document = sample_services.store.get_document(doc_id)
        assert document is not None and document.label
        assert line.startswith(f"{document.label}: ")


@pytest.mark.parametrize("max_words", [20, 40, 300, 1000])
def test_topic_summaries_fit_the_budget(sample_services: Services, max_words: int) -> None:
    summary = sample_services.summarizer.summarize_topic("security guarantees", max_words)
    assert_well_formed(summary, sample_services)
    assert summary.citations
    if max_words >= 300:
        assert len(summary.sources) == 5  # every article has something on it
        assert summary.disagreements  # the troop disagreement is part of the guarantees


def test_topic_without_conflict_states_none_and_uncovered_topic_is_declined(
    sample_services: Services,
) -> None:
    agreeing = sample_services.summarizer.summarize_topic("What did Witkoff say about Putin?")
    assert_well_formed(agreeing, sample_services)
    assert agreeing.disagreements == [] and "disagree" not in agreeing.summary
    assert set(agreeing.sources) == {PEACEKEEPERS_DOC, "004_adbbeb2228c4cbfc"}

    absent = sample_services.summarizer.summarize_topic("banana harvest in Ecuador")
    assert absent.summary == "The ingested articles do not cover this topic."
    assert absent.citations == [] and absent.sources == []


BRIDGE = [
    RawDocument(
        id="bridge-yes",
        title="Riverton council approves river bridge",
        text="The Riverton city council approved the new river bridge on Tuesday, the mayor "
        "said. Construction is expected to start in the spring. Residents had debated the "
        "project for two years.",
    ),
    RawDocument(
        id="bridge-no",
        title="Riverton bridge plan fails",
        text="The Riverton city council rejected the new river bridge on Tuesday after a heated "
        "debate. Opponents said the project was too expensive for the town. The mayor promised "
        "to bring a revised plan next year.",
    ),
]
FLOOD = [
    RawDocument(
        id="flood-a",
        title="Flood in Millbrook",
        text="The flood in Millbrook killed 12 people, the regional government said on Monday. "
        "Rescue teams are still searching the valley for survivors.",
    ),
    RawDocument(
        id="flood-b",
        title="Millbrook flood toll",
        text="The flood in Millbrook killed 40 people, according to hospital officials. Hundreds "
        "of homes were destroyed along the river.",
    ),
]


@pytest.mark.parametrize(
    "documents,topic,subject,sides",
    [
        (BRIDGE, "Riverton bridge", "river bridge", ("approved the new", "rejected the new")),
        (FLOOD, "Millbrook flood", "the number of people", ("killed 12 people", "killed 40")),
    ],
    ids=["approved-rejected", "different-numbers"],
)
def test_contradicting_articles_are_reported_with_both_sides_cited(
    services: Services,
    documents: list[RawDocument],
    topic: str,
    subject: str,
    sides: tuple[str, str],
) -> None:
    services.ingestor.ingest_raw(documents)
    summary = services.summarizer.summarize_topic(topic)
    assert_well_formed(summary, services)
    [statement] = summary.disagreements
    assert statement.startswith(f"Sources disagree on {subject}: ")
    first, second = documents
    assert f"{first.title} says “" in statement and f"{second.title} says “" in statement
    assert sides[0] in statement and sides[1] in statement
    cited = [summary.citations[int(n) - 1] for n in re.findall(r"\[(\d+)\]", statement)]
    assert [c.doc_id for c in cited] == [first.id, second.id]
    assert sides[0] in cited[0].quote and sides[1] in cited[1].quote
    assert set(summary.sources) == {first.id, second.id}


# -- caching ----------------------------------------------------------------------------------


def test_summaries_are_cached_until_the_document_changes(services: Services) -> None:
    original = RawDocument(
        id="budget-vote",
        title="Council passes the budget",
        text="The town council passed the annual budget on Monday by seven votes to two. "
        "The budget raises spending on schools and repairs the harbour wall.",
    )
    services.ingestor.ingest_raw([original])
    summarizer = services.summarizer
    first = summarizer.summarize_document("budget-vote")
    topic_first = summarizer.summarize_topic("town budget")
    assert not first.cached and not topic_first.cached
    again = summarizer.summarize_document("budget-vote")
    assert again.cached and again.summary == first.summary
    assert summarizer.summarize_topic("  Town   BUDGET ").cached  # the same topic, normalised
    assert not summarizer.summarize_document("budget-vote", 60).cached  # another length

    # Re-ingesting unchanged text keeps the cache; changed text replaces the summary.
    services.ingestor.ingest_raw([original])
    assert summarizer.summarize_document("budget-vote").cached
    changed = RawDocument(
        id="budget-vote",
        title=original.title,
        text="The town council rejected the annual budget on Monday by five votes to four. "
        "A new draft is due next month.",
    )
    services.ingestor.ingest_raw([changed])
    assert len(summarizer.cache) == 0  # emptied by the store's change listener
    fresh = summarizer.summarize_document("budget-vote")
    assert not fresh.cached and "rejected the annual budget" in fresh.summary
    assert "passed" not in fresh.summary
    assert_well_formed(fresh, services)
    topic_fresh = summarizer.summarize_topic("town budget")
    assert not topic_fresh.cached and "rejected" in topic_fresh.summary


def test_a_change_made_by_another_process_is_seen_by_content_hash(services: Services) -> None:
    """A second SummaryService over the same retriever (as another worker would hold) is not
    told about the write, yet serves no stale summary: the content hash is in the key."""
    services.ingestor.ingest_raw([RawDocument(id="note", text="The harbour opens at dawn daily.")])
    other = SummaryService(services.retriever, ExtractiveSummarizer())
    assert "dawn" in other.summarize_document("note").summary
    assert other.summarize_document("note").cached
    services.ingestor.ingest_raw([RawDocument(id="note", text="The harbour now opens at noon.")])
    fresh = other.summarize_document("note")
    assert not fresh.cached and "noon" in fresh.summary


# -- the LLM map-reduce -----------------------------------------------------------------------


def claims(*items: tuple[str, int, str]) -> str:
    return json.dumps({"claims": [{"text": t, "passage": p, "quote": q} for t, p, q in items]})


@pytest.fixture
def fake_model() -> QueueChatModel:
    return QueueChatModel()


def llm_service(services: Services, model: QueueChatModel, context_tokens: int) -> SummaryService:
    summarizer = LLMSummarizer(model, services.retriever, context_tokens, concurrency=1)
    return SummaryService(services.retriever, summarizer)


def test_llm_summary_keeps_only_verified_claims_in_the_order_the_reduce_chose(
    sample_services: Services, fake_model: QueueChatModel
) -> None:
    # A budget of one chunk per map call: the pact article's three chunks are three calls.
    service = llm_service(sample_services, fake_model, context_tokens=300)
    fake_model.enqueue(
        claims(
            (
                "Zelensky confirmed a landmark defense agreement with European partners.",
                1,
                "Zelensky has confirmed that a landmark defense agreement is on the verge",
            ),
            (
                "Zelensky said the pact was signed in Paris on Friday.",
                1,
                "the pact was signed in Paris on Friday by all partners",
            ),
        ),  # fmt: skip
        claims(
            (
                "The Biden administration quietly backed the European plan.",
                1,
                "the Biden administration has quietly backed the European plan",
            ),
        ),  # fmt: skip
        "{}",
        '{"order": [2, 1]}',
    )
    summary = service.summarize_document(PACT_DOC, 60)
    assert summary.mode == "llm" and not fake_model.replies
    assert summary.summary == (
        "The Biden administration quietly backed the European plan. [1] "
        "Zelensky confirmed a landmark defense agreement with European partners. [2]"
    )
    assert "Paris" not in summary.summary
    assert_well_formed(summary, sample_services)
    # Cited as whole sentences of the source.
    assert summary.citations[0].quote.startswith("Meanwhile, the Biden administration")
    assert summary.citations[1].start == 0
    # The reduce prompt listed the two verified points only, and cannot add text of its own.
    reduce_prompt = str(fake_model.prompts[-1][-1].content)
    assert "[1]" in reduce_prompt and "[2]" in reduce_prompt and "[3]" not in reduce_prompt
    assert "Paris" not in reduce_prompt


def test_llm_summary_falls_back_when_nothing_verifies(
    sample_services: Services, fake_model: QueueChatModel
) -> None:
    service = llm_service(sample_services, fake_model, context_tokens=1500)
    invented = ("Zelensky resigned on Sunday.", 1, "Zelensky announced his resignation on Sunday")
    fake_model.enqueue(claims(invented))
    summary = service.summarize_document(PACT_DOC, 120)
    assert summary.mode == "extractive_fallback" and len(fake_model.prompts) == 1
    extractive = sample_services.summarizer.summarize_document(PACT_DOC, 120)
    assert summary.summary == extractive.summary and "resign" not in summary.summary
    assert_well_formed(summary, sample_services)


def test_llm_topic_summary_is_grouped_by_source_with_the_disagreement(
    sample_services: Services, fake_model: QueueChatModel
) -> None:
    # All passages in one map call. A reply without claims first: the extractive fallback.
    service = llm_service(sample_services, fake_model, context_tokens=100_000)
    fake_model.enqueue("{}")
    fallback = service.summarize_topic(TROOPS_TOPIC, 150)
    assert fallback.mode == "extractive_fallback" and len(fake_model.prompts) == 1
    assert fallback.disagreements and len(fallback.sources) >= 3
    prompt = str(fake_model.prompts[0][-1].content)  # the real turn, after the examples

    def passage(needle: str) -> int:
        before = prompt[: prompt.index(needle)]
        return int(re.findall(r'<passage id="(\d+)">', before)[-1])

    fake_model.enqueue(
        claims(
            (
                "Ukraine's military is to reach 800,000 well-trained troops.",
                passage("800,000"),
                "train and equip Ukraine's military to reach a strength of 800,000",
            ),
            (
                "He indicated U.S. troops are needed on the ground.",
                passage("having U.S. troops"),
                "the necessity of having U.S. troops and backing from European nations",
            ),
            (
                "Ukraine will get 2 million U.S. troops.",
                passage("800,000"),
                "the U.S. will send two million troops to Ukraine",
            ),
        ),  # fmt: skip
        '{"order": [2, 1]}',
    )
    summary = service.summarize_topic(TROOPS_TOPIC, 160)
    assert summary.mode == "llm" and not fake_model.replies
    assert_well_formed(summary, sample_services)
    lines = summary.summary.splitlines()
    # Both are headline-less: named by their first words.
    peacekeepers, berlin = (
        sample_services.retriever.label(d) for d in (PEACEKEEPERS_DOC, BERLIN_DOC)
    )
    assert peacekeepers.startswith("Ukrainian President") and berlin.startswith("U.S. and")
    assert lines[0] == f"{peacekeepers}: He indicated U.S. troops are needed on the ground. [1]"
    assert lines[1] == f"{berlin}: Ukraine's military is to reach 800,000 well-trained troops. [2]"
    assert lines[2].startswith("Sources disagree on ") and summary.disagreements == [lines[2]]
    assert "2 million" not in summary.summary


def test_llm_errors_are_llm_unavailable(
    sample_services: Services, fake_model: QueueChatModel
) -> None:
    service = llm_service(sample_services, fake_model, context_tokens=1500)
    request = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
    fake_model.enqueue(openai.APITimeoutError(request=request))
    with pytest.raises(LLMUnavailable, match="APITimeoutError"):
        service.summarize_document(PACT_DOC)
    assert fake_model.prompts  # the model was asked, and its failure reported, not hidden
