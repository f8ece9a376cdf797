"""A batch with judgments, stored analysis results and a dashboard snapshot."""

import numpy as np
import pytest
from django.utils import timezone

from assessments import models
from assessments.services.analysis import batch_recompute
from assessments.services.dashboard import dashboard_snapshot_refresh
from tests import factories
from tests.assessments import analysis_data


def populate_dashboard_batch(batch, *, n_workers=12, seed=0):
    """Fill `batch` with judged statements, a CRT item, searches and evidence; compute results."""
    pool, gold, assignments = analysis_data.populate(batch, n_workers=n_workers, seed=seed)
    batch.statements.set(pool)
    batch.gold_statements.set(gold)
    crt = models.Questionnaire.objects.create(batch=batch, slug="crt-1", kind="crt", position=0)
    question = models.Question.objects.create(
        questionnaire=crt,
        slug="bat",
        text="A bat...",
        answer_type="number",
        position=0,
        correct_answer="5",
    )
    rng = np.random.default_rng(seed)
    from search.models import SearchQuery

    for index, assignment in enumerate(assignments):
        attempt = assignment.attempts.get()
        attempt.submitted_at = timezone.now()
        attempt.save(update_fields=["submitted_at"])
        correct = bool(index % 3)
        models.QuestionnaireAnswer.objects.create(
            attempt=attempt, question=question, value="5" if correct else "10", is_correct=correct
        )
        for judgment in attempt.judgments.all()[:3]:
            judgment.evidence_url = f"https://www.source{int(rng.integers(0, 3))}.org/a"
            judgment.save(update_fields=["evidence_url"])
            SearchQuery.objects.create(
                assignment=assignment,
                statement=judgment.statement,
                text="query",
                provider="fake",
                latency_ms=5.0,
                blocked_count=int(rng.integers(0, 2)),
            )
    # Few bootstrap replicates, no latent models and no classifiers keep the fixture quick; the
    # analysis tests cover the full options.
    models.BatchAnalysis.objects.update_or_create(
        batch=batch,
        defaults={"options": {"bootstrap_samples": 20, "latent_methods": [], "folds": 0}},
    )
    batch_recompute(batch=batch)
    dashboard_snapshot_refresh(batch=batch)
    return pool, gold, assignments


@pytest.fixture
def dashboard_batch(researcher):
    batch = analysis_data.study_batch()
    batch.owner = researcher
    batch.status = models.Batch.Status.LIVE
    batch.save()
    populate_dashboard_batch(batch)
    return batch


@pytest.fixture
def other_researcher(db):
    from assessments.services.accounts import researcher_account_ensure

    user, _ = researcher_account_ensure(username="bob")
    return user


@pytest.fixture
def worker_user(db):
    """A logged-in account that is not staff (what a worker or participant could hold)."""
    return factories.UserFactory(username="participant", is_staff=False)
