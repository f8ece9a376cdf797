"""create_study ipm2021 builds the batch exactly as the study released it."""

import json

import pytest
from django.core.management import CommandError, call_command

from assessments.models import Batch
from tests.conftest import IPM2021_DIR

pytestmark = pytest.mark.django_db

IPM_SLUGS = [
    "overall_truthfulness",
    "confidence",
    "correctness",
    "neutrality",
    "comprehensibility",
    "precision",
    "completeness",
    "speakers_trustworthiness",
    "informativeness",
]


def test_fields_match_dimensions_json_exactly(ipm2021_batch):
    dimensions = json.loads((IPM2021_DIR / "dimensions.json").read_text())
    fields = list(ipm2021_batch.fields.order_by("position"))
    assert [f.slug for f in fields] == IPM_SLUGS
    assert [f.description for f in fields] == [d["description"] for d in dimensions]
    assert "reporting  mistaken" in fields[2].description  # the released double space is kept
    assert all(
        f.scale
        == [
            {"value": -2, "label": "Completely Disagree"},
            {"value": -1, "label": "Disagree"},
            {"value": 0, "label": "Neither Agree Nor Disagree"},
            {"value": 1, "label": "Agree"},
            {"value": 2, "label": "Completely Agree"},
        ]
        for f in fields
    )
    assert [f.slug for f in fields if f.requires_evidence] == ["overall_truthfulness"]
    assert [f.slug for f in fields if f.is_gold_field] == ["overall_truthfulness"]
    assert [f.slug for f in fields if f.separator_after] == ["confidence"]


def test_questionnaires_and_crt_keys(ipm2021_batch):
    pages = list(ipm2021_batch.questionnaires.order_by("position").prefetch_related("questions"))
    assert [(p.slug, p.kind) for p in pages] == [
        ("demographics", "standard"),
        ("crt-farmers", "crt"),
        ("crt-marks", "crt"),
        ("crt-athletics", "crt"),
    ]
    demographics = list(pages[0].questions.all())
    assert [q.slug for q in demographics] == [
        "age",
        "school",
        "taxes",
        "political_views",
        "consideration",
        "southern_border",
        "environment",
    ]
    assert all(q.answer_type == "choice" and q.correct_answer == "" for q in demographics)
    assert len(demographics[2].choices) == 9
    crt = [(q.slug, q.answer_type, q.correct_answer) for p in pages[1:] for q in p.questions.all()]
    assert crt == [
        ("farmers", "number", "3"),
        ("marks", "number", "9"),
        ("athletics", "number", "4"),
    ]


def test_batch_settings(ipm2021_batch):
    batch = ipm2021_batch
    assert (batch.slug, batch.status, batch.statements_per_hit, batch.judgments_per_statement) == (
        "ipm2021",
        "draft",
        11,
        10,
    )
    assert batch.max_attempts == 10
    assert [g["name"] for g in batch.quality_gates] == [
        "completeness",
        "minimum_time",
        "gold_ordering",
        "evidence_from_serp",
    ]
    assert batch.quality_gates[1]["options"]["seconds"] == 2
    assert batch.blocked_domains == ["politifact", "abc"]
    assert batch.domain_match == "substring"
    assert batch.reward_cents == 200
    datasets = batch.statements.values_list("dataset__name", flat=True)
    assert (len(datasets), list(datasets).count("politifact"), list(datasets).count("abc")) == (
        180,
        120,
        60,
    )
    assert sorted(batch.gold_statements.values_list("external_id", flat=True)) == ["HIGH", "LOW"]
    assert batch.composition["blocks"][0]["parties"] == {"DEM": 3, "REP": 3}


def test_create_study_command_refuses_a_second_batch(researcher):
    call_command("create_study", "ipm2021", "--owner", researcher.username)
    assert Batch.objects.filter(slug="ipm2021").exists()
    with pytest.raises(CommandError, match="exists already"):
        call_command("create_study", "ipm2021", "--owner", researcher.username)


def test_create_study_command_needs_an_existing_owner():
    with pytest.raises(CommandError, match="--owner"):
        call_command("create_study", "ipm2021", "--owner", "nobody")
