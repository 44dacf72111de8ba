from service.ingest.sentences import sentence_spans


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text)]


def test_abbreviations_and_initials_do_not_end_sentences() -> None:
    text = "Mr. Smith met Gen. Jones and John F. Kennedy Jr. in Washington. They talked."
    assert sentences(text) == [
        "Mr. Smith met Gen. Jones and John F. Kennedy Jr. in Washington.",
        "They talked.",
    ]


def test_dotted_acronym_ends_a_sentence_only_before_a_sentence_start() -> None:
    text = "U.S. President Trump spoke. It came from the U.S. He said so. The U.S. Senate voted."
    assert sentences(text) == [
        "U.S. President Trump spoke.",
        "It came from the U.S.",
        "He said so.",
        "The U.S. Senate voted.",
    ]


def test_quoted_question_followed_by_a_reporting_verb_stays_one_sentence() -> None:
    text = "“What do you need?” Chambers asked, and he answered: “Everything.” Talks went on."
    assert sentences(text) == [
        "“What do you need?” Chambers asked, and he answered: “Everything.”",
        "Talks went on.",
    ]


def test_closing_quote_belongs_to_its_sentence_and_paragraphs_split() -> None:
    text = "He called it ‘a lifeline.’ Others disagreed\n\nA new paragraph without a stop"
    assert sentences(text) == [
        "He called it ‘a lifeline.’",
        "Others disagreed",
        "A new paragraph without a stop",
    ]


def test_spans_are_offsets_into_the_text() -> None:
    text = "  First one here.   Second one there!  "
    for start, end in sentence_spans(text):
        assert text[start:end] == text[start:end].strip()
    assert sentences(text) == ["First one here.", "Second one there!"]
