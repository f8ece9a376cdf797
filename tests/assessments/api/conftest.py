"""Researcher API fixtures: users in every role, their clients, and a batch with judgments."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from assessments import models
from assessments.hit_tokens import assignment_token_make
from assessments.pseudonyms import worker_pseudonym
from assessments.services.accounts import researcher_account_ensure
from search.filters import url_host, url_normalise
from search.models import EvidenceSelection, ResultClick, SearchQuery, SearchResult
from tests import factories


def judged_batch(
    owner, *, workers: int = 3, statements: int = 4, fields: int = 2, slug: str | None = None
) -> models.Batch:
    """Build a batch whose workers each judged every statement once (attempt 1, passed).

    Also adds one gold statement, a CRT answer, a page-view event and a search log per worker
    (search_logs), and stored analysis results (analysed). Rows are bulk-created so that large
    batches stay quick to build.
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
    if assignments:
        search_logs(batch, assignments, pool[0])
        analysed(batch, answer_fields, judged, workers)
    return batch


def search_logs(batch, assignments, statement) -> None:
    """Each worker searched once and was shown two results, opened the first and chose it as
    evidence; the first worker's second search failed."""
    queries = SearchQuery.objects.bulk_create(
        [
            SearchQuery(
                assignment=assignment,
                statement=statement,
                text="did taxes go up",
                provider="local",
                latency_ms=12.5,
                has_next=True,
            )
            for assignment in assignments
        ]
        + [
            SearchQuery(
                assignment=assignments[0],
                statement=statement,
                text="taxes 2010",
                provider="local",
                latency_ms=3.0,
                status=SearchQuery.Status.FAILED,
                error="provider down",
            )
        ]
    )
    shown = [
        (1, f"https://news.example.com/{batch.slug}/taxes", "Taxes rose", "They rose."),
        (2, "https://blog.example.net/taxes", "Taxes fell?", "A blog."),
    ]
    SearchResult.objects.bulk_create(
        SearchResult(
            query=query,
            rank=rank,
            url=url,
            url_key=url_normalise(url),
            title=title,
            snippet=snippet,
            domain=url_host(url),
        )
        for query in queries
        if query.status == SearchQuery.Status.OK
        for rank, url, title, snippet in shown
    )
    first = shown[0][1]
    ResultClick.objects.bulk_create(
        ResultClick(assignment=a, statement=statement, query=q, rank=1, url=first)
        for a, q in zip(assignments, queries, strict=False)
    )
    EvidenceSelection.objects.bulk_create(
        EvidenceSelection(
            assignment=a,
            statement=statement,
            url=first,
            url_key=url_normalise(first),
            accepted=True,
        )
        for a in assignments
    )


def analysed(batch, answer_fields, statements, workers) -> None:
    """Stored analysis results as batch_recompute writes them (values as judged_batch's)."""
    models.BatchAnalysis.objects.create(
        batch=batch,
        is_stale=False,
        computed_at=timezone.now(),
        n_judgments=workers * len(statements),
        n_statements=len(statements),
        field_correlations={"dim_0": {"dim_1": 0.5}},
    )
    aggregates = []
    for position, statement in enumerate(statements):
        for i, field in enumerate(answer_fields):
            value = (position + i) % 5 - 2
            histogram = [workers if v == value else 0 for v in range(-2, 3)]
            aggregates.append(
                models.StatementAggregate(
                    batch=batch,
                    statement=statement,
                    field=field,
                    n=workers,
                    mean=value,
                    median=value,
                    sd=0.0 if workers > 1 else None,
                    histogram=histogram,
                    majority=value,
                    weighted_mean=value,
                    dawid_skene=value,
                )
            )
    models.StatementAggregate.objects.bulk_create(aggregates)
    models.AgreementResult.objects.bulk_create(
        models.AgreementResult(
            batch=batch,
            dataset="all",
            field=field,
            alpha_interval=0.8,
            alpha_ordinal=0.7,
            n_statements=len(statements),
            n_judgments=workers * len(statements),
        )
        for field in answer_fields
    )
    models.CrowdExpertResult.objects.bulk_create(
        models.CrowdExpertResult(
            batch=batch,
            dataset="politifact",
            aggregation="mean",
            field=field,
            n=len(statements) - 1,
            pearson=0.6,
            spearman=0.5,
            kendall=0.4,
        )
        for field in answer_fields
    )


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


def all_pages(client, url) -> list[dict]:
    """Return the rows of every page of a cursor-paginated list, following `next`."""
    rows = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        rows += response.json()["results"]
        url = response.json()["next"]
    return rows


def pseudonyms_of(batch) -> dict[str, models.Worker]:
    """Return {export pseudonym: worker} for the workers of `batch`."""
    return {
        worker_pseudonym(w.platform, w.platform_id, salt=settings.WORKER_ID_SALT): w
        for w in models.Worker.objects.filter(assignments__batch=batch)
    }
