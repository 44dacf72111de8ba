import pytest

from service.answer.replies import parse_claims
from service.answer.verify import locate_quote

SOURCE = (
    "Witkoff characterized Putin’s concession as unprecedented, highlighting a potential shift in "
    "negotiations. “This was the first time we had ever heard the Russians agree to that,” "
    "he noted."
)


def span_text(quote: str) -> str | None:
    span = locate_quote(quote, SOURCE)
    return None if span is None else SOURCE[span[0] : span[1]]


def test_exact_quote_maps_to_its_offsets() -> None:
    assert span_text("Putin’s concession as unprecedented") == "Putin’s concession as unprecedented"


def test_straight_quotes_case_and_spacing_still_map_to_the_source_text() -> None:
    found = span_text('"This was the first time  we had ever heard the russians agree to that,"')
    assert found == "This was the first time we had ever heard the Russians agree to that"


def test_small_drift_is_forgiven_and_the_source_wording_returned() -> None:
    assert span_text("Witkoff characterised Putin's concession as unprecedented") == (
        "Witkoff characterized Putin’s concession as unprecedented"
    )


def test_partial_word_is_widened_to_whole_words() -> None:
    assert span_text("itkoff characterized Putin’s conces") == (
        "Witkoff characterized Putin’s concession"
    )


@pytest.mark.parametrize(
    "quote",
    [
        "Putin refused any security guarantees for Ukraine",  # invented
        "Witkoff said Putin made an unprecedented concession",  # paraphrased
        "unprecedented as concession Putin’s characterized Witkoff",  # re-ordered
        "he noted",  # too short to support anything
    ],
)
def test_quotes_the_source_does_not_contain_are_rejected(quote: str) -> None:
    assert locate_quote(quote, SOURCE) is None


def test_claims_are_parsed_from_the_first_json_object_with_claims() -> None:
    raw = 'Sure! {"note": 1} {"claims": [{"text": "a", "passage": 1, "quote": "b"}, "junk"]} tail'
    assert parse_claims(raw) == [{"text": "a", "passage": 1, "quote": "b"}]
    assert parse_claims("no json at all") == []
    assert parse_claims('{"claims": "not a list"}') == []
