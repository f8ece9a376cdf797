"""Fixtures for search tests: a worker's assignment on a statement, a corpus, a stub provider."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache

from search.models import Document
from tests.factories import AssignmentFactory, BatchFactory, StatementFactory


@pytest.fixture(autouse=True)
def _index_dir(settings, tmp_path):
    settings.SEARCH_INDEX_DIR = str(tmp_path / "search-index")


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()  # answers and throttle counters must not leak between tests
    yield
    cache.clear()


@pytest.fixture
def statement(db):
    return StatementFactory(text="Social Security has not contributed to the deficit")


@pytest.fixture
def batch(db):
    return BatchFactory(blocked_domains=["politifact", "abc"], domain_match="domain")


@pytest.fixture
def assignment(batch, statement):
    return AssignmentFactory(batch=batch, statement_order=[statement.pk])


@pytest.fixture
def documents(db):
    rows = [
        (
            "https://ssa.example.gov/trust-fund",
            "Social Security trust fund report",
            "The trust fund is financed by payroll taxes and has not added to the federal deficit.",
            "ssa.example.gov",
            "",
        ),
        (
            "https://news.example.com/deficit",
            "What drives the federal deficit",
            "Analysts say Social Security and Medicare spending drive long-run deficit projections.",
            "news.example.com",
            "",
        ),
        (
            "https://www.politifact.com/factchecks/ss",
            "Social Security deficit claim checked",
            "Fact-checkers reviewed the Social Security deficit claim.",
            "politifact.com",
            "",
        ),
        (
            "https://data.example.org/liar#L5",
            "Ruling on the Social Security deficit claim",
            "Ruling sentences about Social Security and the deficit, hosted in a dataset.",
            "politifact.com",
            "liar:1.json",
        ),
        (
            "https://blog.example.net/own-ruling",
            "Social Security deficit: the ruling",
            "Reasoning about whether Social Security contributed to the deficit.",
            "blog.example.net",
            "liar:7159.json",
        ),
        (
            "https://garden.example.com/roses",
            "Growing roses",
            "Prune roses in early spring.",
            "garden.example.com",
            "",
        ),
    ]
    return [
        Document.objects.create(url=u, title=t, text=x, source=s, about=a) for u, t, x, s, a in rows
    ]


class StubProvider:
    """A local HTTP server answering with queued (status, body, delay) replies; records requests."""

    def __init__(self):
        self.replies = []
        self.requests = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                stub.requests.append(
                    {
                        "path": parts.path,
                        "params": parse_qs(parts.query),
                        "headers": dict(self.headers),
                    }
                )
                status, body, delay = stub.replies.pop(0) if stub.replies else (500, "{}", 0)
                if delay:
                    time.sleep(delay)
                payload = body if isinstance(body, bytes | str) else json.dumps(body)
                payload = payload.encode() if isinstance(payload, str) else payload
                try:
                    self.send_response(status)
                    if status in (301, 302):
                        self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def reply(self, body, status=200, delay=0.0):
        self.replies.append((status, body, delay))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub():
    server = StubProvider()
    yield server
    server.close()
