"""Batch writes from the API: create from a JSON configuration, import statements, change status."""

from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from .. import importers
from ..models import AnswerField, Batch, Question, Questionnaire, Statement
from .statement_import import ImportSummary, statements_import, statements_parse

# Configuration keys copied onto the Batch as they are; the model's clean() and constraints check them.
BATCH_ATTRIBUTES = (
    "slug",
    "title",
    "description",
    "statements_per_hit",
    "judgments_per_statement",
    "composition",
    "quality_gates",
    "max_attempts",
    "retry_from",
    "time_limit_s",
    "justification",
    "justification_min_words",
    "show_context",
    "text_variant",
    "reward_cents",
    "currency",
    "platform_settings",
    "completion_url",
    "search_provider",
    "blocked_domains",
    "domain_match",
    "worker_blocklist",
)

# Allowed status changes; closed is final.
TRANSITIONS = {
    Batch.Status.DRAFT: {Batch.Status.LIVE, Batch.Status.CLOSED},
    Batch.Status.LIVE: {Batch.Status.PAUSED, Batch.Status.CLOSED},
    Batch.Status.PAUSED: {Batch.Status.LIVE, Batch.Status.CLOSED},
    Batch.Status.CLOSED: set(),
}


def _prefixed(exc: ValidationError, prefix: str) -> dict[str, list[str]]:
    """Return `exc`'s messages keyed by `prefix.field`, so an error names where it is in the config."""
    if hasattr(exc, "error_dict"):
        return {
            f"{prefix}.{name}" if name != "__all__" else prefix: messages
            for name, messages in exc.message_dict.items()
        }
    return {prefix: exc.messages}


def _clean(instance, errors: dict, prefix: str, exclude: list[str]) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        errors.update(_prefixed(exc, prefix))


def _statements_resolve(refs: list[dict], key: str, errors: dict) -> list[Statement]:
    wanted = {(ref["dataset"], ref["external_id"]) for ref in refs}
    found = {
        (s.dataset.name, s.external_id): s
        for s in Statement.objects.select_related("dataset").filter(
            external_id__in={external_id for _, external_id in wanted}
        )
        if (s.dataset.name, s.external_id) in wanted
    }
    statements = []
    for index, ref in enumerate(refs):
        statement = found.get((ref["dataset"], ref["external_id"]))
        if statement is None:
            errors[f"{key}[{index}]"] = [
                f"No statement {ref['external_id']!r} in dataset {ref['dataset']!r}."
            ]
        else:
            statements.append(statement)
    return statements


@transaction.atomic
def batch_create_from_config(*, owner: AbstractBaseUser, config: dict) -> Batch:
    """Create a draft batch owned by `owner` from a parsed configuration, all or nothing.

    `config` holds the Batch attributes in BATCH_ATTRIBUTES plus `fields`, `questionnaires`
    (each with `questions`), `statements` and `gold_statements` (dataset + external_id
    references) and `excluded_batches` (slugs); list order gives positions. Raises ValidationError
    whose keys name the offending entry, e.g. ``fields[1].scale``; nothing is written then.
    """
    errors: dict[str, list[str]] = {}
    batch = Batch(owner=owner, **{k: config[k] for k in BATCH_ATTRIBUTES if k in config})
    _clean(batch, errors, "batch", exclude=["owner"])
    for name in list(errors):
        errors[name.removeprefix("batch.")] = errors.pop(name)
    statements = _statements_resolve(config.get("statements", []), "statements", errors)
    gold = _statements_resolve(config.get("gold_statements", []), "gold_statements", errors)
    for index, statement in enumerate(gold):
        if not statement.is_gold:
            errors[f"gold_statements[{index}]"] = [f"{statement.external_id!r} is not gold."]
    excluded_slugs = config.get("excluded_batches", [])
    excluded = list(Batch.objects.filter(slug__in=excluded_slugs))
    missing = sorted(set(excluded_slugs) - {b.slug for b in excluded})
    if missing:
        errors["excluded_batches"] = [f"No batch {slug!r}." for slug in missing]
    fields = [
        AnswerField(batch=batch, position=position, **entry)
        for position, entry in enumerate(config.get("fields", []))
    ]
    gold_fields = [f.slug for f in fields if f.is_gold_field]
    if len(gold_fields) > 1:
        errors["fields"] = [f"Only one field may be the gold field, not {', '.join(gold_fields)}."]
    _duplicates(errors, "fields", [f.slug for f in fields])
    for index, field in enumerate(fields):
        _clean(field, errors, f"fields[{index}]", exclude=["batch"])
    questionnaires = []
    for index, entry in enumerate(config.get("questionnaires", [])):
        entry = dict(entry)
        questions = entry.pop("questions", [])
        questionnaire = Questionnaire(batch=batch, position=index, **entry)
        _clean(questionnaire, errors, f"questionnaires[{index}]", exclude=["batch"])
        _duplicates(errors, f"questionnaires[{index}].questions", [q["slug"] for q in questions])
        built = []
        for q_index, item in enumerate(questions):
            question = Question(questionnaire=questionnaire, position=q_index, **item)
            prefix = f"questionnaires[{index}].questions[{q_index}]"
            _clean(question, errors, prefix, exclude=["questionnaire"])
            built.append(question)
        questionnaires.append((questionnaire, built))
    _duplicates(errors, "questionnaires", [q.slug for q, _ in questionnaires])
    if errors:
        raise ValidationError(errors)
    batch.save()
    batch.statements.set(statements)
    batch.gold_statements.set(gold)
    batch.excluded_batches.set(excluded)
    for field in fields:
        field.batch = batch
    AnswerField.objects.bulk_create(fields)
    for questionnaire, questions in questionnaires:
        questionnaire.batch = batch
        questionnaire.save()
        for question in questions:
            question.questionnaire = questionnaire
        Question.objects.bulk_create(questions)
    return batch


def _duplicates(errors: dict, key: str, slugs: list[str]) -> None:
    repeated = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    if repeated:
        errors[key] = [f"Slugs listed twice: {', '.join(repeated)}."]


@transaction.atomic
def batch_status_change(*, batch: Batch, status: str) -> Batch:
    """Move `batch` to `status` along TRANSITIONS; going live needs answer fields and statements.

    Locks the batch row while checking. Raises ValidationError naming `status` otherwise.
    """
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if status not in TRANSITIONS.get(batch.status, set()):
        allowed = (
            ", ".join(sorted(TRANSITIONS.get(batch.status, set()))) or "none (closed is final)"
        )
        raise ValidationError(
            {"status": f"A {batch.status} batch cannot become {status}; allowed: {allowed}."}
        )
    if status == Batch.Status.LIVE:
        if not batch.fields.exists():
            raise ValidationError({"status": "A batch needs answer fields before it goes live."})
        if not batch.statements.exists():
            raise ValidationError({"status": "A batch needs statements before it goes live."})
    batch.status = status
    batch.full_clean()
    batch.save(update_fields=["status", "updated_at"])
    return batch


@transaction.atomic
def batch_statements_import(
    *,
    batch: Batch,
    rows: list[importers.StatementRow],
    scale: tuple[str, ...] | None = None,
    skip_known_liar_ids: bool = False,
) -> tuple[ImportSummary, int]:
    """Import `rows` as statements and add them to `batch` (gold ones to its gold set).

    Only draft or paused batches take new statements. Returns the import summary and how many
    statements were added to the batch. Raises ValidationError (every bad row named); nothing is
    written then.
    """
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if batch.status not in (Batch.Status.DRAFT, Batch.Status.PAUSED):
        raise ValidationError({"status": f"A {batch.status} batch takes no new statements."})
    summary = statements_import(rows=rows, scale=scale, skip_known_liar_ids=skip_known_liar_ids)
    skipped = set(summary.skipped)
    keys = {(row.dataset, row.external_id) for row in rows if row.external_id not in skipped}
    imported = [
        s
        for s in Statement.objects.select_related("dataset").filter(
            external_id__in={external_id for _, external_id in keys}
        )
        if (s.dataset.name, s.external_id) in keys
    ]
    batch.statements.add(*(s for s in imported if not s.is_gold))
    batch.gold_statements.add(*(s for s in imported if s.is_gold))
    return summary, len(imported)


def batch_statements_import_file(
    *,
    batch: Batch,
    path: Path,
    fmt: str | None = None,
    dataset: str | None = None,
    mapping: dict[str, str] | None = None,
    scale: tuple[str, ...] | None = None,
) -> tuple[ImportSummary, int]:
    """Parse the statement file at `path` (as import_statements does) and import it into `batch`.

    Raises ValidationError listing every bad row; nothing is written then.
    """
    fmt = fmt or importers.detect_format(path)
    parsed = statements_parse(path=path, fmt=fmt, dataset=dataset, mapping=mapping, scale=scale)
    if parsed.errors:
        raise ValidationError([str(error) for error in parsed.errors])
    return batch_statements_import(
        batch=batch, rows=parsed.rows, scale=scale, skip_known_liar_ids=fmt == "liar-plus"
    )
