from service.ingest.clean import clean_article
from tests.conftest import ARTICLES


def read(stem: str) -> str:
    return next(ARTICLES.glob(f"{stem}*.txt")).read_text(encoding="utf-8")


def test_site_boilerplate_is_dropped_from_the_samples() -> None:
    for stem, junk in [
        ("001", "Aaj English"),
        ("001", "Comments are closed on this story."),
        ("002", '"*" indicates required fields'),
    ]:
        cleaned = clean_article(read(stem))
        assert junk not in cleaned.text
        assert cleaned.text.endswith(".") or cleaned.text.endswith("’")


def test_headline_first_line_becomes_the_title_and_leaves_the_body() -> None:
    cleaned = clean_article(read("001"))
    assert cleaned.title == "US, European allies unite to support Ukraine’s defense against Russia"
    assert cleaned.text.startswith("US President Donald Trump assured")


def test_article_without_headline_has_no_title() -> None:
    cleaned = clean_article(read("002"))
    assert cleaned.title is None
    assert cleaned.text.startswith("Ukrainian President Volodymyr Zelenskyy made it clear")


def test_given_title_is_kept_and_a_repeated_headline_line_removed() -> None:
    cleaned = clean_article("Big News\n\nThe first paragraph is here.", title="Big News")
    assert cleaned == clean_article("The first paragraph is here.", title="Big News")


def test_whitespace_and_unicode_are_normalised() -> None:
    raw = "Kyiv\u00a0said  it\u200b would\tsign.\r\n\r\n\r\n\r\nThe  deal ﬁnally came."
    cleaned = clean_article(raw)
    assert cleaned.text == "Kyiv said it would sign.\n\nThe deal finally came."


def test_sentence_broken_after_an_abbreviation_is_rejoined() -> None:
    cleaned = clean_article(read("000"))
    assert "former U.S. President Donald Trump has made a surprising return" in cleaned.text


def test_hard_wrapped_lines_are_unwrapped() -> None:
    cleaned = clean_article(
        "The minister said the talks\nwould resume on Monday.\nA second paragraph."
    )
    assert (
        cleaned.text == "The minister said the talks would resume on Monday.\n\nA second paragraph."
    )


def test_markdown_syntax_is_stripped() -> None:
    raw = (
        "# Talks resume\n\nThe **minister** said [talks](http://x.test) resume. ![img](a.png)"
        "\n\n- One point."
    )
    cleaned = clean_article(raw, markdown=True)
    assert cleaned.title == "Talks resume"
    assert cleaned.text == "The minister said talks resume.\n\nOne point."
