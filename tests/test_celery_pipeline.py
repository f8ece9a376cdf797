"""The real pipeline: a task sent through Redis runs in a separate `celery worker` process."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from assessments.models import WorkerHeartbeat
from assessments.tasks import worker_heartbeat_task
from truthcrowd.celery import app

ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def celery_worker_process():
    """Start `celery worker` on a private queue against the test database; stop it afterwards."""
    name = f"pipeline-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "truthcrowd.settings.base",
        "DATABASE_URL": _database_url(),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "truthcrowd",
            "worker",
            "--pool",
            "solo",
            "--hostname",
            f"{name}@%h",
            "--queues",
            name,
            "--without-mingle",
            "--without-gossip",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield name, process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_task_sent_through_redis_is_executed_by_a_real_worker(celery_worker_process):
    queue, process = celery_worker_process
    app.conf.task_always_eager = False
    try:
        assert app.conf.broker_url.startswith("redis://")
        worker_heartbeat_task.apply_async(queue=queue)
        deadline = time.monotonic() + 90
        heartbeat = None
        while heartbeat is None and time.monotonic() < deadline and process.poll() is None:
            heartbeat = WorkerHeartbeat.objects.filter(hostname__startswith=f"{queue}@").first()
            time.sleep(0.25)
    finally:
        app.conf.task_always_eager = True
    if heartbeat is None:
        process.terminate()
        pytest.fail(
            f"the worker never ran the task; its log:\n{process.communicate(timeout=20)[0]}"
        )
    assert heartbeat.beats == 1
    assert heartbeat.hostname.startswith(f"{queue}@")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_recompute_with_phi_runs_in_a_real_worker_and_stores_phi(celery_worker_process):
    # The Celery path of the opt-in Phi agreement: the worker process imports PyMC, fits the
    # model and stores it with the other agreement results.
    from assessments.models import AgreementResult
    from assessments.services.analysis import analysis_phi_enable
    from assessments.tasks import batch_recompute_task
    from tests.assessments.analysis_data import truth_only_batch

    queue, process = celery_worker_process
    batch = truth_only_batch(n_workers=6, seed=2, phi_draws=200)
    analysis_phi_enable(batch=batch)
    app.conf.task_always_eager = False
    try:
        batch_recompute_task.apply_async(args=[batch.pk], queue=queue)
        deadline = time.monotonic() + 240
        stored = None
        while stored is None and time.monotonic() < deadline and process.poll() is None:
            stored = AgreementResult.objects.filter(
                batch=batch, dataset="all", phi__isnull=False
            ).first()
            time.sleep(0.5)
    finally:
        app.conf.task_always_eager = True
    if stored is None:
        process.terminate()
        pytest.fail(f"no Phi was stored; the worker's log:\n{process.communicate(timeout=20)[0]}")
    assert stored.phi_hdi_low <= stored.phi <= stored.phi_hdi_high <= 1
    assert stored.phi > 0  # workers rate near each statement's truth
    assert stored.phi_r_hat == pytest.approx(1, abs=0.1)
