"""The claim verifier on pairs made for the test, with the real embedder and the committed
calibration: lenient on wording, strict on what can mislead."""

import numpy as np
import pytest

from service.answer.claims import Source, load_verifier
from vectorstore.embeddings import Embedder

BUDGET = (
    "Councillors approved a budget of about 12 million euros for the crossing over the Lenne, "
    "officials said."
)
MAYOR = "Mayor Ilse Varga said the work would begin in March."
TOLL = (
    "Ministers from both regions discussed a shared toll with the operator, but no decision "
    "was taken."
)
HEADLINE = "Bridge budget approved"
SENTENCES = ["The transport committee met on Tuesday.", BUDGET, MAYOR, TOLL]
DOCUMENT = HEADLINE + "\n" + " ".join(SENTENCES)


def source(sentence: str) -> Source:
    """The sentence, with the one before and after and the headline, in the article."""
    at = SENTENCES.index(sentence)
    context = " ".join(SENTENCES[max(0, at - 1) : at + 2])
    return Source(sentence, f"{HEADLINE}\n{context}")


@pytest.fixture(scope="module")
def embed(minilm: Embedder):  # type: ignore[no-untyped-def]
    def vectors(texts: list[str]) -> list[np.ndarray]:
        return list(minilm.embed(texts))

    return vectors


@pytest.mark.parametrize(
    ("question", "claim", "sentence", "kept"),
    [
        # A paraphrase in the model's own words is kept.
        ("How much did the councillors set aside for the crossing?",
         "Roughly 12 million euros were approved by the councillors for the Lenne crossing.",
         BUDGET, True),
        # Not yet: a paraphrase that also echoes the question's words the source lacks ("city",
        # "spend", "bridge") looks like an over-reach to the calibration.
        pytest.param("How much will the city spend on the new bridge?",
                     "The city will spend roughly 12 million euros on the new bridge.", BUDGET,
                     True, marks=pytest.mark.xfail(strict=True, reason="echoes the question")),
        # A changed number is dropped.
        ("How much will the city spend on the new bridge?",
         "The city will spend roughly 15 million euros on the new bridge.", BUDGET, False),
        # Words given to someone the source does not name.
        ("What did Mayor Tomas Brel say about the start of work?",
         "Mayor Tomas Brel said the work would begin in March.", MAYOR, False),
        # A true quote under a claim about something else.
        ("When will work on the bridge begin?",
         "The toll will be shared between both regions.", TOLL, False),
        # An overstatement: discussed is not agreed.
        ("Did the ministers agree on a toll?",
         "The ministers agreed a shared toll with the operator.", TOLL, False),
    ],
)  # fmt: skip
def test_verifier(embed, question: str, claim: str, sentence: str, kept: bool) -> None:  # type: ignore[no-untyped-def]
    reason = load_verifier().rejects(claim, source(sentence), question, embed)
    assert (reason is None) is kept, reason
