"""Shared fixtures: the study data, factories, and the real-services switch."""

import os

import pytest
from django.db import connection

# CI sets this so that a test that needs PostgreSQL, Redis or Chromium fails instead of skipping.
REQUIRE_SERVICES = os.environ.get("TRUTHCROWD_REQUIRE_SERVICES") == "1"


def pytest_collection_modifyitems(config, items):
    on_postgres = "postgres" in os.environ.get("DATABASE_URL", "")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            if REQUIRE_SERVICES:
                raise pytest.UsageError(
                    f"{item.nodeid} needs PostgreSQL but DATABASE_URL does not point at it"
                )
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"
