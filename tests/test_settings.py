"""Environment -> settings: embedded defaults, PostgreSQL and Redis switches, production refusals."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_PROBE = (
    "import json, django; from django.conf import settings; django.setup(); print(json.dumps({"
    "'engine': settings.DATABASES['default']['ENGINE'], 'cache': settings.CACHES['default']['BACKEND'],"
    "'broker': settings.CELERY_BROKER_URL, 'eager': settings.CELERY_TASK_ALWAYS_EAGER,"
    "'debug': settings.DEBUG}))"
)
_SERVICE_VARS = (
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # browser tests set it; production never does
)


def _run(code: str, module: str = "truthcrowd.settings.base", **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in _SERVICE_VARS}
    environ.update(DJANGO_SETTINGS_MODULE=module, **env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _settings(**env) -> dict:
    result = _run(_PROBE, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_no_environment_means_sqlite_eager_celery_and_local_memory_cache():
    assert _settings() == {
        "engine": "django.db.backends.sqlite3",
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "broker": "memory://",
        "eager": True,
        "debug": True,
    }


def test_database_and_redis_urls_switch_to_the_production_path():
    found = _settings(DATABASE_URL="postgres://u:p@db:5432/x", REDIS_URL="redis://cache:6379/1")
    assert found == {
        "engine": "django.db.backends.postgresql",
        "cache": "django.core.cache.backends.redis.RedisCache",
        "broker": "redis://cache:6379/1",
        "eager": False,
        "debug": True,
    }


def test_production_refuses_the_development_secret_key():
    result = _run(_PROBE, module="truthcrowd.settings.production", DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_debug():
    result = _run(
        _PROBE,
        module="truthcrowd.settings.production",
        DJANGO_DEBUG="true",
        DJANGO_SECRET_KEY="x" * 60,
    )
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be off" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in _SERVICE_VARS},
            "DJANGO_SETTINGS_MODULE": "truthcrowd.settings.production",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "k3y-" + "Zq8#vT2!mW9@pL4$" * 4,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
