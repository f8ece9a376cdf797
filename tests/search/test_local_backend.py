"""The local BM25 index over the corpus in the database (PostgreSQL or SQLite, as the suite runs)."""

from pathlib import Path

import pytest

from search.backends import backend_get, local
from search.backends.local import LocalBackend
from search.models import Document


def test_ranks_the_most_relevant_document_first(documents):
    page = LocalBackend().search("trust fund payroll taxes", page=1, page_size=10)
    assert page.hits[0].url == "https://ssa.example.gov/trust-fund"
    assert "https://garden.example.com/roses" not in {h.url for h in page.hits}


def test_matches_any_term_with_stemming(documents):
    urls = {h.url for h in LocalBackend().search("pruning", page=1, page_size=10).hits}
    assert urls == {"https://garden.example.com/roses"}


def test_hits_carry_source_and_claim(documents):
    hits = LocalBackend().search("ruling dataset", page=1, page_size=10).hits
    own = next(h for h in hits if h.url == "https://data.example.org/liar#L5")
    assert (own.source, own.about) == ("politifact.com", "liar:1.json")
    assert own.snippet


def test_pages_do_not_overlap(documents):
    backend = LocalBackend()
    first = backend.search("social security deficit", page=1, page_size=2)
    second = backend.search("social security deficit", page=2, page_size=2)
    assert first.has_next and len(first.hits) == 2
    assert not {h.url for h in first.hits} & {h.url for h in second.hits}


@pytest.mark.parametrize("query", ['"', "AND OR NOT", "title:x*", "-(", "the of and", "???"])
def test_query_syntax_cannot_break_the_index(documents, query):
    LocalBackend().search(query, page=1, page_size=10)  # no error whatever the text


def test_updates_and_deletes_reach_the_index(documents):
    roses = Document.objects.get(url="https://garden.example.com/roses")
    roses.text = "Tulips need well-drained soil."
    roses.save()
    backend = LocalBackend()
    assert backend.search("tulips", page=1, page_size=10).hits[0].url == roses.url
    assert backend.search("prune", page=1, page_size=10).hits == []
    roses.delete()
    assert backend.search("tulips", page=1, page_size=10).hits == []


def test_an_empty_corpus_answers_nothing(db):
    assert LocalBackend().search("deficit", page=1, page_size=10).hits == []


def test_the_index_is_saved_and_reused_by_another_process(documents, settings, monkeypatch):
    LocalBackend().search("deficit", page=1, page_size=10)
    version = local.corpus_version()
    saved = Path(settings.SEARCH_INDEX_DIR) / version
    assert (saved / "version.json").is_file()
    monkeypatch.setattr(local, "_current", None)  # a fresh process
    monkeypatch.setattr(local, "_build", lambda version: pytest.fail("rebuilt instead of loaded"))
    hits = LocalBackend().search("trust fund payroll", page=1, page_size=10).hits
    assert hits[0].url == "https://ssa.example.gov/trust-fund"


def test_a_new_document_makes_the_index_stale(documents):
    backend = LocalBackend()
    assert backend.search("volcano", page=1, page_size=10).hits == []
    Document.objects.create(
        url="https://geo.example.org/v", title="Volcano", text="Lava.", source="geo.example.org"
    )
    assert [h.url for h in backend.search("volcano", page=1, page_size=10).hits] == [
        "https://geo.example.org/v"
    ]


def test_snippet_prefers_sentences_with_query_terms():
    text = "Roses are red. The deficit grew by 5 percent in 2012. Violets are blue."
    assert local.snippet(text, {"deficit"}) == "The deficit grew by 5 percent in 2012."
    assert local.snippet(text, {"volcano"}) == text


def test_backend_get_by_name(db):
    assert isinstance(backend_get("local"), LocalBackend)


def test_a_change_is_noticed_even_when_the_old_index_still_finds_results(documents):
    backend = LocalBackend()
    assert backend.search("deficit", page=1, page_size=10).hits  # the index is now in memory
    Document.objects.create(
        url="https://cbo.example.gov/d",
        title="Deficit deficit deficit",
        text="The deficit, the deficit and the deficit.",
        source="cbo.example.gov",
    )
    assert (
        backend.search("deficit", page=1, page_size=10).hits[0].url == "https://cbo.example.gov/d"
    )


def test_one_query_per_search_once_the_index_is_loaded(documents, django_assert_num_queries):
    backend = LocalBackend()
    backend.search("deficit", page=1, page_size=10)
    with django_assert_num_queries(1):
        assert backend.search("social security", page=1, page_size=10).hits
