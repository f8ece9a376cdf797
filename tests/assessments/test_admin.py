"""The researcher admin: every model listed, researchers scoped to their batches, judgments read-only."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from assessments import models
from assessments.services.roles import researcher_group_sync, researcher_permission_codenames
from tests import factories

pytestmark = pytest.mark.django_db


def test_every_model_is_registered():
    from django.apps import apps

    registered = set(admin.site._registry)
    assert set(apps.get_app_config("assessments").get_models()) <= registered


def test_researcher_group_holds_exactly_the_researcher_permissions():
    group = researcher_group_sync()
    held = set(group.permissions.values_list("codename", flat=True))
    assert held == researcher_permission_codenames()
    assert {"view_judgment", "change_batch", "add_statement", "change_worker"} <= held
    assert not held & {"change_judgment", "delete_judgment", "add_judgment", "delete_assignment"}
    assert not Permission.objects.filter(group=group, content_type__app_label="auth").exists()


def test_every_changelist_opens_for_a_researcher(client, ipm2021_batch, researcher):
    judgment = factories.JudgmentFactory(attempt__assignment__batch=ipm2021_batch)
    judgment.values.create(field=ipm2021_batch.fields.first(), value=2)
    client.force_login(researcher)
    for model in admin.site._registry:
        if model._meta.app_label not in ("assessments", "search"):
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == 200, url


def test_researchers_see_only_their_own_or_shared_batches(client, researcher):
    mine = factories.BatchFactory(owner=researcher, slug="mine")
    shared = factories.BatchFactory(slug="shared")
    shared.shared_with.add(researcher)
    factories.BatchFactory(slug="theirs")
    factories.AssignmentFactory(batch=factories.BatchFactory(slug="other"))
    client.force_login(researcher)
    response = client.get(reverse("admin:assessments_batch_changelist"))
    shown = {batch.slug for batch in response.context["cl"].result_list}
    assert shown == {mine.slug, shared.slug}
    assignments = client.get(reverse("admin:assessments_assignment_changelist"))
    assert list(assignments.context["cl"].result_list) == []
    assert (
        client.get(reverse("admin:assessments_batch_change", args=[shared.pk + 1])).status_code
        == 302
    )


def test_judgments_are_read_only(client, researcher, ipm2021_batch):
    judgment = factories.JudgmentFactory(
        attempt__assignment__batch=ipm2021_batch, evidence_url="https://a.org"
    )
    client.force_login(researcher)
    url = reverse("admin:assessments_judgment_change", args=[judgment.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"evidence_url": "https://forged.example"})
    assert response.status_code == 403
    judgment.refresh_from_db()
    assert judgment.evidence_url == "https://a.org"
    assert (
        client.post(reverse("admin:assessments_judgment_delete", args=[judgment.pk])).status_code
        == 403
    )


def test_batch_page_shows_progress(client, researcher, ipm2021_batch):
    attempt = factories.AttemptFactory(assignment__batch=ipm2021_batch, status="passed")
    statements = list(ipm2021_batch.statements.all()[:3])
    for position, statement in enumerate(statements):
        factories.JudgmentFactory(attempt=attempt, statement=statement, position=position)
    failed = factories.AttemptFactory(assignment__batch=ipm2021_batch, status="failed")
    factories.JudgmentFactory(attempt=failed, statement=statements[0], position=0)
    client.force_login(researcher)
    response = client.get(reverse("admin:assessments_batch_change", args=[ipm2021_batch.pk]))
    assert "3 / 1800 (0%)" in response.content.decode()


def test_block_action_blocks_workers(client, researcher):
    worker = factories.WorkerFactory()
    client.force_login(researcher)
    response = client.post(
        reverse("admin:assessments_worker_changelist"),
        {"action": "block", "_selected_action": [worker.pk]},
    )
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.is_blocked is True
    assert models.Worker.objects.filter(is_blocked=True).count() == 1
