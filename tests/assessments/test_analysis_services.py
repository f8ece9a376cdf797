"""Analysis services and tasks: stored results, incremental = full, idempotence, reconciliation."""

import krippendorff
import numpy as np
import pytest
from django.core.exceptions import ValidationError

from assessments import models, tasks
from assessments.selectors.analysis import analysis_pending, analysis_report
from assessments.services.analysis import assignment_aggregate, batch_recompute
from tests import factories
from tests.assessments import analysis_data

pytestmark = pytest.mark.django_db

DESCRIPTIVE = ("n", "mean", "median", "sd", "histogram", "majority", "weighted_mean")


def _fast(batch, **options):
    models.BatchAnalysis.objects.update_or_create(
        batch=batch,
        defaults={
            "options": {"bootstrap_samples": 200, "latent_methods": [], "prediction": False}
            | options
        },
    )


def _aggregates(batch, columns=DESCRIPTIVE):
    return {
        (row["statement_id"], row["field_id"]): tuple(row[c] for c in columns)
        for row in models.StatementAggregate.objects.filter(batch=batch).values(
            "statement_id", "field_id", *columns
        )
    }


def _results(batch):
    report = analysis_report(batch=batch)
    report.pop("computed_at")
    return report


@pytest.fixture
def batch():
    batch = analysis_data.study_batch()
    analysis_data.populate(batch, n_workers=10, seed=4)
    return batch


def test_recompute_stores_every_section_and_the_report_has_the_contract_keys(batch):
    _fast(batch, latent_methods=["dawid_skene"], prediction=True)
    analysis = batch_recompute(batch=batch)
    report = analysis_report(batch=batch)
    for key in (
        "batch",
        "n_judgments",
        "agreement",
        "crowd_vs_expert",
        "per_statement",
        "field_correlations",
        "by_position",
        "prediction",
    ):
        assert key in report
    assert report["batch"] == batch.slug
    # 10 workers x (half of 18 statements) -> 90 non-gold judgments; gold are left out.
    assert report["n_judgments"] == analysis.n_judgments == 90
    assert "HIGH" not in report["per_statement"]
    assert set(report["agreement"]) == {"politifact", "abc", "all"}
    entry = report["agreement"]["politifact"]["overall-truthfulness"]
    assert set(entry) >= {"interval", "ordinal", "interval_ci95"}
    assert entry["interval_ci95"][0] <= entry["interval"] <= entry["interval_ci95"][1]
    cve = report["crowd_vs_expert"]["abc"]["mean"]["overall-truthfulness"]
    assert set(cve) >= {"pearson", "spearman", "kendall", "n"}
    assert cve["n"] == 6
    assert set(report["crowd_vs_expert"]["politifact"]) >= {
        "mean",
        "median",
        "majority",
        "weighted_mean",
        "dawid_skene",
    }
    assert set(report["field_correlations"]["pearson"]) == set(analysis_data.FIELD_SLUGS)
    assert set(report["by_position"]) <= {str(p) for p in range(11)}
    assert {"baseline", "random_forest", "svc"} <= set(report["prediction"])
    assert analysis.is_stale is False


def test_stored_alpha_equals_krippendorff_on_the_dense_worker_matrix(batch):
    _fast(batch)
    batch_recompute(batch=batch)
    field = batch.fields.get(slug="overall-truthfulness")
    statements = list(models.Statement.objects.filter(dataset__name="politifact"))
    workers = list(models.Worker.objects.filter(assignments__batch=batch))
    dense = np.full((len(workers), len(statements)), np.nan)
    for value in models.JudgmentValue.objects.filter(
        field=field, judgment__statement__in=statements
    ).select_related("judgment__attempt__assignment", "judgment"):
        row = workers.index(value.judgment.attempt.assignment.worker)
        dense[row, statements.index(value.judgment.statement)] = value.value
    stored = models.AgreementResult.objects.get(batch=batch, dataset="politifact", field=field)
    for level, alpha in (("interval", stored.alpha_interval), ("ordinal", stored.alpha_ordinal)):
        expected = krippendorff.alpha(
            reliability_data=dense, value_domain=[-2, -1, 0, 1, 2], level_of_measurement=level
        )
        assert alpha == pytest.approx(expected, abs=1e-12)


def test_stored_means_equal_the_judgments(batch):
    _fast(batch)
    batch_recompute(batch=batch)
    row = models.StatementAggregate.objects.filter(batch=batch).first()
    values = list(
        models.JudgmentValue.objects.filter(
            field=row.field, judgment__statement=row.statement
        ).values_list("value", flat=True)
    )
    assert row.n == len(values)
    assert row.mean == pytest.approx(np.mean(values))
    assert row.median == np.median(values)


def test_running_the_recompute_twice_changes_nothing(batch):
    _fast(batch, latent_methods=["dawid_skene"], prediction=True)
    batch_recompute(batch=batch)
    first = (_aggregates(batch, (*DESCRIPTIVE, "dawid_skene")), _results(batch))
    tasks.batch_recompute_task(batch.pk)
    assert (_aggregates(batch, (*DESCRIPTIVE, "dawid_skene")), _results(batch)) == first


def test_incremental_update_equals_a_full_recompute(batch):
    _fast(batch)
    batch_recompute(batch=batch)
    rng = np.random.default_rng(9)
    pool = list(models.Statement.objects.filter(is_gold=False)[:6])
    gold = list(models.Statement.objects.filter(is_gold=True))
    assignment = analysis_data.complete_assignment(
        batch, factories.WorkerFactory(), pool + gold, rng
    )
    assignment_aggregate(assignment=assignment)
    assert models.BatchAnalysis.objects.get(batch=batch).is_stale
    incremental = _aggregates(batch)
    tasks.assignment_aggregate_task(assignment.pk)  # twice: nothing changes
    assert _aggregates(batch) == incremental
    batch_recompute(batch=batch)
    assert _aggregates(batch) == incremental
    assert not models.BatchAnalysis.objects.get(batch=batch).is_stale


def test_failed_attempts_and_gold_are_excluded_unless_configured(batch):
    _fast(batch)
    rng = np.random.default_rng(1)
    statement = models.Statement.objects.filter(is_gold=False).first()
    analysis_data.complete_assignment(
        batch, factories.WorkerFactory(), [statement], rng, status="failed"
    )
    batch_recompute(batch=batch)
    before = models.StatementAggregate.objects.filter(batch=batch, statement=statement).first()
    _fast(batch, attempt_statuses=["passed", "failed"], include_gold=True)
    batch_recompute(batch=batch)
    after = models.StatementAggregate.objects.filter(batch=batch, statement=statement).first()
    assert after.n == before.n + 1
    assert models.StatementAggregate.objects.filter(
        batch=batch, statement__external_id="HIGH"
    ).exists()


def test_bad_options_are_rejected(batch):
    _fast(batch, latent_methods=["magic"], bootstrap_samples=-1)
    with pytest.raises(ValidationError) as excinfo:
        batch_recompute(batch=batch)
    assert len(excinfo.value.message_dict["options"]) == 2


def test_reconcile_finds_missed_assignments_and_stale_batches(batch, monkeypatch):
    _fast(batch)
    pending, stale = analysis_pending()
    assert len(pending) == 10 and stale == [batch.pk]  # never computed counts as stale
    batch_recompute(batch=batch)
    assert analysis_pending() == ([], [])
    rng = np.random.default_rng(2)
    missed = analysis_data.complete_assignment(
        batch, factories.WorkerFactory(), list(models.Statement.objects.all()[:3]), rng
    )
    assert analysis_pending() == ([missed.pk], [])
    sent = []
    monkeypatch.setattr(tasks.assignment_aggregate_task, "delay", lambda pk: sent.append(pk))
    monkeypatch.setattr(tasks.batch_recompute_task, "delay", lambda pk: sent.append(("b", pk)))
    tasks.analysis_reconcile_task()
    assert sent == [missed.pk]
    tasks.assignment_aggregate_task(missed.pk)
    assert analysis_pending() == ([], [batch.pk])


def test_tasks_ignore_ids_that_no_longer_exist():
    tasks.assignment_aggregate_task(987654)
    tasks.batch_recompute_task(987654)
    assert not models.BatchAnalysis.objects.exists()


def test_an_empty_batch_recomputes_to_empty_results():
    batch = analysis_data.study_batch()
    analysis = batch_recompute(batch=batch)
    assert analysis.n_judgments == 0
    assert analysis_report(batch=batch)["per_statement"] == {}


def test_celery_settings_schedule_the_reconciler(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["analysis-reconcile"]
    assert entry["task"] == "assessments.tasks.analysis_reconcile_task"
    assert tasks.assignment_aggregate_task.name == "assessments.tasks.assignment_aggregate_task"


def test_fixed_width_histogram_json_parses_back_to_the_counts():
    import json

    from assessments.services.analysis import _json_int_arrays

    counts = np.array([[0, 3, 10, 0, 127], [5, 0, 0, 0, 0]])
    text = _json_int_arrays(counts)
    assert [json.loads(bytes(row)) for row in text] == counts.tolist()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_serialise_and_give_one_result():
    import threading

    from django.db import connection

    batch = analysis_data.study_batch()
    _, _, assignments = analysis_data.populate(batch, n_workers=8, seed=6)
    _fast(batch)
    batch_recompute(batch=batch)
    expected = _aggregates(batch)
    errors = []

    def run(work):
        try:
            work()
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(lambda: tasks.batch_recompute_task(batch.pk),)),
        threading.Thread(target=run, args=(lambda: tasks.batch_recompute_task(batch.pk),)),
        threading.Thread(
            target=run, args=(lambda: tasks.assignment_aggregate_task(assignments[0].pk),)
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _aggregates(batch) == expected
    assert models.AgreementResult.objects.filter(batch=batch).count() == 3 * 3


def test_latent_estimates_are_skipped_above_the_size_limit(batch):
    _fast(batch, latent_methods=["dawid_skene"], latent_max_judgments=10)
    batch_recompute(batch=batch)
    assert not models.StatementAggregate.objects.filter(dawid_skene__isnull=False).exists()
    assert not models.CrowdExpertResult.objects.filter(aggregation="dawid_skene").exists()
    _fast(batch, latent_methods=["dawid_skene"])
    batch_recompute(batch=batch)
    assert not models.StatementAggregate.objects.filter(dawid_skene__isnull=True).exists()


def test_an_assignment_with_only_excluded_judgments_leaves_no_rows(batch):
    _fast(batch)
    rng = np.random.default_rng(4)
    abc = models.Dataset.objects.get(name="abc")
    statement = models.Statement.objects.create(
        dataset=abc, external_id="fresh", text="t", expert_level=abc.levels.first()
    )
    assignment = analysis_data.complete_assignment(
        batch, factories.WorkerFactory(), [statement], rng, status="failed"
    )
    assert assignment_aggregate(assignment=assignment) == [statement.pk]
    assert not models.StatementAggregate.objects.filter(statement=statement).exists()
    assert models.AssignmentAggregation.objects.filter(assignment=assignment).exists()


ALL_COLUMNS = (*DESCRIPTIVE, "dawid_skene", "glad", "mace")


def _per_statement(batch):
    """The batch's aggregate rows as the writers get them, with undefined sds and latent values."""
    from assessments import aggregation
    from assessments.selectors import analysis as selectors
    from assessments.selectors import analysis_frames as frames

    fields, specs, truth = selectors.analysis_fields(batch=batch)
    frame = frames.judgment_frame(batch=batch, fields=fields, attempt_statuses=["passed"])
    statements = frames.statement_frame(statement_ids=set(frame["statement"]))
    weights = aggregation.gold_weights(frame, statements, truth)
    per_statement = aggregation.statement_aggregates(frame, specs, weights)
    per_statement.loc[per_statement.index[::7], "sd"] = np.nan
    per_statement["dawid_skene"] = np.where(per_statement.index % 3 == 0, np.nan, 0.5)
    return per_statement, {f.slug: f.pk for f in fields}


@pytest.mark.postgres  # the writer under test is PostgreSQL's
def test_copy_writer_stores_what_the_orm_writer_stores(batch):
    from assessments.services import analysis as services

    per_statement, field_ids = _per_statement(batch)
    assert per_statement["sd"].isna().any() and len(per_statement) > 20
    services.StatementAggregate.objects.bulk_create(
        services._aggregate_row(batch, record, field_ids)
        for record in services._records(per_statement)
    )
    by_orm = _aggregates(batch, ALL_COLUMNS)
    models.StatementAggregate.objects.all().delete()
    # Small chunks: rows cross several chunks and null/width groups.
    services._aggregates_copy(batch, per_statement, field_ids, chunk_rows=7)
    assert _aggregates(batch, ALL_COLUMNS) == by_orm
    assert len(by_orm) == len(per_statement)


@pytest.mark.postgres  # the writer under test is PostgreSQL's
def test_array_upsert_writes_what_the_orm_upsert_writes(batch):
    from assessments.services import analysis as services

    per_statement, field_ids = _per_statement(batch)
    statements = sorted(per_statement["statement"].unique())
    touched = statements[:4]
    # The update: new values for the first three statements' rows except one field; the fourth
    # statement has no rows left, so its stored rows must go.
    update = per_statement[per_statement["statement"].isin(touched[:3])].copy()
    update = update[update["field"] != update["field"].iloc[0]]
    update["mean"] += 0.25
    update["count_0"] += 1
    results = []
    for writer in (services._aggregates_upsert_orm, services._aggregates_upsert_sql):
        models.StatementAggregate.objects.all().delete()
        services._aggregates_copy(batch, per_statement, field_ids)
        writer(batch, update, field_ids, touched)
        results.append(_aggregates(batch, ALL_COLUMNS))
    assert results[0] == results[1]
    stored = results[1]
    untouched = per_statement[~per_statement["statement"].isin(touched)]
    assert len(stored) == len(untouched) + len(update)
    assert not any(statement == touched[3] for statement, _ in stored)
    row = update.iloc[0]
    key = (int(row["statement"]), field_ids[row["field"]])
    mean, dawid_skene = stored[key][DESCRIPTIVE.index("mean")], stored[key][-3]
    assert mean == pytest.approx(row["mean"])
    # Latent columns are batch-wide models: an upsert leaves the stored value.
    assert dawid_skene == (None if np.isnan(row["dawid_skene"]) else row["dawid_skene"])


def test_judges_of_selects_every_judgment_of_the_statements_judges(batch):
    from assessments.selectors import analysis as selectors
    from assessments.selectors import analysis_frames as frames

    fields, _, _ = selectors.analysis_fields(batch=batch)
    statuses = ["passed"]
    everything = frames.judgment_frame(batch=batch, fields=fields, attempt_statuses=statuses)
    touched = sorted(everything["statement"].unique())[:2]
    judges = everything.loc[everything["statement"].isin(touched), "worker"].unique()
    expected = everything[everything["worker"].isin(judges)].reset_index(drop=True)
    assert 0 < len(expected) < len(everything)
    frame = frames.judgment_frame(
        batch=batch, fields=fields, attempt_statuses=statuses, judges_of=touched
    )
    assert frame.equals(expected)
    by_statement = frames.judgment_frame(
        batch=batch, fields=fields, attempt_statuses=statuses, statement_ids=touched
    )
    assert set(by_statement["statement"]) == set(touched)


def test_aggregate_rows_go_with_their_statement_and_field_without_a_database_constraint(batch):
    # The keys carry no database constraint (bulk writes skip row-by-row checks); Django's
    # on_delete must still remove the rows.
    abc = models.Dataset.objects.get(name="abc")
    statement = models.Statement.objects.create(dataset=abc, external_id="gone", text="t")
    field = models.AnswerField.objects.create(
        batch=batch, slug="gone", label="gone", position=99, scale=[{"value": 0, "label": "x"}]
    )
    row = {"n": 1, "mean": 0, "median": 0, "histogram": [1], "majority": 0, "weighted_mean": 0}
    kept = batch.fields.exclude(pk=field.pk).first()
    models.StatementAggregate.objects.create(batch=batch, statement=statement, field=kept, **row)
    other = models.Statement.objects.filter(dataset=abc).exclude(pk=statement.pk).first()
    models.StatementAggregate.objects.create(batch=batch, statement=other, field=field, **row)
    statement.delete()
    field.delete()
    assert not models.StatementAggregate.objects.exists()
