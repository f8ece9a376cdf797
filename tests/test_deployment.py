"""Deployment files agree with the settings: compose services, environment variables, README."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("truthcrowd", "assessments", "search")
_ENV_READ = re.compile(
    r"""(?:\benv(?:\.\w+)?\(\s*|os\.environ\.get\(\s*|os\.environ\[\s*|os\.getenv\(\s*)["']([A-Z][A-Z0-9_]+)["']"""
)
# Read by Django, Celery or the container images rather than by truthcrowd's own code.
_READ_ELSEWHERE = {"DJANGO_SETTINGS_MODULE"}


def _variables_read() -> set[str]:
    names = set()
    for directory in SOURCE_DIRS:
        for path in (ROOT / directory).rglob("*.py"):
            names |= set(_ENV_READ.findall(path.read_text(encoding="utf-8")))
    return names


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_services_with_healthchecks():
    services = _compose()["services"]
    assert set(services) == {"web", "worker", "beat", "postgres", "redis"}
    assert all("healthcheck" in service for service in services.values())
    assert "gunicorn truthcrowd.wsgi" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A truthcrowd worker")
    assert services["beat"]["command"].startswith("celery -A truthcrowd beat")
    assert {"postgres-data", "redis-data"} <= set(_compose()["volumes"])
    for app in ("web", "worker", "beat"):
        assert services[app]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_sets_only_variables_the_settings_read():
    read = _variables_read() | _READ_ELSEWHERE
    for name in ("web", "worker", "beat"):
        environment = _compose()["services"][name]["environment"]
        assert set(environment) <= read, set(environment) - read
        assert environment["DJANGO_SETTINGS_MODULE"] == "truthcrowd.settings.production"
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["REDIS_URL"].startswith("redis://redis:")


def test_every_variable_read_is_documented_in_readme_and_env_example():
    read = _variables_read() | _READ_ELSEWHERE
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    assert read >= {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "DJANGO_DEBUG"}
    assert {n for n in read if f"`{n}`" not in readme} == set()
    assert {n for n in read if not re.search(rf"^{n}=", example, re.M)} == set()


def test_dockerfile_runs_production_settings():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "DJANGO_SETTINGS_MODULE=truthcrowd.settings.production" in dockerfile
    assert "FROM python:3.11" in dockerfile
