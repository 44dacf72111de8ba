"""Distractor passages the gold questions must still be answered among, with fixed seeds:
unrelated news-like ones from templates (sport, markets, weather, science, city politics), and
near misses of the gold articles themselves (the same events with other figures, years and
people)."""

import json
import random
import re
from pathlib import Path

_PEOPLE = (
    "Maria Lopez, Kenji Watanabe, Aisha Bello, Tomasz Nowak, Priya Raman, Lars Eriksen, Chen Wei, "
    "Fatima Haddad, Oliver Grant, Sofia Rossi, Daniel Okafor, Elena Petrova, Samuel Adeyemi, "
    "Hannah Schulz, Mateo Silva"
).split(", ")
_PLACES = (
    "Lisbon Osaka Lagos Gdansk Chennai Bergen Chengdu Beirut Leeds Turin Accra Valencia Quebec "
    "Adelaide Cusco"
).split()
_TEMPLATES = [
    "{place} FC beat their rivals {a}-{b} on Saturday, with {person} scoring twice in the second "
    "half. The coach said the team had 'finally found its rhythm' after a difficult {month}. "
    "Attendance at the stadium reached {big} fans, a club record.",
    "Shares in {place} Logistics rose {pct}% after the company reported quarterly revenue of "
    "${money} million. Chief executive {person} told analysts that demand for freight had "
    "recovered faster than expected. The firm plans to open {a} new warehouses next year.",
    "Heavy rain flooded parts of {place} on {day}, closing {a} schools and several roads. "
    "Mayor {person} said emergency crews had pumped water from {big} homes. Forecasters expect "
    "drier weather by the end of the week.",
    "Researchers at the University of {place} have identified a new species of frog in the "
    "hills outside the city. Lead author {person} said the animal is about {a} centimetres long "
    "and calls at night. The findings were published in a journal of zoology in {month}.",
    "The city council of {place} approved a budget of ${money} million for public transport on "
    "{day}. Councillor {person} said {a} new tram lines would open by {year}. Critics argued "
    "the plan ignored cyclists.",
    "A jazz festival in {place} drew {big} visitors over the weekend, organisers said. "
    "Saxophonist {person} closed the event with a set that ran past midnight. Ticket sales rose "
    "{pct}% compared with last year.",
    "{place} airport will add {a} daily flights from {month}, its operator announced. "
    "Spokesperson {person} said the expansion would create {big} jobs. Local residents have "
    "raised concerns about noise.",
    "Wheat prices fell {pct}% this week as harvests in the region around {place} exceeded "
    "forecasts. Trader {person} said buyers were waiting for clearer signals before the {month} "
    "contracts. Storage costs have risen sharply.",
]
_MONTHS = ["January", "March", "April", "June", "September", "October", "November"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def generate(count: int, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    records = []
    for index in range(count):
        template = rng.choice(_TEMPLATES)
        text = template.format(
            place=rng.choice(_PLACES), person=rng.choice(_PEOPLE), a=rng.randint(2, 9),
            b=rng.randint(0, 3), big=f"{rng.randint(2, 90) * 1000:,}", pct=rng.randint(2, 19),
            money=rng.randint(20, 900), month=rng.choice(_MONTHS), day=rng.choice(_DAYS),
            year=rng.randint(2027, 2031),
        )  # fmt: skip
        records.append({"id": f"distractor-{index:04d}", "text": text, "source": "generated"})
    return records


def write_jsonl(path: Path, count: int, seed: int = 7) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for record in generate(count, seed):
            handle.write(json.dumps(record) + "\n")
    return path


_NUMBER = re.compile(r"\b\d[\d,.]*\d\b|\b\d\b")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[- ][A-Z][a-z]+)+\b")


def _shifted(match: re.Match[str], rng: random.Random) -> str:
    """Another figure of the same shape: a year moves by a few years, other numbers change."""
    text = match.group(0)
    digits = text.replace(",", "")
    if re.fullmatch(r"(?:19|20)\d\d", digits):
        return str(int(digits) + rng.choice([-3, -2, -1, 1, 2]))
    if "." in digits:
        whole, _, part = digits.partition(".")
        return f"{int(whole) + rng.randint(1, 9)}.{part}"
    value = int(digits) + rng.randint(1, 9) * max(1, 10 ** (len(digits) - 2))
    return f"{value:,}" if "," in text else str(value)


def near_misses(texts: list[str], count: int, seed: int = 11) -> list[dict[str, str]]:
    """Passages about the same events as `texts` with other figures, other years and other
    people: every copied sentence has at least one of them changed, so a question about the
    real article is still answered only by it, and a lookalike finds its near miss here."""
    from service.ingest.sentences import sentence_spans

    rng = random.Random(seed)
    articles: list[list[str]] = []
    for text in texts:
        changed_sentences = []
        for start, end in sentence_spans(text):
            sentence = text[start:end]
            changed = _NUMBER.sub(lambda m: _shifted(m, rng), sentence)
            changed = _NAME.sub(lambda _: rng.choice(_PEOPLE), changed)
            if changed != sentence and len(changed.split()) >= 6:
                changed_sentences.append(changed)
        if changed_sentences:
            articles.append(changed_sentences)
    records = []
    for index in range(count if articles else 0):
        sentences = rng.choice(articles)  # three consecutive changed sentences of one article
        at = rng.randrange(max(1, len(sentences) - 2))
        text = " ".join(sentences[at : at + 3])
        records.append({"id": f"nearmiss-{index:04d}", "text": text, "source": "generated"})
    return records


def write_haystack(path: Path, texts: list[str], count: int, near_share: float = 0.3) -> Path:
    """`count` distractors: unrelated passages and, `near_share` of them, near misses of
    `texts`."""
    near = int(count * near_share)
    with path.open("w", encoding="utf-8") as handle:
        for record in [*generate(count - near), *near_misses(texts, near)]:
            handle.write(json.dumps(record) + "\n")
    return path
