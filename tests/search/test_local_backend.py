"""The local full-text index, on whichever database the suite runs (SQLite FTS5 or PostgreSQL)."""

import pytest
from django.db import connection

from search.backends import backend_get
from search.backends.local import LocalBackend, query_terms
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


def test_query_terms_drop_stopwords_and_syntax():
    assert query_terms('The "deficit" AND social-security, the deficit!') == [
        "deficit",
        "social",
        "security",
    ]


def test_backend_get_by_name(db):
    assert isinstance(backend_get("local"), LocalBackend)


@pytest.mark.postgres
def test_postgres_uses_the_generated_tsvector(documents):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_document WHERE search_vector IS NOT NULL")
        assert cursor.fetchone()[0] == len(documents)
