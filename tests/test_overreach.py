"""Over-reaches that keep every number and name of the source, on pairs made for the test: each
rule drops the over-reach and keeps the faithful claim about the same sentence, as the whole
verifier does with the real embedder."""

import numpy as np
import pytest

from service.answer.claims import Source, load_verifier, numbered_names
from service.answer.overreach import figure_of_another, proposed_as_done, year_moved
from vectorstore.embeddings import Embedder

HARBOURS = (
    "In Velmark, where the port authority owns most of the quays, fishermen are seeking "
    "3.4 million crowns in damages."
)
LEAD = "Storm damage claims grow along the coast\nFishermen in Velmark and Orrin want damages."
ARTICLE = f"{LEAD}\nOrrin's harbour was worst hit. {HARBOURS} The hearing is in May."


@pytest.mark.parametrize(
    ("claim", "question", "dropped"),
    [
        # The figure is Velmark's; the question asks about Orrin, named elsewhere in the article.
        ("Fishermen in Orrin are seeking 3.4 million crowns.",
         "How much are the fishermen in Orrin seeking?", True),
        ("Fishermen in Velmark are seeking 3.4 million crowns.",
         "How much are the fishermen in Velmark seeking?", False),
        # Leaving out a name the sentence gives is no over-reach when nothing is put in its place.
        ("Fishermen are seeking 3.4 million crowns in damages.",
         "How much are the fishermen seeking?", False),
    ],
)  # fmt: skip
def test_a_figure_put_to_another_name_is_dropped(claim: str, question: str, dropped: bool) -> None:
    reason = figure_of_another(claim, HARBOURS, "", question, ARTICLE)
    assert (reason is not None) is dropped, reason


@pytest.mark.parametrize(
    ("claim", "cited", "dropped"),
    [
        ("The two sides agreed a 6 percent rise.", "The employers have offered 6 percent.", True),
        ("The employers offered a 6 percent rise.", "The employers have offered 6 percent.", False),
        ("The mill was fined 2 million marks.",
         "The mill could face a fine of up to 2 million marks.", True),
        ("The mill could be fined up to 2 million marks.",
         "The mill could face a fine of up to 2 million marks.", False),
        ("The council approved 9 million for the dyke.",
         "A plan to spend 9 million on the dyke was put forward in June.", True),
        # "Would" in reported speech is the future of a decision taken: it is done.
        ("The firm is cutting 300 jobs.", "The firm confirmed that it would cut 300 jobs.", False),
        # A proposal elsewhere in the sentence does not govern this figure.
        ("The union has 4,000 members.",
         "The union, which has 4,000 members, has demanded talks.", False),
    ],
)  # fmt: skip
def test_a_proposal_stated_as_done_is_dropped(claim: str, cited: str, dropped: bool) -> None:
    reason = proposed_as_done(claim, cited)
    assert (reason is not None) is dropped, reason


@pytest.mark.parametrize(
    ("claim", "cited", "dropped"),
    [
        ("The college ran a deficit of 3 million in 2021.",
         "The college's deficit was 3 million, after applications fell by a third since 2021.",
         True),
        ("Applications have fallen by a third since 2021.",
         "The college's deficit was 3 million, after applications fell by a third since 2021.",
         False),
        ("The college ran a deficit of 3 million in 2021.",
         "In 2021 the college ran a deficit of 3 million.", False),
        ("Rents will rise each year starting in 2027.", "Rents will rise each year from 2027.",
         False),
    ],
)  # fmt: skip
def test_a_year_that_bounds_a_span_does_not_date_the_event(
    claim: str, cited: str, dropped: bool
) -> None:
    reason = year_moved(claim, cited)
    assert (reason is not None) is dropped, reason


@pytest.fixture(scope="module")
def embed(minilm: Embedder):  # type: ignore[no-untyped-def]
    def vectors(texts: list[str]) -> list[np.ndarray]:
        return list(minilm.embed(texts))

    return vectors


LINE = "The driverless line runs for 18.6 km under the city centre."
METRO = f"Line 7 opens on March 21\nIn 2024 Line 7 opens. {LINE} It cost 2 billion."


def test_the_verifier_drops_each_overreach_and_reads_numbered_names(embed) -> None:  # type: ignore[no-untyped-def]
    verifier = load_verifier()
    harbour = Source(HARBOURS, ARTICLE, LEAD, ARTICLE)
    question = "How much are the fishermen in Orrin seeking?"
    reason = verifier.rejects("Fishermen in Orrin are seeking 3.4 million crowns.", harbour,
                              question, embed)  # fmt: skip
    assert reason is not None and "Velmark" in reason
    # "Line 7" is a name the context gives, not a figure the sentence lacks.
    line = Source(LINE, METRO, METRO.split("\n")[0], METRO)
    question = "How long is Line 7?"
    assert verifier.rejects("Line 7 runs for 18.6 km under the city centre.", line, question,
                            embed) is None  # fmt: skip
    assert verifier.rejects("Line 8 runs for 18.6 km under the city centre.", line, question,
                            embed) is not None  # fmt: skip
    # A date or a year is a figure, however it is written: the cited sentence must give it.
    assert numbered_names("Line 7 opens on March 21, in 2024.", line) == {"7"}
    assert numbered_names("In 2024 Line 7 opens.", line) == {"7"}
    question = "When does Line 7 open?"
    assert verifier.rejects("Line 7 opens on March 21.", line, question, embed) is not None
    question = "How long is the line that opens in 2024?"
    assert verifier.rejects("In 2024 the line runs for 18.6 km under the city centre.", line,
                            question, embed) is not None  # fmt: skip
