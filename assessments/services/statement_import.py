"""Statement import: upsert parsed rows, all or nothing, naming every bad row."""

from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from .. import importers, scales
from ..models import Dataset, ExpertLevel, Statement

# Attributes a re-import may change; (dataset, external_id) identifies a statement.
_UPDATABLE = (
    "text",
    "text_clean",
    "speaker",
    "year",
    "date",
    "context",
    "party",
    "group",
    "expert_level",
    "is_gold",
    "gold_truth",
    "source_url",
    "metadata",
)


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)

    def __str__(self):
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.skipped:
            text += f", {len(self.skipped)} skipped as already present in another dataset"
        return text


def statements_parse(
    *,
    path: Path,
    fmt: str | None = None,
    dataset: str | None = None,
    mapping: dict[str, str] | None = None,
    scale: tuple[str, ...] | None = None,
) -> importers.ParseResult:
    """Parse `path` in `fmt` (guessed when None); rows carry their dataset name."""
    fmt = fmt or importers.detect_format(path)
    if fmt == "study":
        result = importers.parse_study(path)
        if dataset:
            for row in result.rows:
                row.dataset = dataset
        return result
    if fmt == "liar-plus":
        return importers.parse_liar_plus(path, dataset or "liar-plus")
    if fmt in ("csv", "jsonl"):
        if not dataset:
            raise ValidationError({"dataset": "A generic csv/jsonl import needs --dataset NAME."})
        levels = scale or _existing_levels(dataset) or scales.KNOWN_EXPERT_SCALES.get(dataset)
        if not levels:
            raise ValidationError(
                {"scale": f"Dataset {dataset!r} has no expert scale: give its levels, low to high."}
            )
        return importers.parse_generic(path, fmt, dataset, tuple(levels), mapping or {})
    raise ValidationError({"format": f"{fmt!r} is not one of {', '.join(importers.FORMATS)}."})


def _existing_levels(dataset: str) -> tuple[str, ...]:
    return tuple(
        ExpertLevel.objects.filter(dataset__name=dataset)
        .order_by("ordinal")
        .values_list("label", flat=True)
    )


def _dataset_with_levels(name: str, scale: tuple[str, ...] | None) -> tuple[Dataset, dict]:
    dataset, _ = Dataset.objects.get_or_create(name=name, defaults={"title": name})
    levels = {level.label: level for level in dataset.levels.all()}
    if not levels and name != importers.GOLD_DATASET:
        labels = scale or scales.KNOWN_EXPERT_SCALES.get(name) or ()
        if name == "liar-plus" and not labels:
            labels = scales.POLITIFACT_LEVELS
        for ordinal, label in enumerate(labels):
            levels[label] = ExpertLevel.objects.create(
                dataset=dataset, ordinal=ordinal, label=label
            )
    return dataset, levels


@transaction.atomic
def statements_import(
    *,
    rows: list[importers.StatementRow],
    scale: tuple[str, ...] | None = None,
    skip_known_liar_ids: bool = False,
) -> ImportSummary:
    """Create or update `rows` as statements, all or nothing.

    Statements are identified by (dataset, external_id), so a second import updates instead of
    duplicating. With `skip_known_liar_ids`, rows whose LIAR id already belongs to a statement of
    another dataset (the study's PolitiFact statements are a LIAR sample) are skipped. Raises
    ValidationError listing every bad row; nothing is written then.
    """
    summary = ImportSummary()
    errors: list[importers.RowError] = []
    known_liar = {}
    if skip_known_liar_ids:
        known_liar = dict(
            Statement.objects.exclude(metadata__liar_id=None).values_list(
                "metadata__liar_id", "dataset__name"
            )
        )
    datasets = {}
    to_create, to_update = [], []
    existing = {}
    for name in sorted({row.dataset for row in rows}):
        datasets[name] = _dataset_with_levels(name, scale)
        existing.update(
            {(name, s.external_id): s for s in Statement.objects.filter(dataset=datasets[name][0])}
        )
    for row in rows:
        liar_id = row.metadata.get("liar_id")
        if liar_id and known_liar.get(liar_id) not in (None, row.dataset):
            summary.skipped.append(row.external_id)
            continue
        dataset, levels = datasets[row.dataset]
        level = None
        if row.expert_label:
            level = levels.get(row.expert_label)
            if level is None:
                errors.append(
                    importers.RowError(
                        row.row,
                        "expert_label",
                        f"{row.expert_label!r} is not a level of dataset {row.dataset!r}: "
                        f"{sorted(levels, key=lambda label: levels[label].ordinal)}",
                    )
                )
                continue
        values = {
            "text": row.text,
            "text_clean": row.text_clean,
            "speaker": row.speaker,
            "year": row.year,
            "date": row.date,
            "context": row.context,
            "party": row.party,
            "group": row.group,
            "expert_level": level,
            "is_gold": row.is_gold,
            "gold_truth": row.gold_truth,
            "source_url": row.source_url,
            "metadata": row.metadata,
        }
        statement = existing.get((row.dataset, row.external_id))
        if statement is None:
            statement = Statement(dataset=dataset, external_id=row.external_id, **values)
            to_create.append((row, statement))
        elif any(getattr(statement, name) != values[name] for name in _UPDATABLE):
            for name, value in values.items():
                setattr(statement, name, value)
            to_update.append((row, statement))
        else:
            summary.unchanged += 1
    for row, statement in to_create + to_update:
        try:
            statement.full_clean(exclude=["dataset", "expert_level"], validate_unique=False)
        except ValidationError as exc:
            for column, messages in exc.message_dict.items():
                errors.extend(importers.RowError(row.row, column, m) for m in messages)
    if errors:
        raise ValidationError([str(error) for error in sorted(errors, key=lambda e: e.row)])
    Statement.objects.bulk_create([statement for _, statement in to_create], batch_size=500)
    Statement.objects.bulk_update(
        [statement for _, statement in to_update], _UPDATABLE, batch_size=500
    )
    summary.created, summary.updated = len(to_create), len(to_update)
    return summary
