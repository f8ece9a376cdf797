"""bootstrap_demo: the study loaded and a researcher login printed, idempotently."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from assessments.models import Batch, Statement

pytestmark = pytest.mark.django_db


def _bootstrap() -> str:
    out = StringIO()
    call_command("bootstrap_demo", stdout=out)
    return out.getvalue()


def test_bootstrap_loads_the_study_and_prints_working_credentials():
    output = _bootstrap()
    password = re.search(r"password: (\S+)", output).group(1)
    user = authenticate(username="researcher", password=password)
    assert user is not None and user.is_staff and not user.is_superuser
    assert user.groups.filter(name="researchers").exists()
    assert Batch.objects.get(slug="ipm2021").owner == user
    assert Statement.objects.filter(is_gold=False).count() == 180
    assert "http://127.0.0.1:8000/admin/" in output


def test_bootstrap_runs_again_without_duplicating():
    _bootstrap()
    output = _bootstrap()
    assert Batch.objects.count() == 1
    assert Statement.objects.count() == 182
    password = re.search(r"password: (\S+)", output).group(1)
    assert authenticate(username="researcher", password=password) is not None
