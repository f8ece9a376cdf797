"""Writes of the worker's HIT: designs and leases, start, page answers, submit, expiry, events."""

import datetime
import json
import math
import random
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction

from .. import allocation, quality, scales
from ..hit_selectors import (
    Page,
    attempt_current,
    attempt_serves,
    batch_fields,
    judgment_values_by_slug,
    statement_text_shown,
)
from ..models import (
    Assignment,
    Attempt,
    Batch,
    BehaviourEvent,
    HitDesign,
    HitSlot,
    Judgment,
    JudgmentValue,
    PageServe,
    Question,
    Questionnaire,
    QuestionnaireAnswer,
    Statement,
    Worker,
)


class HitError(Exception):
    """A request the HIT refuses; `status` is the HTTP status a view answers with."""

    status = 400

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message, self.code = message, code


class HitRefused(HitError):
    status = 403


class HitConflict(HitError):
    status = 409


class HitExpired(HitError):
    status = 410


REFUSALS = {
    "closed": "This task is not open at the moment. Thank you for your interest.",
    "blocked": "Sorry, this task is not available to your account.",
    "excluded": "Thank you, but you took part in an earlier run of this study, so you cannot take "
    "part in this one.",
    "repeat": "You have already taken part in this task. Each person can take part only once.",
    "full": "All places in this task are taken at the moment. Please try again later.",
}

BEHAVIOUR_KINDS = frozenset(
    {
        "page_view",
        "page_leave",
        "answer_change",
        "focus",
        "blur",
        "visibility",
        "query",
        "click",
        "evidence_select",
        "scroll",
        "copy",
        "paste",
    }
)
MAX_EVENTS_PER_POST = 200
MAX_EVENT_PAYLOAD_CHARS = 2000
MAX_TEXT_CHARS = 5000


# ---------------------------------------------------------------- designs and leases


@transaction.atomic
def batch_designs_generate(*, batch: Batch, seed: int | None = None) -> list[HitDesign]:
    """Lay the batch's pool out into designs with `judgments_per_statement` slots each.

    Raise ValidationError when the batch has designs already or the pool does not fit its
    composition (the message names the problem).
    """
    if batch.designs.exists():
        raise ValidationError("This batch has designs already.", code="designs_exist")
    gold_count = batch.gold_statements.count()
    pool = [
        allocation.PoolItem(
            id=s.id,
            dataset=s.dataset.name,
            level=s.expert_level.ordinal if s.expert_level_id else None,
            party=s.party,
            group=s.group,
        )
        for s in batch.statements.select_related("dataset", "expert_level").order_by("id")
    ]
    try:
        plans = allocation.designs_generate(
            pool,
            batch.composition or {},
            dataset_per_hit=batch.statements_per_hit - gold_count,
            rng=random.Random(seed),
        )
    except allocation.CompositionError as exc:
        raise ValidationError(str(exc), code="composition") from exc
    designs = []
    for number, plan in enumerate(plans, start=1):
        design = HitDesign.objects.create(
            batch=batch, number=number, capacity=batch.judgments_per_statement
        )
        design.statements.set(plan.statement_ids)
        designs.append(design)
    HitSlot.objects.bulk_create(
        HitSlot(design=design, index=index)
        for design in designs
        for index in range(design.capacity)
    )
    return designs


def _statement_order_make(*, batch: Batch, design: HitDesign) -> list[int]:
    items = [
        allocation.PoolItem(
            id=s.id, dataset=s.dataset.name, level=None, party=s.party, group=s.group
        )
        for s in design.statements.select_related("dataset").order_by("id")
    ]
    composition = batch.composition or {}
    plan = allocation.plan_from_items(items, composition)
    gold_ids = list(batch.gold_statements.order_by("id").values_list("id", flat=True))
    return allocation.statement_order(plan, composition, gold_ids, rng=random.SystemRandom())


def _slot_lease(*, batch: Batch) -> HitSlot | None:
    # Lock only the slot row (of=self): locking the joined design row would hide every other
    # free slot of that design from concurrent workers using skip_locked.
    return (
        HitSlot.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(design__batch=batch, status=HitSlot.Status.FREE)
        .order_by("index", "design_id")
        .first()
    )


# ---------------------------------------------------------------- entry


def worker_refusal(*, batch: Batch, worker: Worker) -> str | None:
    """Return why `worker` may not start `batch` (a REFUSALS key), or None when they may."""
    if batch.status != Batch.Status.LIVE:
        return "closed"
    if worker.is_blocked or worker.platform_id in (batch.worker_blocklist or []):
        return "blocked"
    if Assignment.objects.filter(worker=worker, batch__in=batch.excluded_batches.all()).exists():
        return "excluded"
    return None


def assignment_start(
    *,
    batch: Batch,
    platform: str,
    platform_id: str,
    platform_params: dict,
    now: datetime.datetime,
) -> Assignment:
    """Return the worker's open assignment in `batch`, or lease a slot and start a new one.

    Raise HitRefused (with a REFUSALS code) for blocked, excluded and repeat workers, a closed
    batch, or when no slot is free. Safe to call twice at once for the same worker.
    """
    try:
        return _assignment_start(
            batch=batch,
            platform=platform,
            platform_id=platform_id,
            platform_params=platform_params,
            now=now,
        )
    except IntegrityError:
        # A second tab started the same worker concurrently: resume what it created.
        return _assignment_start(
            batch=batch,
            platform=platform,
            platform_id=platform_id,
            platform_params=platform_params,
            now=now,
        )


@transaction.atomic
def _assignment_start(*, batch, platform, platform_id, platform_params, now) -> Assignment:
    worker, _ = Worker.objects.get_or_create(platform=platform, platform_id=platform_id)
    existing = Assignment.objects.filter(batch=batch, worker=worker).first()
    if existing is not None:
        if existing.status == Assignment.Status.ACTIVE and existing.lease_expires_at > now:
            return existing
        raise HitRefused(REFUSALS["repeat"], code="repeat")
    refusal = worker_refusal(batch=batch, worker=worker)
    if refusal:
        raise HitRefused(REFUSALS[refusal], code=refusal)
    slot = _slot_lease(batch=batch)
    if slot is None:
        raise HitRefused(REFUSALS["full"], code="full")
    assignment = Assignment(
        batch=batch,
        worker=worker,
        design=slot.design,
        statement_order=_statement_order_make(batch=batch, design=slot.design),
        platform_params=platform_params,
        lease_expires_at=now + datetime.timedelta(seconds=batch.time_limit_s),
    )
    assignment.full_clean(validate_unique=False)
    assignment.save()
    slot.status, slot.assignment = HitSlot.Status.LEASED, assignment
    slot.save(update_fields=["status", "assignment"])
    Attempt.objects.create(assignment=assignment, number=1, config_version=batch.config_version)
    return assignment


# ---------------------------------------------------------------- pages and answers


def _assignment_lock(assignment: Assignment) -> Assignment:
    """Re-read `assignment` under its row lock; the batch row is never locked (that would make
    every worker of the batch wait for every other worker's answer save)."""
    locked = Assignment.objects.select_for_update(of=("self",)).get(pk=assignment.pk)
    # Callers have read the batch in this request already: reuse it rather than join it again.
    locked.batch = assignment.batch
    return locked


def assignment_open_check(*, assignment: Assignment, now: datetime.datetime) -> Attempt:
    """Return the attempt in progress; raise HitExpired or HitConflict when it cannot take input."""
    if assignment.status == Assignment.Status.EXPIRED or (
        assignment.status == Assignment.Status.ACTIVE and assignment.lease_expires_at <= now
    ):
        raise HitExpired("The time for this task has run out.", code="expired")
    if assignment.status != Assignment.Status.ACTIVE:
        raise HitConflict("This task is finished and takes no more answers.", code="closed")
    attempt = attempt_current(assignment)
    if attempt is None or attempt.status != Attempt.Status.IN_PROGRESS:
        raise HitConflict("This try is finished.", code="attempt_closed")
    return attempt


def _attempt_for_input(*, assignment: Assignment, attempt_number: int, now) -> Attempt:
    attempt = assignment_open_check(assignment=assignment, now=now)
    if attempt.number != attempt_number:
        raise HitConflict(
            "This page belongs to an earlier try; please reload the task.", code="stale_attempt"
        )
    return attempt


def page_serve_record(
    *, attempt: Attempt, page: Page, served: bool, now: datetime.datetime
) -> None:
    """Record that `page` was served now; the first serve time is kept.

    Call after `assignment_open_check` returned `attempt`; `served` tells whether the page has
    a PageServe row already (one UPDATE then, else one INSERT).
    """
    if served and PageServe.objects.filter(attempt=attempt, page=page.key).update(
        last_served_at=now
    ):
        return
    try:
        with transaction.atomic():
            PageServe.objects.create(
                attempt=attempt, page=page.key, first_served_at=now, last_served_at=now
            )
    except IntegrityError:  # a second tab served it at the same moment
        PageServe.objects.filter(attempt=attempt, page=page.key).update(last_served_at=now)


def _serve_for_input(attempt: Attempt, page: Page) -> PageServe:
    # No row lock needed: callers hold the assignment's lock, which serialises its writes.
    serve = PageServe.objects.filter(attempt=attempt, page=page.key).first()
    if serve is None:
        raise HitConflict("Answers for a page that was never shown.", code="page_not_served")
    return serve


@transaction.atomic
def page_continue(
    *, assignment: Assignment, attempt_number: int, page: Page, now: datetime.datetime
) -> None:
    """Mark a page without answers (the instructions) as read."""
    locked = _assignment_lock(assignment)
    attempt = _attempt_for_input(assignment=locked, attempt_number=attempt_number, now=now)
    serve = _serve_for_input(attempt, page)
    serve.answered_at = serve.completed_at = now
    serve.save(update_fields=["answered_at", "completed_at"])


def _scale_value(raw: str, allowed: list[int], slug: str) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({slug: "Not a value of this scale."}, code="out_of_scale") from None
    if value not in allowed:
        raise ValidationError({slug: "Not a value of this scale."}, code="out_of_scale")
    return value


def _words(text: str) -> int:
    return len(text.split())


@transaction.atomic
def statement_answers_save(
    *,
    assignment: Assignment,
    attempt_number: int,
    page: Page,
    values: dict[str, str],
    evidence_url: str,
    justification: str,
    now: datetime.datetime,
    complete: bool,
) -> Judgment:
    """Save the answers given so far on a statement page (autosave, Back) or all of them (Next).

    Raise ValidationError for unknown fields, out-of-scale values, a bad URL or text when the
    batch takes none; with `complete`, also when an answer the page needs is missing.
    Raise HitConflict/HitExpired when the assignment or attempt takes no more input.
    """
    locked = _assignment_lock(assignment)
    batch = locked.batch
    attempt = _attempt_for_input(assignment=locked, attempt_number=attempt_number, now=now)
    serve = _serve_for_input(attempt, page)
    fields = {f.slug: f for f in batch_fields(batch)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(unknown)}.", code="unknown_field")
    parsed = {
        slug: _scale_value(raw, scales.scale_values(fields[slug].scale), slug)
        for slug, raw in values.items()
        if raw not in ("", None)
    }
    evidence_url = (evidence_url or "").strip()
    justification = (justification or "").strip()
    errors: dict[str, str] = {}
    needs_evidence = any(f.requires_evidence for f in fields.values())
    if evidence_url:
        if not needs_evidence:
            raise ValidationError("This task takes no evidence link.", code="unknown_field")
        try:
            URLValidator(schemes=["http", "https"])(evidence_url)
        except ValidationError:
            errors["evidence_url"] = "Give a web address starting with http:// or https://."
        if len(evidence_url) > 2000:
            errors["evidence_url"] = "This web address is too long."
    if justification and batch.justification == Batch.Justification.OFF:
        raise ValidationError("This task takes no justification.", code="unknown_field")
    if len(justification) > MAX_TEXT_CHARS:
        errors["justification"] = f"Please keep it under {MAX_TEXT_CHARS} characters."
    if complete:
        for slug, _field in fields.items():
            if slug not in parsed:
                errors[slug] = "Please choose an answer."
        if needs_evidence and not evidence_url:
            errors["evidence_url"] = "Please give the web page you used as evidence."
        if batch.justification == Batch.Justification.REQUIRED and not justification:
            errors["justification"] = "Please explain your answers."
        if (justification or batch.justification == Batch.Justification.REQUIRED) and _words(
            justification
        ) < batch.justification_min_words:
            errors["justification"] = (
                f"Please write at least {batch.justification_min_words} words."
            )
    if errors:
        raise ValidationError(errors, code="invalid")

    answered = {
        "evidence_url": evidence_url,
        "justification": justification,
        "page_served_at": serve.first_served_at,
        "answered_at": now,
        "time_on_page_s": max(0.0, (now - serve.first_served_at).total_seconds()),
    }
    judgment = Judgment.objects.filter(attempt=attempt, statement_id=page.statement_id).first()
    created = judgment is None
    if created:
        statement = Statement.objects.get(pk=page.statement_id)
        judgment = Judgment.objects.create(
            attempt=attempt,
            statement=statement,
            position=page.position,
            text_shown=statement_text_shown(statement, batch),
            **answered,
        )
    else:
        for name, value in answered.items():
            setattr(judgment, name, value)
        judgment.save(update_fields=list(answered))
    existing = {} if created else {v.field_id: v for v in judgment.values.all()}
    changed, new = [], []
    for slug, value in parsed.items():
        row = existing.get(fields[slug].id)
        if row is None:
            new.append(JudgmentValue(judgment=judgment, field=fields[slug], value=value))
        elif row.value != value:
            row.value = value
            changed.append(row)
    JudgmentValue.objects.bulk_create(new)
    JudgmentValue.objects.bulk_update(changed, ["value"])
    serve.answered_at = now
    if complete:
        serve.completed_at = now
    serve.save(update_fields=["answered_at", "completed_at"])
    return judgment


def _question_value(question: Question, raw: str) -> str:
    raw = (raw or "").strip()
    if question.answer_type == Question.AnswerType.CHOICE:
        if not raw.isdigit() or int(raw) >= len(question.choices):
            raise ValidationError({question.slug: "Not one of the choices."}, code="out_of_scale")
        return str(int(raw))
    if question.answer_type == Question.AnswerType.NUMBER:
        try:
            number = float(raw)
        except ValueError:
            raise ValidationError(
                {question.slug: "Please give a number."}, code="invalid"
            ) from None
        if not math.isfinite(number) or abs(number) > 1e12:
            raise ValidationError({question.slug: "Please give a number."}, code="invalid")
        return str(int(number)) if number.is_integer() else str(number)
    if len(raw) > 2000:
        raise ValidationError({question.slug: "Please keep it shorter."}, code="invalid")
    return raw


def _answer_correct(question: Question, value: str) -> bool | None:
    key = question.correct_answer.strip()
    if not key:
        return None
    if question.answer_type == Question.AnswerType.NUMBER:
        try:
            return float(value) == float(key)
        except ValueError:
            return False
    return value.casefold() == key.casefold()


@transaction.atomic
def questionnaire_answers_save(
    *,
    assignment: Assignment,
    attempt_number: int,
    page: Page,
    answers: dict[str, str],
    now: datetime.datetime,
    complete: bool,
) -> list[QuestionnaireAnswer]:
    """Save a questionnaire page's answers, scoring those with a key (the CRT).

    Raise ValidationError for unknown questions, choices out of range or non-numbers; with
    `complete`, also when a required question is unanswered.
    """
    locked = _assignment_lock(assignment)
    attempt = _attempt_for_input(assignment=locked, attempt_number=attempt_number, now=now)
    serve = _serve_for_input(attempt, page)
    questionnaire = Questionnaire.objects.get(pk=page.questionnaire_id)
    questions = {q.slug: q for q in questionnaire.questions.all()}
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        raise ValidationError(f"Unknown questions: {', '.join(unknown)}.", code="unknown_field")
    parsed = {
        slug: _question_value(questions[slug], raw)
        for slug, raw in answers.items()
        if (raw or "").strip()
    }
    if complete:
        missing = {
            slug: "Please answer this question."
            for slug, q in questions.items()
            if q.required and slug not in parsed
        }
        if missing:
            raise ValidationError(missing, code="invalid")
    # One upsert for the page (not a select and a write per question); the assignment's lock
    # serialises this worker's saves, the unique (attempt, question) keeps one row each.
    saved = QuestionnaireAnswer.objects.bulk_create(
        [
            QuestionnaireAnswer(
                attempt=attempt,
                question=questions[slug],
                value=value,
                is_correct=_answer_correct(questions[slug], value),
            )
            for slug, value in parsed.items()
        ],
        update_conflicts=True,
        unique_fields=["attempt", "question"],
        update_fields=["value", "is_correct"],
    )
    serve.answered_at = now
    if complete:
        serve.completed_at = now
    serve.save(update_fields=["answered_at", "completed_at"])
    return saved


# ---------------------------------------------------------------- submit


@transaction.atomic
def assignment_comment_save(
    *, assignment: Assignment, attempt_number: int, comment: str, now: datetime.datetime
) -> None:
    """Keep the final page's comment while the worker types or goes Back (saved again on submit)."""
    locked = _assignment_lock(assignment)
    _attempt_for_input(assignment=locked, attempt_number=attempt_number, now=now)
    comment = (comment or "").strip()
    if len(comment) > MAX_TEXT_CHARS:
        raise ValidationError({"comment": f"Please keep it under {MAX_TEXT_CHARS} characters."})
    locked.comment = comment
    locked.save(update_fields=["comment"])


@dataclass(frozen=True)
class SubmitOutcome:
    status: str  # passed / retry / failed
    failed_gates: tuple[quality.GateResult, ...]
    attempts_left: int


def evidence_inputs(
    *, assignment: Assignment, judgments: list[Judgment]
) -> dict[int, tuple[frozenset[str], bool]]:
    """Return, per statement id, the URLs the worker's searches returned and whether the chosen
    evidence URL is on a blocked domain (read from the search app, imported lazily)."""
    from search.filters import url_is_blocked
    from search.selectors import evidence_urls_by_statement

    batch = assignment.batch
    shown = evidence_urls_by_statement(assignment_id=assignment.id)
    return {
        j.statement_id: (
            frozenset(shown.get(j.statement_id, ())),
            bool(j.evidence_url)
            and url_is_blocked(j.evidence_url, batch.blocked_domains, batch.domain_match),
        )
        for j in judgments
    }


def submission_build(
    *,
    assignment: Assignment,
    attempt: Attempt,
    gate_names: set[str],
    serves: dict[str, PageServe],
):
    """Collect an attempt's answers and server timestamps (`serves`: its PageServe rows by page
    key) into a quality.Submission."""
    batch = assignment.batch
    fields = batch_fields(batch)
    judgments = list(attempt.judgments.prefetch_related("values"))
    by_statement = {j.statement_id: j for j in judgments}
    evidence = (
        evidence_inputs(assignment=assignment, judgments=judgments)
        if "evidence_from_serp" in gate_names
        else {}
    )
    statements = {s.id: s for s in Statement.objects.filter(pk__in=assignment.statement_order)}
    pages = []
    for position, sid in enumerate(assignment.statement_order):
        judgment = by_statement.get(sid)
        serve = serves.get(f"statement-{position}")
        serp, blocked = evidence.get(sid, (frozenset(), False))
        pages.append(
            quality.StatementPage(
                position=position,
                values=judgment_values_by_slug(judgment, fields),
                evidence_url=judgment.evidence_url if judgment else "",
                justification=judgment.justification if judgment else "",
                served_at=serve.first_served_at if serve else None,
                answered_at=serve.answered_at if serve else None,
                external_id=statements[sid].external_id if statements[sid].is_gold else "",
                gold_truth=statements[sid].gold_truth,
                serp_urls=serp,
                evidence_blocked=blocked,
            )
        )
    answers = {a.question_id: a for a in QuestionnaireAnswer.objects.filter(attempt=attempt)}
    questionnaires = []
    for questionnaire in batch.questionnaires.prefetch_related("questions").order_by("position"):
        serve = serves.get(f"q-{questionnaire.slug}")
        questions = list(questionnaire.questions.all())
        questionnaires.append(
            quality.QuestionnairePage(
                slug=questionnaire.slug,
                answers={q.slug: answers[q.id].value for q in questions if q.id in answers},
                required=frozenset(q.slug for q in questions if q.required),
                correct={q.slug: answers[q.id].is_correct for q in questions if q.id in answers},
                served_at=serve.first_served_at if serve else None,
                answered_at=serve.answered_at if serve else None,
                # Retries from the first statement keep the first try's answers here.
                carried_over=attempt.number > 1
                and batch.retry_from == Batch.RetryFrom.FIRST_STATEMENT,
            )
        )
    return quality.Submission(
        fields=[
            quality.FieldSpec(
                slug=f.slug,
                values=tuple(scales.scale_values(f.scale)),
                requires_evidence=f.requires_evidence,
            )
            for f in fields
        ],
        statements=pages,
        questionnaires=questionnaires,
        justification=batch.justification,
        justification_min_words=batch.justification_min_words,
    )


def assignment_completed_notify(assignment_id: int) -> None:
    """Queue the aggregation of a completed assignment's statements, once the commit is done."""
    # Imported here: the tasks module imports this one for the lease sweeper.
    from ..tasks import assignment_aggregate_task

    assignment_aggregate_task.delay_on_commit(assignment_id)


def _retry_attempt_create(*, assignment: Assignment, failed: Attempt) -> Attempt:
    """Start the next try where the batch's `retry_from` says: at the beginning with nothing
    kept, or (the study) at the first statement, with the questionnaire answers and the read
    instructions carried over so that the worker is not asked the same questions again."""
    attempt = Attempt.objects.create(
        assignment=assignment,
        number=failed.number + 1,
        config_version=assignment.batch.config_version,
    )
    if assignment.batch.retry_from == Batch.RetryFrom.BEGINNING:
        return attempt
    PageServe.objects.bulk_create(
        PageServe(
            attempt=attempt,
            page=s.page,
            first_served_at=s.first_served_at,
            last_served_at=s.last_served_at,
            answered_at=s.answered_at,
            completed_at=s.completed_at,
        )
        for s in failed.page_serves.exclude(page__startswith="statement-").exclude(page="final")
    )
    QuestionnaireAnswer.objects.bulk_create(
        QuestionnaireAnswer(
            attempt=attempt, question_id=a.question_id, value=a.value, is_correct=a.is_correct
        )
        for a in failed.answers.all()
    )
    return attempt


@transaction.atomic
def assignment_submit(
    *, assignment: Assignment, attempt_number: int, comment: str, now: datetime.datetime
) -> SubmitOutcome:
    """Run the batch's gates on the attempt in progress and record the outcome.

    Pass: the assignment completes with a completion code and its slot is done. Fail with tries
    left: a new attempt starts. Fail on the last try: the assignment fails and its slot returns
    to the pool. Holds `select_for_update` on the assignment, so a double submit sees the first
    one's outcome and raises HitConflict; raises HitExpired after the lease ran out.
    """
    locked = _assignment_lock(assignment)
    batch = locked.batch
    attempt = _attempt_for_input(assignment=locked, attempt_number=attempt_number, now=now)
    serves = attempt_serves(attempt)
    if "final" not in serves:
        raise HitConflict("Submit from the last page of the task.", code="page_not_served")
    comment = (comment or "").strip()
    if len(comment) > MAX_TEXT_CHARS:
        raise ValidationError({"comment": f"Please keep it under {MAX_TEXT_CHARS} characters."})
    gates = quality.gates_build(batch.quality_gates or [])
    submission = submission_build(
        assignment=locked, attempt=attempt, gate_names={g.name for g in gates}, serves=serves
    )
    results = quality.gates_run(gates, submission)
    failed = tuple(r for r in results if not r.passed)
    attempt.gate_results = [r.as_dict() for r in results]
    attempt.submitted_at = now
    attempt.config_version = batch.config_version
    attempt.status = Attempt.Status.FAILED if failed else Attempt.Status.PASSED
    attempt.save(update_fields=["gate_results", "submitted_at", "config_version", "status"])
    locked.comment = comment
    attempts_left = batch.max_attempts - attempt.number
    slot = HitSlot.objects.select_for_update().filter(assignment=locked).first()
    if not failed:
        locked.status = Assignment.Status.COMPLETED
        locked.completed_at = now
        locked.completion_code = secrets.token_hex(5).upper()
        if slot:
            slot.status = HitSlot.Status.DONE
            slot.save(update_fields=["status"])
        status = "passed"
    elif attempts_left > 0:
        _retry_attempt_create(assignment=locked, failed=attempt)
        status = "retry"
    else:
        locked.status = Assignment.Status.FAILED
        _slot_release(slot)
        status = "failed"
    # The database's check constraints guard status and completion time; a full_clean here
    # would cost a query per foreign key on every submit.
    locked.save(update_fields=["status", "completed_at", "completion_code", "comment"])
    if status == "passed":
        assignment_completed_notify(locked.id)
    return SubmitOutcome(status=status, failed_gates=failed, attempts_left=max(0, attempts_left))


def _slot_release(slot: HitSlot | None) -> None:
    if slot is not None:
        slot.status, slot.assignment = HitSlot.Status.FREE, None
        slot.save(update_fields=["status", "assignment"])


# ---------------------------------------------------------------- expiry and behaviour log


def assignments_expire_stale(*, now: datetime.datetime) -> int:
    """Expire active assignments whose lease ran out and return their slots to the pool.

    Idempotent; rows another transaction holds are skipped and picked up on the next run.
    Return how many assignments expired.
    """
    expired = 0
    with transaction.atomic():
        stale = list(
            Assignment.objects.select_for_update(skip_locked=True).filter(
                status=Assignment.Status.ACTIVE, lease_expires_at__lte=now
            )
        )
        for assignment in stale:
            assignment.status = Assignment.Status.EXPIRED
            assignment.save(update_fields=["status"])
            Attempt.objects.filter(assignment=assignment, status=Attempt.Status.IN_PROGRESS).update(
                status=Attempt.Status.ABANDONED
            )
            _slot_release(HitSlot.objects.select_for_update().filter(assignment=assignment).first())
            expired += 1
    return expired


def _client_ts(value) -> datetime.datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e14:
        return datetime.datetime.fromtimestamp(value / 1000, tz=datetime.UTC)
    return None


def behaviour_events_record(
    *, assignment: Assignment, events: object, now: datetime.datetime
) -> int:
    """Append a batch of browser events to the assignment's log; return how many were stored.

    Each event is {"kind", "ts" (ms since epoch, browser clock), "position" (statement
    position, optional), "payload" (object)}. Raise ValidationError for a malformed batch.
    """
    if not isinstance(events, list) or len(events) > MAX_EVENTS_PER_POST:
        raise ValidationError(f"Send a list of at most {MAX_EVENTS_PER_POST} events.")
    order = list(assignment.statement_order)
    attempt = attempt_current(assignment)
    rows = []
    for index, event in enumerate(events):
        if not isinstance(event, dict) or event.get("kind") not in BEHAVIOUR_KINDS:
            raise ValidationError(f"Event {index}: unknown kind.", code="bad_event")
        payload = event.get("payload", {})
        if not isinstance(payload, dict) or len(json.dumps(payload)) > MAX_EVENT_PAYLOAD_CHARS:
            raise ValidationError(f"Event {index}: payload too large.", code="bad_event")
        position = event.get("position")
        statement_id = None
        if position is not None:
            if not isinstance(position, int) or not 0 <= position < len(order):
                raise ValidationError(f"Event {index}: no such statement.", code="bad_event")
            statement_id = order[position]
        rows.append(
            BehaviourEvent(
                assignment=assignment,
                attempt=attempt,
                statement_id=statement_id,
                kind=event["kind"],
                payload=payload,
                client_ts=_client_ts(event.get("ts")),
            )
        )
    BehaviourEvent.objects.bulk_create(rows)
    return len(rows)
