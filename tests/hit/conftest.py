"""Fixtures for the worker's HIT: the IPM 2021 batch, live, with designs and slots."""

import pytest
from django.test import Client

from assessments.models import Batch, Question, Questionnaire
from assessments.services.hits import batch_designs_generate
from assessments.services.studies import study_create_ipm2021
from tests.factories import (
    GATES_WITHOUT_SEARCH,
    AnswerFieldFactory,
    BatchFactory,
    GoldStatementFactory,
    StatementFactory,
    UserFactory,
)

# The search app (branch `search`) supplies the SERP log the evidence gate reads; tests that are


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


@pytest.fixture
def small_batch(db):
    """A quick batch: 2 fields, one questionnaire, 4 statements + HIGH/LOW gold, 4 slots."""
    batch = BatchFactory(
        status=Batch.Status.LIVE,
        statements_per_hit=4,
        judgments_per_statement=2,
        quality_gates=[
            {"name": "completeness"},
            {
                "name": "gold_ordering",
                "options": {"field": "overall", "higher": "HIGH", "lower": "LOW"},
            },
        ],
    )
    AnswerFieldFactory(
        batch=batch, slug="overall", position=0, requires_evidence=True, is_gold_field=True
    )
    AnswerFieldFactory(batch=batch, slug="confidence", position=1)
    questionnaire = Questionnaire.objects.create(batch=batch, slug="about", position=0)
    Question.objects.create(
        questionnaire=questionnaire,
        slug="age",
        text="Age?",
        answer_type="choice",
        choices=["young", "old"],
        position=0,
    )
    batch.statements.set(StatementFactory.create_batch(4))
    batch.gold_statements.set(
        [
            GoldStatementFactory(external_id="HIGH", gold_truth="high"),
            GoldStatementFactory(external_id="LOW", gold_truth="low"),
        ]
    )
    batch_designs_generate(batch=batch, seed=1)
    return batch
