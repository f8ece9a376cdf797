"""Full-text index over the loaded evidence corpus: PostgreSQL FTS or SQLite FTS5, ranked in SQL."""

import re

from django.db import connection

from .base import BackendPage, SearchBackend, SearchHit

# Tokens kept from a query: words and numbers only, so no user text reaches FTS query syntax.
_TOKEN = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 32
# English function words: matching them adds no relevance but makes an OR query rank almost the
# whole corpus. PostgreSQL drops its own list in websearch_to_tsquery; FTS5 has none, so the SQLite
# branch drops these.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves says said""".split()  # noqa: SIM905
)

_PG_SQL = """
WITH q AS (SELECT websearch_to_tsquery('english', %s) AS query),
top AS (
    SELECT d.id, ts_rank_cd(d.search_vector, q.query, 1) AS score
    FROM search_document d, q
    WHERE d.search_vector @@ q.query
    ORDER BY score DESC, d.id
    LIMIT %s OFFSET %s
)
SELECT d.url, d.title,
       ts_headline('english', d.text, q.query,
                   'StartSel="", StopSel="", MaxWords=40, MinWords=20, MaxFragments=2'),
       d.source, d.about
FROM top JOIN search_document d ON d.id = top.id, q
ORDER BY top.score DESC, top.id
"""

_SQLITE_SQL = """
SELECT d.url, d.title, snippet(search_document_fts, 1, '', '', '…', 40), d.source, d.about
FROM search_document_fts JOIN search_document d ON d.id = search_document_fts.rowid
WHERE search_document_fts MATCH %s
ORDER BY bm25(search_document_fts, 3.0, 1.0), d.id
LIMIT %s OFFSET %s
"""


def query_terms(query: str) -> list[str]:
    """Return the distinct lower-case terms of `query` worth matching, in order (at most 32)."""
    terms = []
    for token in _TOKEN.findall(query.lower()):
        if token not in STOPWORDS and token not in terms:
            terms.append(token)
    return terms[:MAX_TERMS]


class LocalBackend(SearchBackend):
    """Ranks corpus documents matching any query term (BM25 in FTS5, cover density in PostgreSQL).

    Any-term matching suits evidence search: a worker pastes a whole statement, and documents that
    share most of its rare words rank first.
    """

    name = "local"

    def search(self, query: str, *, page: int, page_size: int) -> BackendPage:
        terms = query_terms(query)
        if not terms:
            return BackendPage()
        offset = (page - 1) * page_size
        if connection.vendor == "postgresql":
            sql, params = _PG_SQL, [" or ".join(terms), page_size + 1, offset]
        else:
            match = " OR ".join(f'"{term}"' for term in terms)
            sql, params = _SQLITE_SQL, [match, page_size + 1, offset]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        hits = [
            SearchHit(url=url, title=title, snippet=snippet, source=source, about=about)
            for url, title, snippet, source, about in rows[:page_size]
        ]
        return BackendPage(hits=hits, has_next=len(rows) > page_size)
