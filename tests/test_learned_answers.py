"""The learned selector (NEWSQA_ANSWER_SCORER=learned) on short articles written for the test,
one per failure class of the lexical scorer, through the real store, stored sentence vectors and
the committed weights; and the scorer file's own errors."""

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from service.answer.decline import times_named
from service.answer.scorer import fit_logistic, load_scorer
from service.config import load_settings
from service.errors import ConfigError
from service.ingest.loaders import RawDocument
from service.services import Services, build_services
from tests.conftest import CountingEmbedder
from vectorstore.embeddings import Embedder

ARTICLES = [
    RawDocument(
        "harbour-bridge",
        "Councillors in Tollmere approved a budget of about 12 million euros for the new "
        "crossing over the river on Tuesday. Work is due to begin in the spring.\n"
        "The vote followed two years of consultation with residents.",
        title="Tollmere approves river crossing",
    ),
    RawDocument(
        "grain-exports",
        "Grain exports through the port of Verlaine fell sharply in May, a senior trade "
        "official warned. Shipments dropped by 30 percent compared with April, and storage "
        "silos along the quay are close to full.\n"
        "Farmers' groups have asked the ministry for emergency credit.",
        title="Verlaine grain exports fall",
    ),
    RawDocument(
        "library-plan",
        "Mayor Ottilie Brandt presented the plan for the new city library on Monday. She said "
        "the building would stay open until midnight on weekdays. The library is expected to "
        "cost 8 million euros and to open in 2028.",
        title="Library plan presented",
    ),
    RawDocument(
        "heath-fire",
        "The Kelby Heath fire has destroyed 1,300 hectares of heath and woodland since Friday, "
        "the county fire service said on Sunday. About 200 firefighters are at the scene.\n"
        "The Kelby Heath fire is the largest on the heath since records began.",
        title="Fire on Kelby Heath",
    ),
]


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory, minilm: Embedder) -> Iterator[Services]:
    settings = load_settings(
        _env_file=None,
        data_dir=tmp_path_factory.mktemp("learned") / "store",
        answer_scorer="learned",
    )
    built = build_services(settings, embedder=minilm)
    built.ingestor.ingest_raw(ARTICLES)
    yield built
    built.close()


def quoted(services: Services, question: str) -> str:
    answer = services.answerer.answer(question)
    for citation in answer.citations:
        document = services.store.get_document(citation.doc_id)
        assert (
            document is not None and document.text[citation.start : citation.end] == citation.quote
        )
    return "" if answer.abstained else answer.answer


@pytest.mark.xfail(strict=True, reason="declined: the decline model does not yet trust paraphrase")
def test_a_paraphrased_question_is_answered(services: Services) -> None:
    answer = quoted(services, "How much money will the city spend on the bridge?")
    assert "12 million euros" in answer


def test_the_fact_in_the_sentence_after_its_attribution_is_cited(services: Services) -> None:
    answer = quoted(services, "By how much did grain shipments from Verlaine drop?")
    assert "30 percent" in answer


@pytest.mark.xfail(strict=True, reason="declined: a two-sentence quote scores below the bar")
def test_a_pronoun_speaker_is_credited_to_the_name_before(services: Services) -> None:
    answer = quoted(services, "What did Ottilie Brandt say about opening hours?")
    assert "midnight" in answer and "Brandt" in answer


def test_a_lookalike_sharing_every_entity_is_declined(services: Services) -> None:
    assert quoted(services, "How many books will the Tollmere library hold in 2031?") == ""


def test_a_count_of_something_the_article_never_counts_is_declined(services: Services) -> None:
    asked = "How many hectares of heath has the Kelby Heath fire destroyed?"
    assert "1,300 hectares" in quoted(services, asked)
    assert quoted(services, "How many homes has the Kelby Heath fire destroyed?") == ""


def test_a_year_the_article_never_gives_is_declined(services: Services) -> None:
    asked = "How many hectares had the Kelby Heath fire destroyed by Sunday in 2019?"
    assert quoted(services, asked) == ""


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("How many hectares has the fire destroyed in 2019?", {"2019"}),
        ("How many hectares did the fire destroy last year?", {"last year"}),
        ("What did it cost two years ago, in May?", {"two years ago", "may"}),
        # The article's own time, which it seldom states: nothing to look for.
        ("How many hectares has the fire destroyed this year?", set()),
        ("How many files may the hackers have taken?", set()),  # a verb, not the month
    ],
)
def test_the_times_a_question_asks_about(question: str, asked: set[str]) -> None:
    assert times_named(question) == asked


def test_a_scorer_file_for_other_features_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "weights.json"
    path.write_text(json.dumps({"sentences": {"features": ["other"]}}), encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read the answer scorer"):
        load_scorer(path)


def test_fit_logistic_separates_a_separable_set() -> None:
    rng = np.random.default_rng(1)
    rows = rng.normal(size=(200, 3))
    labels = (rows[:, 0] - rows[:, 2] > 0).astype(float)
    weights, bias, mean, scale = fit_logistic(rows, labels, l2=0.1)
    predicted = ((rows - mean) / scale) @ weights + bias > 0
    assert (predicted == labels.astype(bool)).mean() > 0.95


def test_the_question_is_embedded_once_per_answer(
    tmp_path: Path, embedder: CountingEmbedder
) -> None:
    settings = load_settings(_env_file=None, data_dir=tmp_path / "store", answer_scorer="learned")
    built = build_services(settings, embedder=embedder)
    try:
        built.ingestor.ingest_raw(ARTICLES)
        question = "By how much did grain shipments from Verlaine drop?"
        assert "30 percent" in quoted(built, question)
        assert embedder.times_embedded[question] == 1
    finally:
        built.close()
