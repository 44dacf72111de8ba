"""What a claim's figures say, checked against the sentences it cites: what each counts ("1,200
homes", not "1,200 crowns") and what it is called ("a profit of…", not "revenue of…"). Units
are compared by name, however each side writes them."""

import re

from service.answer.decline import MONTHS
from service.answer.evidence import cached_sentence_spans
from service.retrieval.terms import STOPWORDS, normalise_word, terms

# What a number counts is the first word after it and its multipliers ("42 million marks"); a
# describing word the source lacks changes it too ("1,400 surgical operations" is not 1,400
# operations and appointments). A word joined by a hyphen ("90-day", "800,000 well-trained
# troops") describes; it is not checked, nor is a year or the day of a date ("on April 2
# unless…"): they name a time, not a count.
_COUNT = re.compile(
    r"(?<![\w,.-])(?:\d[\d,.]*\d|\d)(?:\s+(?:hundred|thousand|million|billion|trillion|m|bn)\b)*"
    r"\s+([a-z][a-z'’]*)\b(?!-)"
)
_PER_CENT = re.compile(r"\bper\s+cent\b", re.IGNORECASE)
_SIGNS = {"euro": "€", "dollar": "$", "pound": "£", "yen": "¥", "percent": "%"}
# A unit's symbol after a figure counts what its name does: "110 km/h" is "110 kilometres per
# hour". ("m" and "t" are left alone: after a figure they mean million and tonne as often.)
_UNIT_NAMES = {
    "km/h": "kilometres per hour", "kph": "kilometres per hour", "mph": "miles per hour",
    "km²": "square kilometres", "km2": "square kilometres", "sq km": "square kilometres",
    "km": "kilometres", "mi": "miles", "cm": "centimetres", "mm": "millimetres", "ft": "feet",
    "kg": "kilograms", "ha": "hectares", "kwh": "kilowatt hours", "mwh": "megawatt hours",
    "kw": "kilowatts", "mw": "megawatts", "gw": "gigawatts", "°c": "degrees", "°f": "degrees",
}  # fmt: skip
_UNIT = re.compile(
    r"(?<=\d)\s?(" + "|".join(re.escape(u) for u in sorted(_UNIT_NAMES, key=len, reverse=True))
    + r")(?![\w²])",
    re.IGNORECASE,
)  # fmt: skip
_METER = re.compile(r"meter(s?)\b", re.IGNORECASE)  # American spelling of the SI unit


def with_units_named(text: str) -> str:
    """`text` with "per cent", unit symbols and "-meter" spelt one way, so that a claim and
    its source compare what their figures count, however each writes the unit."""
    named_units = _UNIT.sub(lambda m: " " + _UNIT_NAMES[m.group(1).lower()], text)
    return _METER.sub(r"metre\1", _PER_CENT.sub("percent", named_units))


YEAR = re.compile(r"(?:19|20)\d\d")


def _names_a_time(counted: str, before: str) -> bool:
    number = counted.split()[0]
    preceding = before.split()[-1].lower().rstrip(".,") if before.split() else ""
    return bool(YEAR.fullmatch(number)) or preceding in MONTHS


# Numbers written as words, as agencies write those under ten or so: "eleven villages" is 11
# villages. "One" is left alone: it is as often a pronoun ("one of them") or "a".
_UNITS_WORDS = "two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_NUMBER_WORDS = {
    **{word: n for n, word in enumerate(_UNITS_WORDS, start=2)},
    **{word: n for n, word in enumerate(_TEENS, start=10)},
    **{word: 10 * n for n, word in enumerate(_TENS, start=2)},
}
_UNIT_OF_TENS = {"one": 1, **{word: n for n, word in enumerate(_UNITS_WORDS, start=2)}}
_SPELT_NUMBER = re.compile(
    rf"\b({'|'.join(_TENS)})[-\s]({'|'.join(_UNIT_OF_TENS)})\b|\b({'|'.join(_NUMBER_WORDS)})\b",
    re.IGNORECASE,
)


def with_numerals(text: str) -> str:
    """`text` with numbers written as words in digits, so that a claim's "7 boats" is found in
    "seven boats were sunk". Only the source is read so: a claim's own "the two climbers" may
    name what an earlier sentence counted, and is not checked, as before."""

    def digits(found: re.Match[str]) -> str:
        tens, unit, word = (g.lower() if g else None for g in found.groups())
        if tens and unit:
            return str(_NUMBER_WORDS[tens] + _UNIT_OF_TENS[unit])
        return str(_NUMBER_WORDS[word or ""])

    return _SPELT_NUMBER.sub(digits, text)


# Words after a figure that count relative to something else, not a thing of their own.
_RELATIVE_COUNT = frozenset({"more", "fewer", "others", "other", "additional", "extra"})
_NEXT_WORD = re.compile(r"\s+([a-z][a-z'’]*)\b(?!-)")


def uncounted(claim: str, cited: str) -> str | None:
    """The first "number word" of the claim whose word the cited sentences lack: "1,200
    crowns" cited to a sentence about 1,200 homes. Changing what a figure counts misleads as
    much as changing the figure; the word must stand where the figure does, not in a
    neighbouring sentence about something else. Then the name of each figure (`mislabelled`)."""
    cited = with_units_named(with_numerals(cited))
    sentences = [cited[start:end] for start, end in cached_sentence_spans(cited)]
    claim = with_units_named(claim)
    for found in _COUNT.finditer(claim):
        word = found.group(1)
        if word in _RELATIVE_COUNT:
            # "30 more boats" counts boats; "damaged 30 others" counts what it counted before.
            following = _NEXT_WORD.match(claim, found.end())
            if following is None or following.group(1) in STOPWORDS:
                continue
            word = following.group(1)
        if word in STOPWORDS or _names_a_time(found.group(0), claim[: found.start()]):
            continue
        # In the sentences that give the figure: another sentence's word counts something else.
        figure = found.group(0).split()[0]
        where = " ".join(s for s in sentences if figure_at(figure, s)) or cited
        term = normalise_word(word)
        sign = _SIGNS.get(term)
        if term in terms(where) or (sign is not None and sign in where):
            continue
        return found.group(0)
    return mislabelled(claim, cited)


# What a figure is, when the claim names it "<noun> of <figure>": "a profit of 94 million".
_LABELLED = re.compile(
    r"\b([a-z][a-z'’-]+)\s+of\s+(?:(?:about|around|roughly|nearly|almost|some|up to|just|over|"
    r"under|more than|less than)\s+)?[$€£¥]?((?:\d[\d,.]*\d|\d))(?![\w])",
    re.IGNORECASE,
)
_VERB_FORM = re.compile(r"ed$", re.IGNORECASE)
LABEL_REACH = 5  # words before the figure in the cited sentence where its name must stand


def mislabelled(claim: str, cited: str) -> str | None:
    """The first "<noun> of <figure>" of the claim whose noun the cited sentences do not put
    just before that figure: "a profit of 94 million" cited to "revenue of 94 million", even
    when "profit" stands later in the sentence about something else. A noun of the same stem
    counts ("the buyer of 38 percent" for "buys 38 percent")."""
    for found in _LABELLED.finditer(claim):
        label = normalise_word(found.group(1))
        if found.group(1).lower() in STOPWORDS or _VERB_FORM.search(found.group(1)):
            continue  # "consisted of 212" names nothing: only a noun labels a figure
        occurrences = figure_at(found.group(2), cited)
        if occurrences and not any(
            _same_stem(label, term)
            for at in occurrences
            for term in terms(" ".join(cited[: at.start()].split()[-LABEL_REACH:]))
        ):
            return f"{found.group(1)} of {found.group(2)}"
    return None


def figure_at(figure: str, text: str) -> list[re.Match[str]]:
    """Where `figure` stands in `text` as a whole figure: not the 800 of "1,800" or "800.5"."""
    return list(re.finditer(rf"(?<![\w.,]){re.escape(figure)}(?!\w)", text))


def _same_stem(one: str, other: str) -> bool:
    shorter, longer = sorted((one, other), key=len)
    return len(shorter) >= 3 and longer.startswith(shorter)
