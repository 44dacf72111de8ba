"""A claim of what someone said, where one sentence names the speaker and the next gives the
words: cited with both, through the reply path's own check (`replies.carried_by`), with the
real embedder and the committed calibration. Only speech carries on so. And a "who" answer
that opens "She said…" names whom the citation shows speaking."""

import numpy as np
import pytest

from service.answer.claims import Embed
from service.answer.replies import carried_by, naming_the_speaker
from vectorstore.embeddings import Embedder

NAMED = (
    "Marta Ellvin founded the residents' group Quiet Harbour after a ferry terminal was built "
    "beside her street in 2019."
)
WORDS = '"For a family living next to the quay, 46 decibels at night is not a statistic," she said.'
LATER = "The terminal handled its busiest day on March 4, when 61 sailings left the quay."
OTHER = '"We measured 46 decibels every night for a year," said Piet Arnvold, an engineer.'
TEXT = f"{NAMED} {WORDS} {LATER}"


@pytest.fixture(scope="module")
def embed(minilm: Embedder) -> Embed:
    def vectors(texts: list[str]) -> list[np.ndarray]:
        return list(minilm.embed(texts))

    return vectors


def quoted(text: str, sentence: str) -> tuple[int, int]:
    return text.index(sentence), text.index(sentence) + len(sentence)


def test_the_speaker_named_before_their_words_is_cited_with_them(embed: Embed) -> None:
    claim = (
        "Marta Ellvin, who founded Quiet Harbour, said that for a family next to the quay 46 "
        "decibels at night is not a statistic."
    )
    question = "Who said that for a family by the quay, 46 decibels at night is more than a number?"
    carried = carried_by(TEXT, None, quoted(TEXT, NAMED), claim, question, embed)
    assert carried is not None
    displayed, _ = carried
    # The reader is shown the speaker and the words, and not the sentence after them.
    assert TEXT[slice(*displayed)] == f"{NAMED} {WORDS}"
    # Alone, the sentence naming her does not give the figure: the claim is dropped.
    alone = f"{NAMED} {LATER}"
    assert carried_by(alone, None, quoted(alone, NAMED), claim, question, embed) is None


def test_words_another_person_speaks_are_not_put_to_the_one_named_before(embed: Embed) -> None:
    text = f"{NAMED} {OTHER}"
    claim = "Marta Ellvin said 46 decibels had been measured every night for a year."
    question = "Who said 46 decibels had been measured every night for a year?"
    assert carried_by(text, None, quoted(text, NAMED), claim, question, embed) is None


def test_a_date_in_the_next_sentence_is_not_put_to_what_the_quote_says(embed: Embed) -> None:
    # Not speech: the date of the next sentence, about her too, is of another event.
    text = f"{NAMED} She opened the group's first office on March 4, when 61 members joined."
    claim = "Marta Ellvin founded Quiet Harbour on March 4."
    question = "When was Quiet Harbour founded?"
    assert carried_by(text, None, quoted(text, NAMED), claim, question, embed) is None


def test_a_quotation_naming_nobody_is_shown_with_the_sentence_naming_its_speaker(
    embed: Embed,
) -> None:
    report = '"We were handed a 900-page noise report ten days before the hearing.'
    text = f'{NAMED} {report} That is not consultation," she said.'
    claim = (
        "Marta Ellvin said the group was handed a 900-page noise report ten days before the "
        "hearing."
    )
    question = "Who said a 900-page noise report arrived only ten days before the hearing?"
    carried = carried_by(text, None, quoted(text, report), claim, question, embed)
    assert carried is not None
    displayed, _ = carried
    assert text[slice(*displayed)].startswith(NAMED)


@pytest.mark.parametrize(
    ("claim", "shown", "kind", "answer"),
    [
        # The one name that speaks in the sentences shown answers the "who".
        ("She vowed that every cent would be recovered.",
         "Alderman Ruth Okonkwo, who chairs the audit panel, said the city would act. "
         '"Every cent will come back," she said.', "who",
         "Alderman Ruth Okonkwo vowed that every cent would be recovered."),
        ("He said the ferry would run again in May.",
         'Harbour officials met on Monday. "It runs in May," said Tomas Ivanek.', "who",
         "Tomas Ivanek said the ferry would run again in May."),
        # With nobody speaking there, the full name opening the first sentence is its subject.
        ("She said she climbed six floors a day.",
         "Lena Marchetti, 71, has lived in the tower for 30 years. "
         '"I climbed six floors a day," she said.', "who",
         "Lena Marchetti said she climbed six floors a day."),
        # A sentence reporting another's words: its opening name is not the speaker.
        ("She said the wards were full.",
         "Kellford Hospital is treating 900 patients, the inspector said. "
         '"The wards are full," she added.', "who", "She said the wards were full."),
        # Two speakers: which one is meant is not for the answer to guess.
        ("She said the vote was fair.",
         "Ana Ruiz said the count was slow, and Mia Tenn told reporters it was calm. "
         '"It was fair," she said.', "who", "She said the vote was fair."),
        # Only a "who" question is answered by a name.
        ("She vowed that every cent would be recovered.",
         "Alderman Ruth Okonkwo said the city would act.", "general",
         "She vowed that every cent would be recovered."),
    ],
)  # fmt: skip
def test_a_who_answer_opening_with_she_names_whom_the_citation_shows_speaking(
    claim: str, shown: str, kind: str, answer: str
) -> None:
    assert naming_the_speaker(claim, shown, kind) == answer
