"""Permission matrix: every endpoint for every role (anonymous, worker, plain user, researchers)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments import models
from assessments.exports import WRITERS
from assessments.selectors.exports import EXPORT_KINDS
from search.models import EvidenceSelection, ResultClick, SearchQuery

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "worker", "plain_user", "stranger", "colleague", "owner", "superuser"]


def _ids(batch):
    judgment = models.Judgment.objects.filter(attempt__assignment__batch=batch).first()
    return {
        "batch": batch.pk,
        "dataset": batch.statements.first().dataset_id,
        "statement": batch.statements.first().pk,
        "field": batch.fields.first().pk,
        "assignment": batch.assignments.first().pk,
        "judgment": judgment.pk,
        "answer": models.QuestionnaireAnswer.objects.filter(attempt__assignment__batch=batch)
        .first()
        .pk,
        "event": models.BehaviourEvent.objects.filter(assignment__batch=batch).first().pk,
        "search": SearchQuery.objects.filter(assignment__batch=batch).first().pk,
        "click": ResultClick.objects.filter(assignment__batch=batch).first().pk,
        "selection": EvidenceSelection.objects.filter(assignment__batch=batch).first().pk,
        "aggregate": batch.statement_aggregates.first().pk,
        "analysis": batch.analysis.pk,
        "agreement": batch.agreement_results.first().pk,
        "crowd_expert": batch.crowd_expert_results.first().pk,
    }


# (name, method, url template, kind): kind decides what each role should get.
ENDPOINTS = [
    ("root", "get", "/api/", "catalogue"),
    ("datasets", "get", "/api/datasets/", "catalogue"),
    ("dataset", "get", "/api/datasets/{dataset}/", "catalogue"),
    ("batches", "get", "/api/batches/", "list"),
    ("statements", "get", "/api/statements/", "list"),
    ("fields", "get", "/api/fields/", "list"),
    ("assignments", "get", "/api/assignments/", "list"),
    ("judgments", "get", "/api/judgments/", "list"),
    ("answers", "get", "/api/questionnaire-answers/", "list"),
    ("events", "get", "/api/behaviour-events/", "list"),
    ("search-queries", "get", "/api/search-queries/", "list"),
    ("search-clicks", "get", "/api/search-clicks/", "list"),
    ("evidence-selections", "get", "/api/evidence-selections/", "list"),
    ("aggregates", "get", "/api/aggregates/", "list"),
    ("analyses", "get", "/api/analyses/", "list"),
    ("agreement-results", "get", "/api/agreement-results/", "list"),
    ("crowd-expert-results", "get", "/api/crowd-expert-results/", "list"),
    ("batch", "get", "/api/batches/{batch}/", "detail"),
    ("statement", "get", "/api/statements/{statement}/", "detail"),
    ("field", "get", "/api/fields/{field}/", "detail"),
    ("assignment", "get", "/api/assignments/{assignment}/", "detail"),
    ("judgment", "get", "/api/judgments/{judgment}/", "detail"),
    ("answer", "get", "/api/questionnaire-answers/{answer}/", "detail"),
    ("event", "get", "/api/behaviour-events/{event}/", "detail"),
    ("search-query", "get", "/api/search-queries/{search}/", "detail"),
    ("search-click", "get", "/api/search-clicks/{click}/", "detail"),
    ("evidence-selection", "get", "/api/evidence-selections/{selection}/", "detail"),
    ("aggregate", "get", "/api/aggregates/{aggregate}/", "detail"),
    ("analysis", "get", "/api/analyses/{analysis}/", "detail"),
    ("agreement-result", "get", "/api/agreement-results/{agreement}/", "detail"),
    ("crowd-expert-result", "get", "/api/crowd-expert-results/{crowd_expert}/", "detail"),
    ("analysis-report", "get", "/api/batches/{batch}/analysis/", "detail"),
    *(
        (f"export-{kind}-{fmt}", "get", f"/api/batches/{{batch}}/exports/{kind}/{fmt}/", "detail")
        for kind in sorted(EXPORT_KINDS)
        for fmt in sorted(WRITERS)
    ),
    ("package", "get", "/api/batches/{batch}/package/", "detail"),
    ("create", "post", "/api/batches/", "create"),
    ("status", "post", "/api/batches/{batch}/status/", "write"),
    ("import", "post", "/api/batches/{batch}/statements/", "write"),
]


def _expected(role: str, kind: str) -> int:
    if role in ("anonymous", "worker"):
        return 401
    if role == "plain_user":
        return 403
    if kind == "create":
        return 201
    if role == "stranger" and kind in ("detail", "write"):
        return 404  # not shared: the batch's existence is not revealed
    if role == "colleague" and kind == "write":
        return 403  # shared read-only
    return 200


def _payload(name: str, role: str):
    if name == "create":
        return {"slug": f"new-{role.replace('_', '-')}", "title": "New"}, "json"
    if name == "status":
        return {"status": "live"}, "json"
    if name == "import":
        upload = SimpleUploadedFile(
            "new.csv", b"external_id,text,expert_label\nNEW1,Taxes went up,true\n", "text/csv"
        )
        return {"file": upload, "dataset": "politifact"}, "multipart"
    return None, None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "template", "kind"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS]
)
def test_permission_matrix(roles, batch, role, name, method, template, kind):
    client = roles[role]
    url = template.format(**_ids(batch))
    data, fmt = _payload(name, role)
    response = (
        getattr(client, method)(url, data, format=fmt) if data else getattr(client, method)(url)
    )
    expected = _expected(role, kind)
    assert response.status_code == expected, (role, name, response.status_code)
    if expected == 401:
        assert response["WWW-Authenticate"].startswith("Token")
    if role == "stranger" and kind == "list":
        assert response.json()["results"] == []


def test_every_registered_endpoint_is_in_the_matrix():
    from assessments.api.urls import router

    covered = {template.split("/")[2] for _, _, template, _ in ENDPOINTS if template != "/api/"}
    assert {prefix for prefix, _, _ in router.registry} <= covered
    assert set(EXPORT_KINDS) == {"judgments", "workers", "answers", "events", "search-logs",
                                 "aggregates"}  # fmt: skip


def test_a_user_removed_from_the_researchers_loses_access(client, batch):
    client.force_login(batch.owner)
    batch.owner.groups.clear()  # no longer a researcher
    assert client.get("/api/judgments/").status_code == 403


def test_session_login_works_for_researchers(client, owner, batch):
    client.force_login(owner)
    response = client.get("/api/batches/")
    assert response.status_code == 200
    assert [b["slug"] for b in response.json()["results"]] == ["study"]


def test_revoked_token_is_refused(owner, batch):
    from rest_framework.authtoken.models import Token

    from .conftest import client_for

    client = client_for(owner)
    assert client.get("/api/batches/").status_code == 200
    Token.objects.filter(user=owner).delete()
    assert client.get("/api/batches/").status_code == 401


def test_schema_and_docs_are_public_and_hold_no_data(client, batch):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/batches/{id}/exports/{kind}/{file_format}/" in schema.content
    assert b"study-P000000" not in schema.content
    assert b"study-S0" not in schema.content
    assert client.get("/api/docs/").status_code == 200
