"""Article summaries chosen for the facts they carry, on short articles written for the test:
facts that sit late, a long sentence cut to its main clause, a pronoun whose antecedent must
come with it; and key-fact recall against the committed baseline, from the scorer the bench
(`make bench-summaries`, bench/summary_recall.py) uses."""

import json

import pytest

from bench.summary_recall import FACT_SETS, SYSTEMS, fact_set, recall
from eval import EVAL_DIR
from service.summary.compose import Drafted
from service.summary.extractive import ExtractiveSummarizer
from service.summary.models import count_words

BASELINE = EVAL_DIR / "baseline-summary-recall.json"
TOLERANCE = 0.02  # as the other gates: one fact in 60 flipping is noise


def summarize(text: str, max_words: int, title: str | None = "Harbour report") -> Drafted:
    return ExtractiveSummarizer().document("test-doc", title, text, max_words)


LATE_FACTS = (
    "It has been a difficult season on the waterfront. "
    "Many people in the town have views about what should happen next. "
    "There is a sense that things cannot go on as they are. "
    "Some residents say they have heard it all before. "
    "Others are more hopeful about the months ahead. "
    "The mood at the public meeting was tense but polite. "
    "Harbourmaster Ilse Brandvold said the Quay Street pier would close on 3 March for repairs "
    "costing 4.6 million kroner. "
    "The ferry to Skarholm will move to the north basin until October."
)


def test_facts_that_sit_late_in_the_article_are_summarised() -> None:
    drafted = summarize(LATE_FACTS, 40)
    assert "4.6 million kroner" in drafted.text and "Ilse Brandvold" in drafted.text
    # The empty opening sentences are not what the reader is given.
    assert "difficult season" not in drafted.text
    for span in drafted.cited:
        assert LATE_FACTS[span.start : span.end] == span.text


LONG_SENTENCE = (
    "The regional council approved a 38 million kroner plan on Tuesday to rebuild the flood "
    "defences along the Lenne estuary at Varholm, which were breached twice last winter when "
    "storm surges pushed seawater into more than 200 homes and forced the closure of the "
    "main coastal road for nine days, according to figures published by the council's own "
    "engineers at a briefing attended by residents and business owners."
)
OTHER = (
    " Work is due to start in May. Councillor Petra Holm said the money would come from the "
    "regional reserve fund."
)


def test_a_sixty_word_sentence_is_cut_to_its_main_clause_with_exact_offsets() -> None:
    text = LONG_SENTENCE + OTHER
    assert count_words(LONG_SENTENCE) >= 60
    drafted = summarize(text, 40)
    first = drafted.cited[0]
    assert first.start == 0 and first.text.endswith("at Varholm")
    assert text[first.start : first.end] == first.text
    assert drafted.text.startswith(first.text + "… [1]")
    assert "Petra Holm" in drafted.text and count_words(drafted.text) <= 40


PRONOUN = (
    "The port authority published its annual traffic figures on Monday. "
    "Director Anneli Rask presented them to the harbour board in Varholm. "
    "She said container traffic rose 12 percent to 410,000 units in 2025. "
    "He said the figures were encouraging. "
    "Cruise calls fell to 61 from 75 the year before, the report showed."
)


def test_a_sentence_opening_with_a_pronoun_comes_with_the_one_naming_its_antecedent() -> None:
    for budget in (20, 30, 45, 60):
        drafted = summarize(PRONOUN, budget)
        if "She said container traffic" in drafted.text:
            assert "Director Anneli Rask" in drafted.text, drafted.text
        # "He" has no antecedent in the article's sentence before it: never shown alone.
        if "He said the figures" in drafted.text:
            assert "She said container traffic" in drafted.text, drafted.text


@pytest.fixture(scope="module")
def measured() -> dict[str, float]:
    found = {}
    for name, sources, _ in FACT_SETS:
        docs, facts = fact_set(sources)
        hits, total = recall(SYSTEMS["newsqa"], docs, facts, 120)
        found[name] = hits / total
    return found


def test_key_fact_recall_holds_its_baseline(measured: dict[str, float]) -> None:
    before = json.loads(BASELINE.read_text(encoding="utf-8"))["recall_at_120"]
    for key, value in before.items():
        assert measured[key] >= value - TOLERANCE, (key, measured[key], value)
