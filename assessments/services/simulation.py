"""Simulated crowd: synthetic workers taking a batch's HIT through the worker-facing services."""

import datetime

import numpy as np
from django.core.exceptions import ValidationError
from django.utils import timezone

from .. import scales, simulation
from ..hit_selectors import assignment_pages, attempt_serves, batch_fields
from ..models import Assignment, Batch, EntryVisit, Question, Statement, Worker
from . import hits
from .entry_visits import entry_visit_record


def _questionnaire_answers(rng, profile, questions) -> dict[str, str]:
    answers = {}
    for question in questions:
        if question.answer_type == Question.AnswerType.CHOICE:
            answers[question.slug] = str(int(rng.integers(0, len(question.choices))))
        elif (
            question.correct_answer
            and not profile.careless
            and rng.random() < simulation.CRT_CORRECT
        ):
            answers[question.slug] = question.correct_answer
        elif question.answer_type == Question.AnswerType.NUMBER:
            answers[question.slug] = str(int(rng.integers(0, 100)))
        else:
            answers[question.slug] = "no idea"
    return answers


def _evidence(assignment, statement, profile, rng) -> str:
    """Search as the worker would (the statement's first words) and pick a result, if any."""
    from search.exceptions import SearchThrottled, SearchUnavailable
    from search.services import evidence_select_record, search_perform

    words = statement.text.split()[: 4 + int(rng.integers(0, 4))]
    try:
        results = search_perform(
            assignment=assignment, statement=statement, query=" ".join(words)
        ).results
    except (SearchThrottled, SearchUnavailable):
        return ""  # the worker goes on without evidence, as a person would
    if not results:
        return ""
    chosen = results[0 if profile.careless else int(rng.integers(0, min(3, len(results))))]
    try:
        evidence_select_record(assignment=assignment, statement=statement, url=chosen.url)
    except ValidationError:
        return ""
    return chosen.url


def _serve(assignment, page, now) -> None:
    """Serve a page as the HIT's page view does."""
    attempt = hits.assignment_open_check(assignment=assignment, now=now)
    hits.page_serve_record(
        attempt=attempt, page=page, served=page.key in attempt_serves(attempt), now=now
    )


def _walk(assignment, pages, profile, rng, now, *, first_try: bool):
    batch = assignment.batch
    fields = [(f.slug, scales.scale_values(f.scale)) for f in batch_fields(batch)]
    gold_first = sorted(fields, key=lambda f: f[0] != _truth_slug(batch))
    needs_evidence = batch.fields.filter(requires_evidence=True).exists()
    statements = {s.pk: s for s in Statement.objects.filter(pk__in=assignment.statement_order)}
    levels = {
        s.pk: (s.expert_level.ordinal if s.expert_level else None, s.dataset.levels.count())
        for s in statements.values()
        if not s.is_gold
    }
    number = assignment.attempts.order_by("-number").first().number
    for page in pages[:-1]:
        if not first_try and page.kind in ("instructions", "questionnaire"):
            continue  # carried over to the retry, as the HIT does
        _serve(assignment, page, now)
        now += datetime.timedelta(seconds=simulation.page_seconds(rng, profile))
        if page.kind == "instructions":
            hits.page_continue(assignment=assignment, attempt_number=number, page=page, now=now)
        elif page.kind == "questionnaire":
            questions = list(Question.objects.filter(questionnaire_id=page.questionnaire_id))
            hits.questionnaire_answers_save(
                assignment=assignment,
                attempt_number=number,
                page=page,
                answers=_questionnaire_answers(rng, profile, questions),
                now=now,
                complete=True,
            )
        else:
            statement = statements[page.statement_id]
            level, n_levels = levels.get(statement.pk, (None, 0))
            centre = simulation.statement_centre(
                level=level, n_levels=n_levels, gold_truth=statement.gold_truth
            )
            values = simulation.statement_answers(rng, profile, centre=centre, fields=gold_first)
            evidence = _evidence(assignment, statement, profile, rng) if needs_evidence else ""
            if needs_evidence and not evidence:
                evidence = f"https://evidence.invalid/{statement.pk}"
            hits.statement_answers_save(
                assignment=assignment,
                attempt_number=number,
                page=page,
                values={slug: str(v) for slug, v in values.items()},
                evidence_url=evidence,
                justification="",
                now=now,
                complete=True,
            )
    _serve(assignment, pages[-1], now)
    now += datetime.timedelta(seconds=2)
    outcome = hits.assignment_submit(
        assignment=assignment, attempt_number=number, comment="", now=now
    )
    return outcome, now


def _truth_slug(batch: Batch) -> str:
    gold = batch.fields.filter(is_gold_field=True).values_list("slug", flat=True).first()
    return gold or "overall-truthfulness"


def workers_simulate(*, batch: Batch, workers: int, seed: int, careless_share: float = 0.15):
    """Run `workers` synthetic workers through the batch's HIT; return a count per outcome.

    Each worker enters (platform SIMULATED, id `sim-<seed>-<n>`), answers the questionnaires and
    statements (searching for evidence when a field requires it) and submits, retrying after a
    failed gate while tries are left, exactly through the services the browser pages call. The
    clock is simulated, starting now. Raises ValidationError when the batch is not live.
    """
    if batch.status != Batch.Status.LIVE:
        raise ValidationError("The batch must be live for workers to enter it.")
    rng = np.random.default_rng(seed)
    counts: dict[str, int] = {}
    now = timezone.now()
    for index in range(workers):
        profile = simulation.worker_profile(rng, careless_share)
        platform_id = f"sim-{seed}-{index}"
        entry_visit_record(
            batch=batch,
            kind=EntryVisit.Kind.ENTRY,
            platform=Worker.Platform.SIMULATED,
            visitor_id=platform_id,
            now=now,
        )
        try:
            assignment = hits.assignment_start(
                batch=batch,
                platform=Worker.Platform.SIMULATED,
                platform_id=platform_id,
                platform_params={"simulated": True, "seed": seed},
                now=now,
            )
        except hits.HitRefused as refusal:
            counts[refusal.code] = counts.get(refusal.code, 0) + 1
            continue
        first_try = True
        while True:
            pages = assignment_pages(assignment)
            outcome, now = _walk(assignment, pages, profile, rng, now, first_try=first_try)
            first_try = False
            assignment = Assignment.objects.get(pk=assignment.pk)
            if outcome.status != "retry":
                counts[outcome.status] = counts.get(outcome.status, 0) + 1
                break
            if profile.careless and rng.random() < 0.5:
                profile.careless = False
        now += datetime.timedelta(seconds=float(rng.uniform(1, 30)))
    return counts
