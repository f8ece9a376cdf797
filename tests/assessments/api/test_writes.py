"""Writes through the API: batch creation from a configuration, status changes, statement import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments import models
from tests import factories

pytestmark = pytest.mark.django_db

SCALE = [{"value": 0, "label": "No"}, {"value": 1, "label": "Yes"}]


@pytest.fixture
def statements(db):
    dataset = factories.DatasetFactory(name="politifact")
    pool = [factories.StatementFactory(dataset=dataset, external_id=f"P{i}") for i in range(3)]
    gold = factories.GoldStatementFactory(external_id="HIGH")
    return pool, gold


def _config(**overrides):
    config = {
        "slug": "pilot",
        "title": "Pilot",
        "max_attempts": 3,
        "quality_gates": [{"name": "completeness"}],
        "fields": [
            {"slug": "truth", "label": "Truth", "scale": SCALE, "is_gold_field": True},
            {"slug": "confidence", "label": "Confidence", "scale": SCALE},
        ],
        "questionnaires": [
            {
                "slug": "crt",
                "kind": "crt",
                "questions": [
                    {"slug": "farmers", "text": "How many?", "answer_type": "number",
                     "correct_answer": "3"},
                ],
            }
        ],
        "statements": [{"dataset": "politifact", "external_id": f"P{i}"} for i in range(3)],
        "gold_statements": [{"dataset": "gold", "external_id": "HIGH"}],
    }  # fmt: skip
    config.update(overrides)
    return config


def test_create_batch_from_a_configuration(owner_client, owner, statements):
    response = owner_client.post("/api/batches/", _config(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["slug"], body["status"], body["owner"], body["max_attempts"]) == (
        "pilot", "draft", "owner", 3,
    )  # fmt: skip
    batch = models.Batch.objects.get(slug="pilot")
    assert batch.owner == owner
    assert list(batch.fields.values_list("slug", "position", "is_gold_field")) == [
        ("truth", 0, True),
        ("confidence", 1, False),
    ]
    assert batch.questionnaires.get().questions.get().correct_answer == "3"
    assert batch.statements.count() == 3 and batch.gold_statements.get().external_id == "HIGH"


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"fields": [{"slug": "truth", "label": "T", "scale": SCALE[::-1]}]}, "fields[0].scale"),
        ({"fields": [{"slug": "bad slug", "label": "T", "scale": SCALE}]}, "fields"),
        ({"statements": [{"dataset": "politifact", "external_id": "NOPE"}]}, "statements[0]"),
        ({"gold_statements": [{"dataset": "politifact", "external_id": "P0"}]}, "gold_statements[0]"),
        ({"time_limit_s": 10}, "time_limit_s"),
        ({"quality_gates": [{"name": "a"}, {"name": "a"}]}, "quality_gates"),
        ({"questionnaires": [{"slug": "q", "questions": [
            {"slug": "x", "text": "?", "answer_type": "choice", "choices": ["only one"]}]}]},
         "questionnaires[0].questions[0].choices"),
        ({"excluded_batches": ["ghost"]}, "excluded_batches"),
        ({"title": ""}, "title"),
    ],
)  # fmt: skip
def test_invalid_configuration_names_the_field_and_writes_nothing(
    owner_client, statements, overrides, key
):
    response = owner_client.post("/api/batches/", _config(**overrides), format="json")
    assert response.status_code == 400
    assert key in response.json(), response.json()
    assert not models.Batch.objects.exists()
    assert not models.AnswerField.objects.exists() and not models.Question.objects.exists()


def test_duplicate_slug_is_rejected(owner_client, batch):
    response = owner_client.post("/api/batches/", {"slug": "study", "title": "x"}, format="json")
    assert response.status_code == 400 and "slug" in response.json()


def test_status_walks_the_allowed_transitions_only(owner_client, batch):
    url = f"/api/batches/{batch.pk}/status/"
    assert owner_client.post(url, {"status": "live"}, format="json").json()["status"] == "live"
    refused = owner_client.post(url, {"status": "draft"}, format="json")
    assert refused.status_code == 400
    assert "cannot become draft" in refused.json()["status"][0]
    assert owner_client.post(url, {"status": "paused"}, format="json").status_code == 200
    assert owner_client.post(url, {"status": "closed"}, format="json").status_code == 200
    final = owner_client.post(url, {"status": "live"}, format="json")
    assert final.status_code == 400 and "closed is final" in final.json()["status"][0]
    assert owner_client.post(url, {"status": "bogus"}, format="json").status_code == 400
    batch.refresh_from_db()
    assert batch.status == "closed"


def test_a_batch_without_statements_cannot_go_live(owner_client, owner):
    empty = factories.BatchFactory(owner=owner)
    response = owner_client.post(
        f"/api/batches/{empty.pk}/status/", {"status": "live"}, format="json"
    )
    assert response.status_code == 400 and "answer fields" in response.json()["status"][0]


def test_import_statements_adds_them_to_the_batch(owner_client, batch):
    upload = SimpleUploadedFile(
        "more.csv",
        b"external_id,text,expert_label,speaker\nN1,Taxes rose,true,Ann\nN2,Crime fell,false,Bob\n",
    )
    response = owner_client.post(
        f"/api/batches/{batch.pk}/statements/", {"file": upload, "dataset": "politifact"}
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "created": 2, "updated": 0, "unchanged": 0, "skipped": [], "added_to_batch": 2,
    }  # fmt: skip
    assert set(batch.statements.values_list("external_id", flat=True)) >= {"N1", "N2"}
    assert batch.statements.get(external_id="N1").expert_level.label == "true"


def test_import_with_bad_rows_lists_them_and_writes_nothing(owner_client, batch):
    upload = SimpleUploadedFile(
        "bad.csv", b"external_id,text,expert_label\nN1,ok,true\nN2,,true\nN3,x,maybe\n"
    )
    response = owner_client.post(
        f"/api/batches/{batch.pk}/statements/", {"file": upload, "dataset": "politifact"}
    )
    assert response.status_code == 400
    errors = response.json()["non_field_errors"]
    assert any("row 3" in e and "text" in e for e in errors)
    assert any("row 4" in e and "maybe" in e for e in errors)
    assert not models.Statement.objects.filter(external_id__in=["N1", "N2", "N3"]).exists()


def test_a_live_batch_takes_no_new_statements(owner_client, batch):
    owner_client.post(f"/api/batches/{batch.pk}/status/", {"status": "live"}, format="json")
    upload = SimpleUploadedFile("x.csv", b"external_id,text,expert_label\nN1,ok,true\n")
    response = owner_client.post(
        f"/api/batches/{batch.pk}/statements/", {"file": upload, "dataset": "politifact"}
    )
    assert response.status_code == 400 and "status" in response.json()
    assert not models.Statement.objects.filter(external_id="N1").exists()


def test_nul_characters_in_json_settings_are_a_400(owner_client, statements):
    response = owner_client.post(
        "/api/batches/", _config(platform_settings={"a\x00": 1}), format="json"
    )
    assert response.status_code == 400 and "platform_settings" in response.json()
    assert not models.Batch.objects.exists()
