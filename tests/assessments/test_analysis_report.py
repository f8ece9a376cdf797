"""analysis_report SLUG --json [--recompute]: the stored results as JSON for other tools."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from assessments import models
from tests.assessments import analysis_data

pytestmark = pytest.mark.django_db

KEYS = {
    "batch",
    "n_judgments",
    "agreement",
    "crowd_vs_expert",
    "per_statement",
    "field_correlations",
    "by_position",
    "prediction",
}


def _run(*args):
    out = StringIO()
    call_command("analysis_report", *args, stdout=out)
    return json.loads(out.getvalue())


def test_report_prints_stored_results_and_recomputes_on_request():
    batch = analysis_data.study_batch()
    analysis_data.populate(batch, n_workers=6, seed=2, per_level=1)
    models.BatchAnalysis.objects.create(
        batch=batch,
        options={"bootstrap_samples": 100, "latent_methods": [], "prediction": False},
    )
    before = _run(batch.slug, "--json")
    assert set(before) >= KEYS
    assert before["per_statement"] == {} and before["is_stale"] is True

    report = _run(batch.slug, "--json", "--recompute")
    assert set(report) >= KEYS
    assert report["n_judgments"] == models.Judgment.objects.filter(statement__is_gold=False).count()
    statement = models.Statement.objects.get(external_id="politifact-3-0")
    values = models.JudgmentValue.objects.filter(
        judgment__statement=statement, field__slug="confidence"
    ).values_list("value", flat=True)
    entry = report["per_statement"]["politifact-3-0"]["confidence"]
    assert entry["n"] == len(values)
    assert entry["mean"] == pytest.approx(sum(values) / len(values))
    assert set(report["crowd_vs_expert"]["politifact"]["median"]["overall-truthfulness"]) >= {
        "pearson",
        "spearman",
        "kendall",
        "n",
    }
    assert set(report["by_position"]["0"]) == {"mae", "median_time_s", "n"}
    assert _run(batch.slug, "--json") == report  # stored, not recomputed


def test_unknown_batch_is_an_error():
    with pytest.raises(CommandError, match="no batch"):
        call_command("analysis_report", "missing", "--json")


def test_report_reads_a_fixed_number_of_queries(django_assert_num_queries):
    from assessments.selectors.analysis import analysis_report
    from assessments.services.analysis import batch_recompute

    batch = analysis_data.study_batch()
    analysis_data.populate(batch, n_workers=4, seed=3, per_level=1)
    models.BatchAnalysis.objects.create(
        batch=batch, options={"bootstrap_samples": 10, "latent_methods": [], "prediction": False}
    )
    batch_recompute(batch=batch)
    with django_assert_num_queries(4):
        report = analysis_report(batch=batch)
    assert len(report["per_statement"]) == 9


def test_phi_is_opt_in_stored_per_dataset_and_field_and_kept_for_later_recomputes():
    batch = analysis_data.truth_only_batch(n_workers=6, seed=2, phi_draws=200)
    plain = _run(batch.slug, "--json", "--recompute")
    assert "phi" not in plain["agreement"]["politifact"]["overall-truthfulness"]

    report = _run(batch.slug, "--json", "--phi")
    assert models.BatchAnalysis.objects.get(batch=batch).options["phi"] is True
    assert set(report["agreement"]) == {"politifact", "abc", "all"}
    for by_field in report["agreement"].values():
        entry = by_field["overall-truthfulness"]
        low, high = entry["phi_hdi95"]
        # Workers rate near each statement's truth: positive agreement (few statements, wide HDI).
        assert low <= entry["phi"] <= high <= 1
        assert entry["phi"] > 0
        assert entry["phi_r_hat"] == pytest.approx(1, abs=0.1)
    row = models.AgreementResult.objects.get(batch=batch, dataset="all")
    assert row.phi == report["agreement"]["all"]["overall-truthfulness"]["phi"]
    # Seeded: the plain recompute that follows keeps Phi on and reproduces it exactly.
    assert _run(batch.slug, "--json", "--recompute")["agreement"] == report["agreement"]


def test_bad_phi_options_are_refused_by_name():
    from django.core.exceptions import ValidationError

    from assessments.services.analysis import analysis_options

    analysis = models.BatchAnalysis(options={"phi": "yes", "phi_draws": 0})
    with pytest.raises(ValidationError) as raised:
        analysis_options(analysis=analysis)
    assert "phi must be true or false" in str(raised.value)
    assert "phi_draws must be a positive integer" in str(raised.value)


def test_phi_is_skipped_above_phi_max_judgments():
    batch = analysis_data.truth_only_batch(n_workers=4, seed=3, phi_max_judgments=5)
    report = _run(batch.slug, "--json", "--phi")
    assert report["n_judgments"] > 5
    entry = report["agreement"]["all"]["overall-truthfulness"]
    assert "phi" not in entry and entry["interval"] is not None
