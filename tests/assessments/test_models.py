"""Database constraints hold every invariant of the data model."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessments.models import AnswerField, Assignment, Attempt, Batch, Statement
from tests import factories

pytestmark = pytest.mark.django_db


def _violates(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_statement_ids_are_unique_per_dataset():
    statement = factories.StatementFactory(external_id="X1")
    _violates(lambda: factories.StatementFactory(external_id="X1", dataset=statement.dataset))
    other = factories.DatasetFactory(name="abc")
    assert factories.StatementFactory(external_id="X1", dataset=other).pk


def test_gold_truth_only_and_always_on_gold_statements():
    _violates(lambda: factories.StatementFactory(is_gold=True, gold_truth=""))
    _violates(lambda: factories.StatementFactory(is_gold=False, gold_truth="high"))


def test_expert_level_from_another_dataset_fails_validation():
    statement = factories.StatementFactory()
    abc = factories.DatasetFactory(name="abc")
    statement.expert_level = abc.levels.first()
    with pytest.raises(ValidationError) as excinfo:
        statement.full_clean()
    assert "expert_level" in excinfo.value.message_dict


@pytest.mark.parametrize(
    "field, value",
    [
        ("statements_per_hit", 0),
        ("judgments_per_statement", 0),
        ("max_attempts", 0),
        ("status", "gone"),
    ],
)
def test_batch_check_constraints(field, value):
    batch = factories.BatchFactory()
    _violates(lambda: Batch.objects.filter(pk=batch.pk).update(**{field: value}))


def test_batch_clean_names_the_bad_field():
    batch = factories.BatchFactory.build(
        owner=factories.UserFactory(),
        blocked_domains="politifact",
        quality_gates=[{"name": "gold_ordering"}, {"name": "gold_ordering"}],
    )
    with pytest.raises(ValidationError) as excinfo:
        batch.full_clean()
    assert set(excinfo.value.message_dict) >= {"blocked_domains", "quality_gates"}
    assert "gold_ordering" in excinfo.value.message_dict["quality_gates"][0]


def test_one_gold_field_and_unique_slugs_per_batch():
    field = factories.AnswerFieldFactory(slug="overall", is_gold_field=True)
    _violates(lambda: factories.AnswerFieldFactory(batch=field.batch, is_gold_field=True))
    _violates(lambda: factories.AnswerFieldFactory(batch=field.batch, slug="overall"))


def test_answer_field_scale_is_validated():
    field = factories.AnswerFieldFactory.build(
        batch=factories.BatchFactory(),
        scale=[{"value": 2, "label": "a"}, {"value": 1, "label": ""}],
    )
    with pytest.raises(ValidationError) as excinfo:
        field.full_clean()
    assert excinfo.value.message_dict["scale"] == [
        "level 1: label must be a non-empty string",
        "level values must be strictly increasing",
    ]


def test_a_worker_takes_part_in_a_batch_once():
    assignment = factories.AssignmentFactory()
    _violates(lambda: factories.AssignmentFactory(batch=assignment.batch, worker=assignment.worker))


def test_completed_assignment_needs_a_completion_time():
    assignment = factories.AssignmentFactory()
    _violates(
        lambda: Assignment.objects.filter(pk=assignment.pk).update(
            status="completed", completed_at=None
        )
    )
    Assignment.objects.filter(pk=assignment.pk).update(
        status="completed", completed_at=timezone.now()
    )


def test_attempt_numbers_start_at_one_and_are_unique():
    attempt = factories.AttemptFactory(number=1)
    _violates(lambda: factories.AttemptFactory(assignment=attempt.assignment, number=1))
    _violates(lambda: Attempt.objects.filter(pk=attempt.pk).update(number=0))


def test_one_judgment_per_statement_and_position_in_an_attempt():
    judgment = factories.JudgmentFactory(position=0)
    _violates(
        lambda: factories.JudgmentFactory(
            attempt=judgment.attempt, statement=judgment.statement, position=1
        )
    )
    _violates(lambda: factories.JudgmentFactory(attempt=judgment.attempt, position=0))
    assert factories.JudgmentFactory(attempt=judgment.attempt, position=1).pk


def test_one_value_per_field_in_a_judgment():
    judgment = factories.JudgmentFactory()
    field = factories.AnswerFieldFactory(batch=judgment.attempt.assignment.batch)
    judgment.values.create(field=field, value=1)
    _violates(lambda: judgment.values.create(field=field, value=2))


def test_statements_in_use_cannot_be_deleted():
    judgment = factories.JudgmentFactory()
    with pytest.raises(Exception) as excinfo, transaction.atomic():
        Statement.objects.filter(pk=judgment.statement_id).delete()
    assert type(excinfo.value).__name__ in {"ProtectedError", "RestrictedError"}


def test_answer_field_values_property():
    field = AnswerField(scale=[{"value": -1, "label": "no"}, {"value": 1, "label": "yes"}])
    assert field.scale_values == [-1, 1]
