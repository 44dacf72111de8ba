"""Terms shared by the lexical index, the answerers and abstention: one normalisation everywhere.

Names are folded so spelling variants meet (Zelensky / Zelenskiy / Zelenskyy → zelensky,
Kiev → kyiv, U.S. / USA → usa), then words are stemmed (deployed / deployment → deploy).
"""

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"(?:[A-Za-z]\.){2,}|[\w’'-]+", re.UNICODE)
_TRANSLIT_SUFFIX = re.compile(r"(sk|ck|tsk|zk)(?:yy|iy|yi|ii|yj|ij)$")
_ALIASES = {
    "kiev": "kyiv",
    "u.s.": "usa",
    "u.s.a.": "usa",
    "us": "usa",  # only reached for upper-case "US"; lower-case "us" is a pronoun
    "usa": "usa",
    "america": "usa",
    "american": "usa",
    "americans": "usa",
    "u.k.": "uk",
    "britain": "uk",
    "british": "uk",
    "e.u.": "eu",
    "u.n.": "un",
    "russian": "russia",
    "russians": "russia",
    "ukrainian": "ukraine",
    "ukrainians": "ukraine",
    "european": "europe",
    "europeans": "europe",
    "german": "germany",
    "french": "france",
}
_MULTIWORD = [
    (re.compile(r"\bUnited States\b"), "USA"),
    (re.compile(r"\bUnited Kingdom\b"), "UK"),
    (re.compile(r"\bEuropean Union\b"), "EU"),
]

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can could did didn't do does doesn't doing don't down
    during each few for from further had has have having he her here hers herself him himself his
    how i if in into is isn't it it's its itself just let's me more most my myself no nor not of
    off on once only or other ought our ours ourselves out over own same she should so some such
    than that that's the their theirs them themselves then there there's these they this those
    through to too under until up very was we were what what's when where which while who whom why
    will with would you your yours yourself yourselves us s t don now ve ll re d m o y""".split()
)
# Words that frame a question but carry no fact to look for.
QUESTION_WORDS = frozenset(
    """say said says tell told mention mentioned describe described according article
    articles news source sources think thought happen happened anything something
    kind sort please much many long coverage mentioned""".split()
)

_stemmer = snowballstemmer.stemmer("english")


def fold(text: str) -> str:
    """Strip diacritics and unify apostrophes so 'Zelenskyy’s' and "Zelenskyy's" compare."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.replace("’", "'").replace("‘", "'")


@lru_cache(maxsize=200_000)
def normalise_word(word: str) -> str:
    """One surface word → its index term (case-sensitive input: 'US' is a country, 'us' is not)."""
    lowered = fold(word).lower().strip("'-")
    lowered = re.sub(r"'s$", "", lowered)
    if lowered == "us" and word != "US":
        return "us"
    if lowered in _ALIASES:
        lowered = _ALIASES[lowered]
    lowered = _TRANSLIT_SUFFIX.sub(r"\1y", lowered)
    if lowered.endswith("sky") or lowered.endswith("cky"):
        return lowered  # a name: stemming would split the variants again
    return str(_stemmer.stemWord(lowered))


def canonical(text: str) -> str:
    """Multi-word names in one spelling ("United States" → "USA")."""
    for pattern, replacement in _MULTIWORD:
        text = pattern.sub(replacement, text)
    return text


def words(text: str) -> list[str]:
    return _WORD.findall(canonical(text))


def terms(text: str) -> list[str]:
    """Index terms of a text: normalised, stemmed, stopwords dropped."""
    result = []
    for word in words(text):
        if fold(word).lower().strip("'-") in STOPWORDS and word != "US":
            continue
        term = normalise_word(word)
        if term and term not in STOPWORDS:
            result.append(term)
    return result
