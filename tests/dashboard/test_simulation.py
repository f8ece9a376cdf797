"""Simulated crowd: the noise model, and workers driven through the HIT services."""

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from assessments import models, simulation
from assessments.services.hits import batch_designs_generate
from assessments.services.studies import study_create_ipm2021
from tests.factories import GATES_WITHOUT_SEARCH


def test_centre_maps_expert_levels_and_gold_onto_the_scale():
    assert simulation.statement_centre(level=0, n_levels=6, gold_truth="") == -2.0
    assert simulation.statement_centre(level=5, n_levels=6, gold_truth="") == 2.0
    assert simulation.statement_centre(level=1, n_levels=3, gold_truth="") == 0.0
    assert simulation.statement_centre(level=None, n_levels=0, gold_truth="low") == -2.0


def test_careful_answers_track_the_truth_and_careless_ones_do_not():
    rng = np.random.default_rng(0)
    careful = simulation.WorkerProfile(skill=0.4, bias=0.0, seconds_per_page=20, careless=False)
    careless = simulation.WorkerProfile(skill=0.4, bias=0.0, seconds_per_page=20, careless=True)
    fields = [("truth", [-2, -1, 0, 1, 2]), ("other", [-2, -1, 0, 1, 2])]
    good = [
        simulation.statement_answers(rng, careful, centre=2.0, fields=fields) for _ in range(200)
    ]
    bad = [
        simulation.statement_answers(rng, careless, centre=2.0, fields=fields) for _ in range(200)
    ]
    assert np.mean([a["truth"] for a in good]) > 1.5
    assert abs(np.mean([a["truth"] for a in bad])) < 0.5
    assert all(-2 <= a["other"] <= 2 for a in good + bad)
    assert simulation.page_seconds(rng, careless) < 2 <= simulation.page_seconds(rng, careful)


@pytest.fixture
def live_ipm_batch(researcher):
    batch = study_create_ipm2021(owner=researcher)
    batch.quality_gates = GATES_WITHOUT_SEARCH
    batch.status = models.Batch.Status.LIVE
    batch.save()
    batch_designs_generate(batch=batch, seed=1)
    models.BatchAnalysis.objects.create(
        batch=batch, options={"bootstrap_samples": 10, "latent_methods": [], "folds": 0}
    )
    return batch


def test_simulate_workers_fills_the_dashboard(live_ipm_batch, capsys):
    call_command("simulate_workers", live_ipm_batch.slug, "--workers", "6", "--seed", "3")
    assert "6 simulated workers" in capsys.readouterr().out
    assignments = models.Assignment.objects.filter(batch=live_ipm_batch)
    assert assignments.count() == 6
    assert set(assignments.values_list("worker__platform", flat=True)) == {"simulated"}
    completed = assignments.filter(status="completed")
    assert completed.exists()
    passed = models.Judgment.objects.filter(
        attempt__assignment__in=completed, attempt__status="passed"
    )
    assert passed.count() == 11 * completed.count()
    snapshot = models.DashboardSnapshot.objects.get(batch=live_ipm_batch)
    assert snapshot.progress["numbers"]["collected"] == 9 * completed.count()
    assert models.WorkerSummary.objects.filter(batch=live_ipm_batch).count() == 6
    steps = {s["step"]: s["n"] for s in snapshot.funnel["steps"]}
    assert steps["entered"] == steps["started (consented)"] == 6
    assert models.StatementAggregate.objects.filter(batch=live_ipm_batch).exists()


def test_simulate_workers_refuses_a_batch_that_is_not_live(live_ipm_batch):
    models.Batch.objects.filter(pk=live_ipm_batch.pk).update(status="draft")
    with pytest.raises(CommandError, match="live"):
        call_command("simulate_workers", live_ipm_batch.slug, "--workers", "1")
