# truthcrowd production image: one image for web (gunicorn), Celery worker and Celery beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=truthcrowd.settings.production

# g++: pytensor (PyMC, used by the opt-in Phi agreement) compiles its models; without a compiler
# it falls back to a far slower pure-Python mode.
RUN apt-get update \
    && apt-get install -y --no-install-recommends g++ \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY truthcrowd ./truthcrowd
COPY assessments ./assessments
COPY search ./search
RUN pip install --no-cache-dir .
COPY . .

# collectstatic needs settings that import; these values exist only for this build step.
RUN DJANGO_SECRET_KEY=build-only-not-secret DJANGO_DEBUG=false \
    python manage.py collectstatic --no-input -v 0

RUN useradd --create-home --uid 10001 truthcrowd \
    && mkdir -p /var/lib/truthcrowd/search-index \
    && chown -R truthcrowd /var/lib/truthcrowd
USER truthcrowd
EXPOSE 8000
CMD ["gunicorn", "truthcrowd.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]
