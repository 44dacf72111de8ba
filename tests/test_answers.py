"""Grounded answers end to end on the samples: extractive generator, real store and embedder."""

import pytest

from service.services import Services

NOT_COVERED = "The ingested articles do not cover this question."


def assert_verbatim(services: Services, answer: object) -> None:
    for citation in answer.citations:  # type: ignore[attr-defined]
        document = services.store.get_document(citation.doc_id)
        assert document is not None
        assert document.text[citation.start : citation.end] == citation.quote
        assert f"[{citation.n}]" in answer.answer  # type: ignore[attr-defined]


def test_what_did_witkoff_say_about_putin_reports_witkoff(sample_services: Services) -> None:
    answer = sample_services.answerer.answer("What did Witkoff say about Putin?")
    assert not answer.abstained and answer.mode == "extractive"
    # Each cited sentence reports Witkoff: it names him, or it is his quote continuing ("…,"
    # he noted) right after a cited sentence that does.
    assert answer.citations and "Witkoff" in answer.citations[0].quote
    for before, citation in zip(answer.citations, answer.citations[1:], strict=False):
        continues = citation.doc_id == before.doc_id and 0 <= citation.start - before.end <= 2
        assert "Witkoff" in citation.quote or (continues and "Witkoff" in before.quote), citation
    assert "Article 5" in answer.answer or "similar to NATO" in answer.answer
    assert {c.doc_id for c in answer.citations} <= {"002_ffeabc11d1486852", "004_adbbeb2228c4cbfc"}
    assert_verbatim(sample_services, answer)
    assert set(answer.timings_ms) >= {"retrieve", "generate", "total"}
    assert answer.retrieved and answer.retrieved[0].score > 0


def test_a_quote_after_its_speaker_is_attributed(sample_services: Services) -> None:
    answer = sample_services.answerer.answer("What did Witkoff say about the Russians agreeing?")
    assert "first time we had ever heard the Russians agree" in answer.answer
    assert_verbatim(sample_services, answer)


def test_sentences_merely_mentioning_both_names_are_not_attributed(
    sample_services: Services,
) -> None:
    # "Trump’s special envoy, Steve Witkoff, revealed …" reports Witkoff, not Trump.
    answer = sample_services.answerer.answer("What did Trump say about security for Ukraine?")
    assert not answer.abstained
    assert "Witkoff" not in answer.answer
    assert "lot of help" in answer.answer or "work with Ukraine" in answer.answer


@pytest.mark.parametrize(
    "question,expected",
    [
        ("How many well-trained troops is Ukraine's military meant to reach?", "800,000"),
        ("Where might a meeting between Putin and Zelenskiy take place?", "Hungary"),
        ("When was Trump sworn in?", "January 20, 2025"),
        ("Who is the NATO Secretary-General?", "Mark Rutte"),
        ("What two key elements of security did Zelenskyy emphasize?", "well-equipped"),
    ],
)
def test_fact_questions(sample_services: Services, question: str, expected: str) -> None:
    answer = sample_services.answerer.answer(question)
    assert expected in answer.answer
    assert_verbatim(sample_services, answer)


@pytest.mark.parametrize(
    "question",
    [
        "What did Boris Johnson say about the defense pact?",  # entity absent
        "What did Witkoff say about China?",  # speaker present, topic absent
        "How many tanks will Germany deliver to Ukraine?",  # topic matches, fact absent
        "What did Emmanuel Macron say about nuclear weapons?",
        "Why did the Berlin talks collapse?",
    ],
)
def test_unanswerable_lookalikes_are_declined(sample_services: Services, question: str) -> None:
    answer = sample_services.answerer.answer(question)
    assert answer.abstained and answer.answer == NOT_COVERED and answer.citations == []


def test_follow_up_uses_the_conversation(sample_services: Services) -> None:
    history = [
        ("user", "What did Witkoff say about Putin?"),
        ("assistant", "Witkoff said Putin agreed to Article 5-like guarantees."),
    ]
    answer = sample_services.answerer.answer("And what did he say about NATO?", history=history)
    assert answer.question == "what did Witkoff say about NATO?"
    assert not answer.abstained and "NATO" in answer.answer
    assert {c.doc_id for c in answer.citations} <= {"002_ffeabc11d1486852", "004_adbbeb2228c4cbfc"}
