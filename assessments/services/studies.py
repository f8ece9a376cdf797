"""Ready-made studies: the IPM 2021 batch built from the study's released configuration files."""

import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from .. import importers
from ..models import AnswerField, Batch, Question, Questionnaire, Statement
from .statement_import import statements_import

IPM2021_DIR = Path(settings.BASE_DIR) / "data" / "ipm2021"

# Gate thresholds from task_config/task.json (time_check_amount: 2) and gold_statements.csv
# (overall_truthfulness(HIGH) > overall_truthfulness(LOW)); the study ran them in the browser,
# truthcrowd runs them on the server.
IPM2021_GATES = [
    {"name": "completeness"},
    {"name": "minimum_time", "options": {"seconds": 2, "pages": ["statement", "questionnaire"]}},
    {
        "name": "gold_ordering",
        "options": {
            "field": "overall_truthfulness",
            "higher": "HIGH",
            "lower": "LOW",
            "strict": True,
        },
    },
    {"name": "evidence_from_serp", "options": {"field": "overall_truthfulness"}},
]

# study.md section 4: per design, 6 PolitiFact statements (one per level, 3 DEM + 3 REP, one doc
# group), 3 ABC statements (one per level) as one block at positions 0-2 or 8-10, 2 gold at random.
IPM2021_COMPOSITION = {
    "blocks": [
        {
            "dataset": "politifact",
            "per_level": 1,
            "same_group": True,
            "parties": {"DEM": 3, "REP": 3},
        },
        {"dataset": "abc", "per_level": 1, "contiguous": True, "placement": ["first", "last"]},
    ],
    "gold": {"statements": ["HIGH", "LOW"], "placement": "random"},
}

# CRT answer keys (study.md section 6): scored as a worker covariate, never a gate.
CRT_KEYS = {"farmers": "3", "marks": "9", "athletics": "4"}


def field_slug(name: str) -> str:
    """Turn a dimensions.json name ("speaker's-trustworthiness") into a slug (speakers_trustworthiness)."""
    return name.replace("'", "").replace("-", "_")


def _field_label(name: str) -> str:
    return name.replace("-", " ").capitalize()


def _load_json(name: str):
    return json.loads((IPM2021_DIR / name).read_text(encoding="utf-8"))


def _ipm2021_statements_ensure() -> None:
    for name in ("statements.csv", "gold_statements.csv"):
        parsed = importers.parse_study(IPM2021_DIR / name)
        if parsed.errors:
            raise ValidationError([str(error) for error in parsed.errors])
        statements_import(rows=parsed.rows)


def _fields_create(batch: Batch) -> None:
    for position, dimension in enumerate(_load_json("dimensions.json")):
        scale = [
            {"value": int(level["value"]), "label": level["label"]}
            for level in dimension["scale"]["mapping"]
        ]
        field = AnswerField(
            batch=batch,
            slug=field_slug(dimension["name"]),
            label=_field_label(dimension["name"]),
            description=dimension["description"],
            position=position,
            scale=scale,
            measurement=AnswerField.Measurement.INTERVAL,
            requires_evidence=bool(dimension.get("url")),
            is_gold_field=bool(dimension.get("gold_question_check")),
            separator_after=bool(dimension.get("style", {}).get("separator")),
        )
        field.full_clean()
        field.save()


def _questionnaires_create(batch: Batch) -> None:
    for position, entry in enumerate(_load_json("questionnaires.json")):
        is_crt = entry["type"] == "crt"
        first = entry["questions"][0]["name"]
        questionnaire = Questionnaire.objects.create(
            batch=batch,
            slug=f"crt-{first}" if is_crt else "demographics",
            title="A question" if is_crt else "About you",
            kind=Questionnaire.Kind.CRT if is_crt else Questionnaire.Kind.STANDARD,
            position=position,
        )
        for q_position, item in enumerate(entry["questions"]):
            question = Question(
                questionnaire=questionnaire,
                slug=item["name"],
                text=item["text"],
                answer_type=Question.AnswerType.CHOICE
                if item["answers"]
                else Question.AnswerType.NUMBER,
                choices=item["answers"],
                correct_answer=CRT_KEYS.get(item["name"], "") if is_crt else "",
                position=q_position,
            )
            question.full_clean()
            question.save()


@transaction.atomic
def study_create_ipm2021(*, owner: AbstractBaseUser, slug: str = "ipm2021") -> Batch:
    """Create the IPM 2021 batch as released (fields, questionnaires, gates, statements).

    Imports the study's statements first when they are missing. Raises ValidationError when a
    batch with `slug` exists already.
    """
    if Batch.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"A batch {slug!r} exists already."})
    _ipm2021_statements_ensure()
    task = _load_json("task_config/task.json")
    search_engine = _load_json("task_config/search_engine.json")
    batch = Batch(
        slug=slug,
        title="The Many Dimensions of Truthfulness (IPM 2021 replication)",
        description=(
            "Judge the truthfulness of short political statements on nine 5-point questions, "
            "using a search engine to find evidence. Soprano et al., IP&M 58(6), 2021."
        ),
        owner=owner,
        statements_per_hit=11,
        judgments_per_statement=10,
        composition=IPM2021_COMPOSITION,
        quality_gates=IPM2021_GATES,
        max_attempts=task["allowed_tries"],
        time_limit_s=3600,
        reward_cents=200,
        currency="USD",
        platform_settings={
            "mturk": {
                "assignment_duration_s": 3600,
                "auto_approval_delay_s": 86400,
                "lifetime_days": 15,
                "locale": "US",
            },
            "excluded_external_batches": task["other_batches"],
        },
        # The study dropped any result whose URL contains "politifact" or "abc": replicate it.
        blocked_domains=search_engine["domains_to_filter"],
        domain_match=Batch.DomainMatch.SUBSTRING,
    )
    batch.full_clean()
    batch.save()
    batch.statements.set(Statement.objects.filter(dataset__name__in=["politifact", "abc"]))
    batch.gold_statements.set(
        Statement.objects.filter(
            dataset__name=importers.GOLD_DATASET, external_id__in=["HIGH", "LOW"]
        )
    )
    _fields_create(batch)
    _questionnaires_create(batch)
    return batch


STUDIES = {"ipm2021": study_create_ipm2021}
