"""Fixtures for the worker's HIT: the IPM 2021 batch, live, with designs and slots."""

import pytest
from django.test import Client

from assessments.models import Batch
from assessments.services.hits import batch_designs_generate
from assessments.services.studies import study_create_ipm2021
from tests.factories import UserFactory

# The search app (branch `search`) supplies the SERP log the evidence gate reads; tests that are
# not about that gate run the study's other gates.
GATES_WITHOUT_SEARCH = [
    {"name": "completeness"},
    {"name": "minimum_time", "options": {"seconds": 2, "pages": ["statement", "questionnaire"]}},
    {
        "name": "gold_ordering",
        "options": {
            "field": "overall_truthfulness",
            "higher": "HIGH",
            "lower": "LOW",
            "strict": True,
        },
    },
]


@pytest.fixture
def ipm_batch(db):
    batch = study_create_ipm2021(owner=UserFactory())
    batch.quality_gates = GATES_WITHOUT_SEARCH
    batch.status = Batch.Status.LIVE
    batch.save()
    batch_designs_generate(batch=batch, seed=7)
    return batch


@pytest.fixture
def client():
    return Client()
