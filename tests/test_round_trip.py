"""The study data package round-trips: export -> import_judgments -> identical analysis."""

import csv
import io
import math
import zipfile

import pytest
from django.core.management import call_command

from assessments import models
from assessments.selectors.analysis import analysis_report
from assessments.services.analysis import batch_recompute
from assessments.services.hits import batch_designs_generate
from assessments.services.simulation import workers_simulate
from assessments.services.studies import study_create_ipm2021
from tests.factories import GATES_WITHOUT_SEARCH

pytestmark = pytest.mark.django_db

ANALYSIS_OPTIONS = {"bootstrap_samples": 50, "latent_methods": ["dawid_skene"], "folds": 3}
_RUN_SPECIFIC = {"batch", "computed_at", "is_stale"}


def _flatten(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            if not (path == () and key in _RUN_SPECIFIC):
                yield from _flatten(item, (*path, str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _flatten(item, (*path, str(index)))
    else:
        yield "/".join(path), value


def _same(left, right) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return (math.isnan(left) and math.isnan(right)) or math.isclose(left, right, rel_tol=1e-9)
    return left == right


def _batch(owner, slug):
    batch = study_create_ipm2021(owner=owner, slug=slug)
    batch.quality_gates = GATES_WITHOUT_SEARCH
    batch.save()
    models.BatchAnalysis.objects.create(batch=batch, options=ANALYSIS_OPTIONS)
    return batch


def test_package_judgments_reimport_to_identical_analysis(client, researcher, tmp_path):
    source = _batch(researcher, "pilot")
    source.status = models.Batch.Status.LIVE
    source.save()
    batch_designs_generate(batch=source, seed=4)
    # Careless workers fail gates and retry: the package must carry their tries faithfully.
    outcomes = workers_simulate(batch=source, workers=14, seed=7, careless_share=0.4)
    assert outcomes == {"passed": 14}
    batch_recompute(batch=source)
    original = analysis_report(batch=source)
    assert original["n_judgments"] > 0

    client.force_login(researcher)
    response = client.get(f"/api/batches/{source.pk}/package/?include_simulated=true")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    path = tmp_path / "judgments.csv"
    path.write_bytes(archive.read("judgments.csv"))
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert len({r["worker_id"] for r in rows}) == 14
    assert max(int(r["try_number"]) for r in rows) >= 2  # failed tries travel with the passed one

    copy = _batch(researcher, "pilot-copy")
    call_command("import_judgments", str(path), "--batch", copy.slug)
    batch_recompute(batch=copy)
    copied = analysis_report(batch=copy)

    expected, found = dict(_flatten(original)), dict(_flatten(copied))
    assert expected.keys() == found.keys()
    differing = [key for key in expected if not _same(expected[key], found[key])]
    assert differing == []


def test_exports_leave_simulated_workers_out_unless_asked(client, researcher):
    batch = _batch(researcher, "sim-only")
    batch.status = models.Batch.Status.LIVE
    batch.save()
    batch_designs_generate(batch=batch, seed=1)
    workers_simulate(batch=batch, workers=2, seed=1, careless_share=0.0)
    client.force_login(researcher)
    url = f"/api/batches/{batch.pk}/exports/workers/csv/"
    default = b"".join(client.get(url).streaming_content).decode().strip().splitlines()
    asked = b"".join(client.get(url + "?include_simulated=true").streaming_content).decode()
    assert len(default) == 1  # the header only
    assert len(asked.strip().splitlines()) == 3
