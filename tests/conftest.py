"""Shared fixtures and the real-services switch."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IPM2021_DIR = ROOT / "data" / "ipm2021"

# CI sets this so that a test needing PostgreSQL or Redis fails loudly instead of skipping.
REQUIRE_SERVICES = os.environ.get("TRUTHCROWD_REQUIRE_SERVICES") == "1"
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql"))
HAS_REDIS = bool(os.environ.get("REDIS_URL"))
# Browser tests drive Debian's Chromium (installed by .ci/run), never a downloaded browser.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

_NEEDS = {
    "postgres": (ON_POSTGRES, "needs PostgreSQL (set DATABASE_URL)"),
    # A Celery worker process must share the database with the test: PostgreSQL, not in-memory SQLite.
    "services": (
        ON_POSTGRES and HAS_REDIS,
        "needs PostgreSQL and Redis (set DATABASE_URL, REDIS_URL)",
    ),
    "browser": (os.path.exists(CHROMIUM), f"needs Debian's Chromium at {CHROMIUM}"),
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        for marker, (available, reason) in _NEEDS.items():
            if item.get_closest_marker(marker) and not available:
                if REQUIRE_SERVICES:
                    raise pytest.UsageError(f"{item.nodeid} {reason}")
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def researcher(db):
    from assessments.services.accounts import researcher_account_ensure

    user, _ = researcher_account_ensure(username="alice")
    return user


@pytest.fixture
def ipm2021_batch(researcher):
    from assessments.services.studies import study_create_ipm2021

    return study_create_ipm2021(owner=researcher)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium under Playwright, one per test module."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM reads in browser tests are
    # plain synchronous checks, so let Django allow them (for these tests only).
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
