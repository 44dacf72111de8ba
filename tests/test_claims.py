"""The claim verifier on pairs made for the test, with the real embedder and the committed
calibration: lenient on wording, strict on what can mislead."""

from dataclasses import replace

import numpy as np
import pytest

from service.answer.claims import Source, gives_kind_asked, load_verifier
from service.answer.figures import uncounted
from service.answer.replies import with_antecedent
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
        # So is the right number of another currency, which the calibration alone would keep.
        ("How much did the councillors approve for the crossing?",
         "Councillors approved about 12 million crowns for the crossing over the Lenne.", BUDGET,
         False),
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


DATELINE = (
    "HARLOW FEN, June 3 (Wire) — Thousands of tenants marched through the capital of the "
    "Republic of Osterlind on Saturday against a rent rise."
)
VOTE = "Parliament is due to vote on the rent bill on June 20."
LEADER = "The march was led by Mira Kelda, who chairs the tenants' union."
QUOTE = '"We will not pay a single crown more," one marcher said.'
ELSEWHERE = "In Brackwater, rents rose by 9 percent, the housing office said."
PLANT = "The plant will first build the Lark, a compact sport-utility vehicle."
ARTICLE = " ".join([DATELINE, LEADER, VOTE, ELSEWHERE, PLANT, QUOTE])


def in_article(sentence: str) -> Source:
    lead = f"Rent march\n{DATELINE} {LEADER}"
    return Source(sentence, f"Rent march\n{sentence}", lead, ARTICLE)


@pytest.mark.parametrize(
    ("claim", "context", "miscounted"),
    [
        ("A pilot cost 1,200 crowns per home.", "A pilot connected 1,200 homes last year.",
         "1,200 crowns"),
        ("Rents rose by 9 per cent.", ELSEWHERE, None),
        ("The city will spend 12 million euros.", "A budget of €12 million was approved.", None),
        ("About 6,200 homes lost power.", "About 6,200 customers had lost electricity.",
         "6,200 homes"),
        # A year, or the day of a date, names a time and counts nothing.
        ("A strike on April 2 unless the bill goes.", "A strike on April 2 if it stays.", None),
        ("In 2022 complaints rose.", "It began in 2022 with a letter.", None),
        # A word joined by a hyphen describes what is counted; the 60-day and the F-35 count
        # nothing.
        ("It has 800,000 well-trained troops.", "A strength of 800,000 troops.", None),
        ("The 60-day deadline for the F-35 jets.", "The deadline is 60 days.", None),
        # A unit's symbol counts what its name does, either way round and in either spelling;
        # another unit does not.
        ("Trains will run at 110 km/h.", "Trains will reach 110 kilometres per hour.", None),
        ("The pipe runs 14 kilometers.", "The 14km pipe was laid in May.", None),
        ("Trains will run at 110 mph.", "Trains will reach 110 kilometres per hour.", "110 miles"),
        # What a figure is, named "<noun> of <figure>", stands just before it in the source:
        # revenue is not profit, even in a sentence that mentions profit later.
        ("It made a profit of 40 million crowns.",
         "It reported revenue of 40 million crowns, though its profit margin shrank.",
         "profit of 40"),
        ("It is the buyer of 38 percent of the exports.", "It buys 38 percent of the exports.",
         None),
        # A verb before "of" names nothing: "consisted of 200 nurses" is 200 nurses.
        ("The first group consisted of 200 nurses.", "The 200 nurses began work in May.", None),
        # Numbers the source writes as words count as their digits.
        ("The storm sank 7 boats and flooded 25 homes.",
         "Seven boats sank and twenty-five homes were flooded.", None),
        ("The storm sank 7 homes.", "Seven boats sank in the storm.", "7 homes"),
        # A claim's own number words are not read as figures: "the two men" may be counted
        # in an earlier sentence.
        ("The two men were found at 3,150 metres.", "They were found at 3,150 metres.", None),
        # The word must stand in the sentence giving the figure: the next one's "drivers" and
        # "new" are about something else.
        ("The operator hired 85 new drivers last year.",
         "It had hired only 85 so far this year. Without drivers, the new timetable fails.",
         "85 new"),
        # "More" or "others" after a figure counts what the sentence counted before it, or
        # the noun after it.
        ("The gale sank 7 boats and damaged at least 30 others.",
         "The gale sank seven boats, damaging at least 30 more.", None),
        ("The storm sank 30 more boats.", "The storm sank 30 boats overnight.", None),
        ("The storm sank 30 more homes.", "The storm sank 30 boats overnight.", "30 more"),
        # A describing word the source lacks narrows what is counted.
        ("The clinic cancelled 300 surgical operations.",
         "The clinic cancelled 300 operations and appointments.", "300 surgical"),
    ],
)  # fmt: skip
def test_a_figure_counts_what_its_source_counts(
    claim: str, context: str, miscounted: str | None
) -> None:
    assert uncounted(claim, context) == miscounted


@pytest.mark.parametrize(
    ("claim", "sentence", "unnamed"),
    [
        # The country of the dateline is what "Parliament" means: the claim may name it.
        ("Osterlind's parliament is due to vote on the rent bill on June 20.", VOTE, None),
        # The same place put in place of the one the sentence names is a substitution.
        ("In Harlow Fen, rents rose by 9 percent.", ELSEWHERE, "Harlow Fen"),
        # A name the article never gives.
        ("Parliament in Marlow is due to vote on the rent bill on June 20.", VOTE, "Marlow"),
        # An acronym of words the article spells out.
        ("The plant will first build the Lark SUV.", PLANT, None),
        ("The plant will first build an EV.", PLANT, "EV"),
        # Two letters, or words with a stopword among them, match by chance: "the Lark" is no
        # TL, "Republic of Osterlind" no ROO.
        ("The plant will first build a TL.", PLANT, "TL"),
        ("In Brackwater, rents rose by 9 percent, the ROO housing office said.", ELSEWHERE,
         "ROO"),
        # A speaker the lead names, put to a quote that names nobody: whoever said it, the
        # sentence does not say it was them. A capitalised first word is checked as a name when
        # the article writes it as one.
        ("Kelda said she would not pay more rent.", QUOTE, "Kelda"),
        ("Tenants said they would not pay more rent.", QUOTE, None),
        # A number the source spells out stands for the claim's digits, as a name would.
        ("She carried her shopping up 7 floors.",
         '"I carried my shopping up seven floors," she said.', None),
    ],
)  # fmt: skip
def test_names_the_article_scopes_or_spells_out(claim: str, sentence: str, unnamed: str) -> None:
    assert load_verifier().unnamed(claim, in_article(sentence)) == unnamed


SPEAKER = "Ilse Kornbrek, president of the labour federation, spoke from a stage in Tarrow Square."
THREAT = "She said the unions would call a general strike on April 2 unless the bill was withdrawn."


def test_a_sentence_opening_with_a_pronoun_is_read_with_the_one_naming_whom(embed) -> None:  # type: ignore[no-untyped-def]
    text = f"{SPEAKER} {THREAT}"
    span = (text.index(THREAT), len(text))
    assert text[slice(*with_antecedent(text, span))] == text
    assert with_antecedent(text, (0, len(SPEAKER))) == (0, len(SPEAKER))
    # Claimed as it stands, the sentence answers the question only with the one before it,
    # where she is named.
    question = "What did the federation's president threaten?"
    alone = Source(THREAT, text, "", text)
    assert load_verifier().rejects(THREAT, alone, question, embed) is not None
    assert load_verifier().rejects(THREAT, replace(alone, attributed=text), question, embed) is None


CHIEF = "Fire chief Odile Marrant spoke to reporters outside the depot on Sunday."
CALM = '"We were lucky the wind held, or Harbour Street would be gone," she said.'
EAST = "Had the wind been from the east, she said, the smoke would have reached the harbour school."
BRIEFING = f"The depot burned for six hours. {CHIEF} {CALM} {EAST}"


def briefing_source(sentence: str) -> Source:
    span = (BRIEFING.index(sentence), BRIEFING.index(sentence) + len(sentence))
    before = BRIEFING.index(CALM)
    context = BRIEFING[before:]  # the sentence before and the cited one
    return Source(
        sentence, context, "", BRIEFING, BRIEFING[slice(*with_antecedent(BRIEFING, span))]
    )


def test_words_put_to_she_are_read_back_to_the_sentence_naming_her(embed) -> None:  # type: ignore[no-untyped-def]
    # Past a quote that names nobody, to the sentence that names the chief; a sentence that
    # needs nobody named is cited alone.
    east = (BRIEFING.index(EAST), len(BRIEFING))
    assert BRIEFING[slice(*with_antecedent(BRIEFING, east))] == f"{CHIEF} {CALM} {EAST}"
    first = (0, BRIEFING.index(CHIEF) - 1)
    assert with_antecedent(BRIEFING, first) == first
    # So the claim may name her, and it answers "who" with her name.
    claim = (
        "Odile Marrant said an easterly wind would have carried the smoke to the harbour school."
    )
    source = briefing_source(EAST)
    assert load_verifier().unnamed(claim, source) is None
    question = "Who said the smoke could have reached the harbour school?"
    assert load_verifier().rejects(claim, source, question, embed) is None
    # Someone the article never names is still not in it.
    other = claim.replace("Odile Marrant", "Paulo Brenn")
    assert load_verifier().unnamed(other, source) == "Paulo Brenn"


def test_a_question_naming_the_speaker_is_answered_where_she_is_named_sentences_back(embed) -> None:  # type: ignore[no-untyped-def]
    # Her name stands two sentences before the words put to "she": the claim that names her,
    # as the question does, takes nothing from the question that the source lacks.
    question = (
        "What did fire chief Odile Marrant say would have happened had the wind come from the east?"
    )
    claim = (
        "Fire chief Odile Marrant said that with an easterly wind the smoke would have reached "
        "the harbour school."
    )
    assert load_verifier().rejects(claim, briefing_source(EAST), question, embed) is None


def test_who_is_answered_by_a_speaker_named_only_by_role() -> None:
    sentence = (
        "A senior port official, who asked not to be named, said the cranes had failed twice."
    )
    source = Source(sentence, sentence, "", sentence, sentence)
    question = "Who said the cranes had failed twice?"
    assert gives_kind_asked(
        "A senior port official said the cranes failed twice.", source, question
    )
    # Crediting no one, or only whom the question names, answers nothing.
    assert not gives_kind_asked("She said the cranes failed twice.", source, question)
    assert not gives_kind_asked("The cranes failed twice, it was said.", source, question)


def test_a_number_the_source_spells_out_is_the_same_number(embed) -> None:  # type: ignore[no-untyped-def]
    sentence = "Eleven villages lie in the first flood zone below the spillway."
    source = Source(sentence, sentence, "", sentence, sentence)
    question = "How many villages are in the first flood zone?"
    assert load_verifier().rejects("11 villages are in the first flood zone.", source, question,
                                   embed) is None  # fmt: skip
    reason = load_verifier().rejects("12 villages are in the first flood zone.", source, question,
                                     embed)  # fmt: skip
    assert reason == "numbers not in the source: 12"
