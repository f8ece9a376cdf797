"""Synthetic crowd judgments for the analysis tests: workers rate statements near their truth."""

import numpy as np
from django.utils import timezone

from assessments import models
from tests import factories

FIELD_SLUGS = ("overall-truthfulness", "confidence", "correctness")


def study_batch(*, fields=FIELD_SLUGS):
    """Return a batch with 5-point fields (the first is the gold-check field)."""
    batch = factories.BatchFactory()
    for position, slug in enumerate(fields):
        factories.AnswerFieldFactory(
            batch=batch, slug=slug, position=position, is_gold_field=position == 0
        )
    return batch


def statements(dataset: str, per_level: int):
    """Return `per_level` statements for each level of `dataset`'s expert scale."""
    ds = factories.DatasetFactory(name=dataset)
    created = []
    for level in ds.levels.order_by("ordinal"):
        for i in range(per_level):
            created.append(
                factories.StatementFactory(
                    dataset=ds, expert_level=level, external_id=f"{dataset}-{level.ordinal}-{i}"
                )
            )
    return created


def gold_statements():
    high = factories.GoldStatementFactory(external_id="HIGH", gold_truth="high")
    low = factories.GoldStatementFactory(external_id="LOW", gold_truth="low")
    return [high, low]


def complete_assignment(batch, worker, items, rng, *, status="passed", noise=1.0, number=1):
    """Create a completed assignment whose attempt judged `items` (statements) in order.

    Each value is the statement's truth on the 5-point scale plus noise, rounded and clipped;
    gold HIGH/LOW get +2/-2 plus noise.
    """
    assignment, _ = models.Assignment.objects.get_or_create(
        batch=batch,
        worker=worker,
        defaults={"status": "completed", "completed_at": timezone.now()},
    )
    attempt = models.Attempt.objects.create(assignment=assignment, number=number, status=status)
    fields = list(batch.fields.order_by("position"))
    values = []
    for position, statement in enumerate(items):
        judgment = models.Judgment.objects.create(
            attempt=attempt,
            statement=statement,
            position=position,
            time_on_page_s=float(rng.integers(5, 120)),
        )
        if statement.is_gold:
            centre = 2.0 if statement.gold_truth == "high" else -2.0
        else:
            n_levels = statement.dataset.levels.count()
            centre = -2 + 4 * statement.expert_level.ordinal / (n_levels - 1)
        for field in fields:
            value = int(np.clip(np.rint(centre + rng.normal(0, noise)), -2, 2))
            values.append(models.JudgmentValue(judgment=judgment, field=field, value=value))
    models.JudgmentValue.objects.bulk_create(values)
    return assignment


def populate(batch, *, n_workers=12, seed=0, per_level=2):
    """Fill `batch` with PolitiFact and ABC statements, gold, and `n_workers` workers each
    judging a random half of the statements plus both gold statements."""
    rng = np.random.default_rng(seed)
    pool = statements("politifact", per_level) + statements("abc", per_level)
    gold = gold_statements()
    assignments = []
    for _ in range(n_workers):
        worker = factories.WorkerFactory()
        chosen = list(rng.choice(len(pool), size=len(pool) // 2, replace=False))
        items = [pool[i] for i in chosen] + gold
        rng.shuffle(items)
        assignments.append(complete_assignment(batch, worker, items, rng))
    return pool, gold, assignments


def truth_only_batch(*, n_workers: int, seed: int, **options):
    """A small batch judged on overall truthfulness alone, with fast analysis options."""
    batch = study_batch(fields=("overall-truthfulness",))
    populate(batch, n_workers=n_workers, seed=seed, per_level=1)
    models.BatchAnalysis.objects.create(
        batch=batch,
        options={"bootstrap_samples": 10, "latent_methods": [], "prediction": False, **options},
    )
    return batch
