from service.retrieval.lexical import BM25Index
from service.retrieval.terms import terms


def test_spelling_variants_of_a_name_meet() -> None:
    spellings = ["Zelensky", "Zelenskiy", "Zelenskyy", "Zelenskyy’s", "Zelensky's", "ZELENSKYY"]
    assert {terms(s)[0] for s in spellings} == {"zelensky"}
    assert terms("Kiev") == terms("Kyiv")


def test_country_forms_meet_but_the_pronoun_us_is_dropped() -> None:
    assert terms("U.S.") == terms("US") == terms("United States") == terms("American") == ["usa"]
    assert terms("give us time") == ["give", "time"]
    assert terms("Ukrainian") == terms("Ukraine’s")


def test_inflections_share_a_stem_and_stopwords_go() -> None:
    assert terms("deployed") == terms("deployment") == terms("deploying")
    assert terms("what is the of and") == []


def test_lexical_index_updates_incrementally() -> None:
    index = BM25Index()
    index.add("a:1", "a", "Zelenskiy met European leaders in Washington.")
    index.add("b:1", "b", "Markets rallied as oil prices fell.")
    assert [cid for cid, _ in index.search("Zelenskyy Washington", 5)] == ["a:1"]
    index.remove_document("a")
    assert index.search("Zelenskyy Washington", 5) == []
    assert len(index) == 1
    index.add("a:2", "a", "Zelensky spoke in Kyiv.")
    fresh = BM25Index()
    fresh.add("b:1", "b", "Markets rallied as oil prices fell.")
    fresh.add("a:2", "a", "Zelensky spoke in Kyiv.")
    assert index.search("Zelensky Kiev oil", 5) == fresh.search("Zelensky Kiev oil", 5)
    assert index.search("Zelensky", 5, allowed_docs={"b"}) == []
