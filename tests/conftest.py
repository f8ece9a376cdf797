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

_NEEDS = {
    "postgres": (ON_POSTGRES, "needs PostgreSQL (set DATABASE_URL)"),
    # A Celery worker process must share the database with the test: PostgreSQL, not in-memory SQLite.
    "services": (
        ON_POSTGRES and HAS_REDIS,
        "needs PostgreSQL and Redis (set DATABASE_URL, REDIS_URL)",
    ),
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
