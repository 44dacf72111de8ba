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


def test_lexical_index_compacts_without_changing_results() -> None:
    """Removing most documents triggers compaction; the index then ranks as a fresh one does."""
    topics = ["oil prices fell", "Zelensky met Witkoff", "tariffs on steel", "Kyiv talks"]
    index = BM25Index()
    for n in range(3000):
        index.add(f"d{n}:1", f"d{n}", f"Story {n}: {topics[n % 4]} on day {n % 17}.")
    for n in range(3000):
        if n % 5:
            index.remove_document(f"d{n}")
    index.add("d1:2", "d1", "Zelensky and Witkoff spoke about oil in Kyiv.")
    fresh = BM25Index()
    for n in range(0, 3000, 5):
        fresh.add(f"d{n}:1", f"d{n}", f"Story {n}: {topics[n % 4]} on day {n % 17}.")
    fresh.add("d1:2", "d1", "Zelensky and Witkoff spoke about oil in Kyiv.")
    assert len(index) == len(fresh) == 601
    for query in ["Zelensky Witkoff Kyiv", "oil day 3", "steel tariffs", "nothing here"]:
        assert index.search(query, 10) == fresh.search(query, 10)
        assert index.search(query, 10, {"d1", "d5"}) == fresh.search(query, 10, {"d1", "d5"})
    assert index.term_set("d1:2") == fresh.term_set("d1:2")
    assert index.document_frequency("oil") == fresh.document_frequency("oil")
    assert index.term_set("d2:1") is None
