"""Researcher API fixtures: users in every role, their clients, and a batch with judgments."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from assessments import models
from assessments.hit_tokens import assignment_token_make
from assessments.services.accounts import researcher_account_ensure
from tests import factories


def judged_batch(
    owner, *, workers: int = 3, statements: int = 4, fields: int = 2, slug: str | None = None
) -> models.Batch:
    """Build a batch whose workers each judged every statement once (attempt 1, passed).

    Also adds one gold statement, a CRT answer and a page-view event per worker. Rows are
    bulk-created so that large batches stay quick to build.
    """
    batch = factories.BatchFactory(owner=owner, **({"slug": slug} if slug else {}))
    answer_fields = [
        factories.AnswerFieldFactory(batch=batch, slug=f"dim_{i}", position=i, is_gold_field=i == 0)
        for i in range(fields)
    ]
    dataset = factories.DatasetFactory(name="politifact")
    pool = [
        factories.StatementFactory(dataset=dataset, external_id=f"{batch.slug}-S{i}")
        for i in range(statements)
    ]
    gold = factories.GoldStatementFactory(external_id=f"{batch.slug}-HIGH")
    batch.statements.set(pool)
    batch.gold_statements.set([gold])
    questionnaire = models.Questionnaire.objects.create(
        batch=batch, slug="crt", kind=models.Questionnaire.Kind.CRT, position=0
    )
    question = models.Question.objects.create(
        questionnaire=questionnaire,
        slug="farmers",
        text="How many?",
        answer_type=models.Question.AnswerType.NUMBER,
        correct_answer="3",
        position=0,
    )
    now = timezone.now()
    later = now + datetime.timedelta(hours=1)  # started_at is set on insert, after `now`
    worker_rows = models.Worker.objects.bulk_create(
        [
            models.Worker(platform="prolific", platform_id=f"{batch.slug}-P{w:06d}")
            for w in range(workers)
        ]
    )
    assignments = models.Assignment.objects.bulk_create(
        [
            models.Assignment(batch=batch, worker=worker, status="completed", completed_at=now)
            for worker in worker_rows
        ]
    )
    attempts = models.Attempt.objects.bulk_create(
        [
            models.Attempt(assignment=a, number=1, status="passed", submitted_at=later)
            for a in assignments
        ]
    )
    judged = [*pool, gold]
    judgments = models.Judgment.objects.bulk_create(
        [
            models.Judgment(
                attempt=attempt,
                statement=statement,
                position=position,
                evidence_url=f"https://example.org/{position}",
                justification="because",
                time_on_page_s=1.5 + position,
                answered_at=now,
            )
            for attempt in attempts
            for position, statement in enumerate(judged)
        ],
        batch_size=2000,
    )
    models.JudgmentValue.objects.bulk_create(
        [
            models.JudgmentValue(judgment=j, field=f, value=(j.position + i) % 5 - 2)
            for j in judgments
            for i, f in enumerate(answer_fields)
        ],
        batch_size=5000,
    )
    models.QuestionnaireAnswer.objects.bulk_create(
        [
            models.QuestionnaireAnswer(attempt=a, question=question, value="3", is_correct=True)
            for a in attempts
        ]
    )
    models.BehaviourEvent.objects.bulk_create(
        [
            models.BehaviourEvent(
                assignment=a.assignment,
                attempt=a,
                statement=pool[0],
                kind="page_view",
                payload={"page": 0},
                client_ts=now - datetime.timedelta(seconds=1),
            )
            for a in attempts
        ]
    )
    return batch


def client_for(user=None, *, token: str | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        key = Token.objects.get_or_create(user=user)[0].key
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    elif token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def owner(db):
    return researcher_account_ensure(username="owner")[0]


@pytest.fixture
def colleague(db):
    return researcher_account_ensure(username="colleague")[0]


@pytest.fixture
def stranger(db):
    return researcher_account_ensure(username="stranger")[0]


@pytest.fixture
def batch(owner, colleague):
    batch = judged_batch(owner, slug="study")
    batch.shared_with.add(colleague)
    return batch


@pytest.fixture
def owner_client(owner):
    return client_for(owner)


@pytest.fixture
def roles(owner, colleague, stranger, batch):
    """Clients for every role, keyed by role name."""
    plain = factories.UserFactory(username="plain", is_staff=False)
    superuser = factories.UserFactory(username="root", is_superuser=True)
    assignment = batch.assignments.first()
    return {
        "anonymous": APIClient(),
        "worker": client_for(token=assignment_token_make(assignment.pk)),
        "plain_user": client_for(plain),
        "stranger": client_for(stranger),
        "colleague": client_for(colleague),
        "owner": client_for(owner),
        "superuser": client_for(superuser),
    }
