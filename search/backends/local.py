"""BM25 index (bm25s) over the evidence corpus held in the database, cached per process and on disk.

Measured on this machine (docs/search.md): with 50,000 documents and the study's statements as
queries, SQLite FTS5 and PostgreSQL full-text search take hundreds of milliseconds per any-term
query, because they score every matching row; bm25s answers in about a millisecond from a sparse
matrix of precomputed scores.
"""

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.tokenization import Tokenizer
from django.conf import settings
from django.db.models import Subquery

from ..models import Document
from .base import BackendPage, SearchBackend, SearchHit

logger = logging.getLogger(__name__)

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"\w\w+")
SNIPPET_CHARS = 320


@dataclass(frozen=True)
class CorpusIndex:
    version: str
    document_ids: np.ndarray
    retriever: bm25s.BM25
    tokenizer: Tokenizer
    # Snowball stemmers are not thread-safe, and the tokenizer caches stems: one query at a time.
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False)


_lock = threading.Lock()
_current: CorpusIndex | None = None


_local = threading.local()


def _stemmer():
    # One stemmer per thread: Snowball stemmers are not thread-safe, and building one per call
    # costs more than the stemming of a snippet.
    if not hasattr(_local, "stemmer"):
        _local.stemmer = Stemmer.Stemmer("english")
    return _local.stemmer


def _tokenizer() -> Tokenizer:
    return Tokenizer(stemmer=Stemmer.Stemmer("english"), stopwords="en")


# The corpus fingerprint is MAX(id) and MAX(loaded_at), read as two ORDER BY ... LIMIT 1 lookups
# (each answered from an index; one query asking for both aggregates makes SQLite scan the table).
_LAST_LOADED = Subquery(Document.objects.order_by("-loaded_at").values("loaded_at")[:1])
_LAST_ID = Subquery(Document.objects.order_by("-id").values("id")[:1])


def _version_of(last_id, last_loaded) -> str:
    if last_id is None:
        return ""
    return hashlib.sha256(f"{last_id}|{last_loaded.isoformat()}".encode()).hexdigest()[:16]


def corpus_version() -> str:
    """Return a fingerprint of the corpus that changes when documents are added or changed."""
    row = Document.objects.order_by("-id").values_list("id").annotate(loaded=_LAST_LOADED).first()
    return _version_of(*row) if row else ""


def _index_dir() -> Path | None:
    folder = settings.SEARCH_INDEX_DIR
    return Path(folder) if folder else None


def _build(version: str) -> CorpusIndex:
    ids, texts = [], []
    for pk, title, text in Document.objects.order_by("id").values_list("id", "title", "text"):
        ids.append(pk)
        texts.append(f"{title}\n{text}")
    tokenizer = _tokenizer()
    tokens = tokenizer.tokenize(texts, update_vocab=True, return_as="ids", show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    return CorpusIndex(version, np.asarray(ids, dtype=np.int64), retriever, tokenizer)


def _save(index: CorpusIndex, folder: Path) -> None:
    # Write into a fresh directory and rename it into place: readers in other processes never
    # see half an index, and a concurrent writer of the same version simply loses the race.
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=folder))
    index.retriever.save(staging, show_progress=False)
    index.tokenizer.save_vocab(staging)
    np.save(staging / "document_ids.npy", index.document_ids)
    (staging / "version.json").write_text(json.dumps({"version": index.version}))
    try:
        os.rename(staging, folder / index.version)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        return
    for old in folder.iterdir():
        if old.name != index.version and not old.name.startswith(".building-"):
            shutil.rmtree(old, ignore_errors=True)


def _load(version: str, folder: Path) -> CorpusIndex | None:
    path = folder / version
    if not (path / "version.json").is_file():
        return None
    retriever = bm25s.BM25.load(path, mmap=True, show_progress=False)
    tokenizer = _tokenizer()
    tokenizer.load_vocab(path)
    ids = np.load(path / "document_ids.npy")
    return CorpusIndex(version, ids, retriever, tokenizer)


def corpus_index_get() -> CorpusIndex | None:
    """Return the index of the current corpus (None when it is empty), rebuilding it if stale.

    An index is kept per process; with SEARCH_INDEX_DIR set it is also saved there, so that other
    processes sharing that folder load it (memory-mapped) instead of rebuilding.
    """
    global _current
    version = corpus_version()
    if not version:
        return None
    index = _current
    if index is not None and index.version == version:
        return index
    with _lock:
        if _current is not None and _current.version == version:
            return _current
        folder = _index_dir()
        index = _load(version, folder) if folder else None
        if index is None:
            index = _build(version)
            logger.info("search index built: %d documents", len(index.document_ids))
            if folder:
                _save(index, folder)
        _current = index
        return index


def corpus_index_build() -> int:
    """Build (and save, with SEARCH_INDEX_DIR) the index of the current corpus; return its size."""
    index = corpus_index_get()
    return 0 if index is None else len(index.document_ids)


def snippet(text: str, query_stems: set[str]) -> str:
    """Return the sentences of `text` holding the most query terms (about 320 characters, in text
    order), or the start of the text when none holds one."""
    stemmer = _stemmer()
    text = " ".join(text.split())
    scored = []
    for position, sentence in enumerate(s for s in _SENTENCE.split(text) if s):
        hits = len(set(stemmer.stemWords(_WORD.findall(sentence.lower()))) & query_stems)
        if hits:
            scored.append((-hits, position, sentence))
    chosen, length = [], 0
    for _, position, sentence in sorted(scored):
        if length and length + len(sentence) > SNIPPET_CHARS:
            break
        chosen.append((position, sentence))
        length += len(sentence) + 3
    text = " … ".join(sentence for _, sentence in sorted(chosen)) or text
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1].rstrip() + "…"


class LocalBackend(SearchBackend):
    """Rank corpus documents by BM25 over title and text, with English stemming and stopwords.

    Any document sharing a term with the query can match; a worker pastes a whole statement, and
    documents sharing most of its rare words rank first.
    """

    name = "local"

    def search(self, query: str, *, page: int, page_size: int) -> BackendPage:
        # Optimistic freshness check: rank with the index this process holds and read the corpus
        # fingerprint in the same query as the page's documents; only if it changed, reload the
        # index and rank again. One database round trip per search instead of three.
        index = _current or corpus_index_get()
        for attempt in range(2):
            if index is None:
                return BackendPage()
            page_ids, has_next = _rank(index, query, page, page_size)
            documents, version = _documents_fetch(page_ids)
            if version is None:  # nothing fetched: read the fingerprint on its own
                version = corpus_version()
            if version == index.version or attempt:
                break
            index = corpus_index_get()
        stems = set(_stemmer().stemWords(_WORD.findall(query.lower())))
        hits = [
            SearchHit(
                url=doc.url,
                title=doc.title,
                snippet=snippet(doc.text, stems),
                source=doc.source,
                about=doc.about,
            )
            for doc in (documents.get(pk) for pk in page_ids)
            if doc is not None  # deleted since the index was built
        ]
        return BackendPage(hits=hits, has_next=has_next)


def _rank(index: CorpusIndex, query: str, page: int, page_size: int) -> tuple[list[int], bool]:
    """Return the document ids of one page of BM25 results, and whether a next page exists."""
    with index.lock:
        tokens = index.tokenizer.tokenize(
            [query], update_vocab=False, return_as="ids", show_progress=False
        )
    offset = (page - 1) * page_size
    k = min(offset + page_size + 1, len(index.document_ids))
    if k <= offset:
        return [], False
    positions, scores = index.retriever.retrieve(tokens, k=k, show_progress=False)
    ranked = [
        int(index.document_ids[p]) for p, s in zip(positions[0], scores[0], strict=True) if s > 0
    ]
    return ranked[offset : offset + page_size], len(ranked) > offset + page_size


def _documents_fetch(ids: list[int]) -> tuple[dict[int, Document], str | None]:
    """Return {id: Document} for `ids` and the corpus fingerprint read in the same query (None
    when no document was found)."""
    if not ids:
        return {}, None
    rows = list(
        Document.objects.filter(pk__in=ids)
        .only("url", "title", "text", "source", "about")
        .annotate(corpus_last_id=_LAST_ID, corpus_last_loaded=_LAST_LOADED)
    )
    if not rows:
        return {}, None
    return {d.pk: d for d in rows}, _version_of(rows[0].corpus_last_id, rows[0].corpus_last_loaded)
