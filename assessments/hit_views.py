"""Server-rendered pages of the worker's HIT: entry, consent, pages, submit, result, event log."""

import functools
import json
import re
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods, require_POST

from . import quality
from .hit_selectors import (
    Page,
    assignment_get_by_token,
    assignment_pages,
    attempt_current,
    attempt_serves,
    batch_fields,
    judgment_values_by_slug,
    progress_index,
    resume_index,
    statement_text_shown,
)
from .hit_tokens import assignment_token_make
from .models import (
    Assignment,
    Attempt,
    Batch,
    EntryVisit,
    Judgment,
    Questionnaire,
    QuestionnaireAnswer,
    Statement,
    Worker,
)
from .services import hits
from .services.entry_visits import entry_visit_record

MTURK_PREVIEW = "ASSIGNMENT_ID_NOT_AVAILABLE"
# Only MTurk's own hosts may receive the external-submit POST, so a crafted link cannot send a
# worker's completion to another site.
MTURK_SUBMIT_HOSTS = ("https://www.mturk.com", "https://workersandbox.mturk.com")
ANON_COOKIE = "tc_anon"
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_FORM_KEYS = {"csrfmiddlewaretoken", "attempt", "action"}


def mturk_frameable(view):
    """Let MTurk (and only MTurk) show the page in its ExternalQuestion iframe."""

    @xframe_options_exempt
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = "frame-ancestors 'self' " + " ".join(
            MTURK_SUBMIT_HOSTS
        )
        return response

    return wrapped


@dataclass(frozen=True)
class EntryParams:
    platform: str
    platform_id: str
    params: dict
    preview: bool = False


def entry_params_parse(data, anon_id: str) -> EntryParams:
    """Tell the platform and worker id from the entry URL's parameters (MTurk, Prolific, link)."""
    if "assignmentId" in data or "workerId" in data:
        assignment_id = data.get("assignmentId", "")
        if assignment_id == MTURK_PREVIEW:
            return EntryParams("mturk", "", {"assignmentId": assignment_id}, preview=True)
        params = {k: data.get(k, "") for k in ("workerId", "assignmentId", "hitId", "turkSubmitTo")}
        if not all(_ID.match(params[k]) for k in ("workerId", "assignmentId", "hitId")):
            raise ValidationError("The MTurk parameters are missing or malformed.")
        if params["turkSubmitTo"].rstrip("/") not in MTURK_SUBMIT_HOSTS:
            raise ValidationError("turkSubmitTo is not an MTurk address.")
        params["turkSubmitTo"] = params["turkSubmitTo"].rstrip("/")
        return EntryParams("mturk", params["workerId"], params)
    if "PROLIFIC_PID" in data:
        params = {k: data.get(k, "") for k in ("PROLIFIC_PID", "STUDY_ID", "SESSION_ID")}
        if not all(_ID.match(v) for v in params.values()):
            raise ValidationError("The Prolific parameters are missing or malformed.")
        return EntryParams("prolific", params["PROLIFIC_PID"], params)
    worker = data.get("worker", "")
    if worker:
        if not _ID.match(worker):
            raise ValidationError("The worker id is malformed.")
        return EntryParams("link", worker, {"worker": worker})
    return EntryParams("link", f"anon-{anon_id}", {"anonymous": True})


def _anon_id(request) -> str:
    value = request.get_signed_cookie(ANON_COOKIE, default=None, salt=ANON_COOKIE)
    return value if value and _ID.match(value) else uuid.uuid4().hex


def _with_anon_cookie(request, response, anon_id: str):
    response.set_signed_cookie(
        ANON_COOKIE,
        anon_id,
        salt=ANON_COOKIE,
        max_age=60 * 60 * 24 * 365,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


def _message(request, title: str, message: str, status: int, **extra) -> HttpResponse:
    return render(
        request, "hit/message.html", {"title": title, "message": message, **extra}, status=status
    )


def _hit_url(assignment: Assignment, name: str, **kwargs) -> str:
    return reverse(
        f"hit:{name}",
        kwargs={
            "batch_slug": assignment.batch.slug,
            "token": assignment_token_make(assignment.id),
            **kwargs,
        },
    )


def _gate_descriptions(batch: Batch) -> list[str]:
    # Plain words only: gate options (thresholds, which statements are gold) stay on the server.
    return [
        quality.GATES[entry["name"]].description
        for entry in batch.quality_gates or []
        if entry.get("name") in quality.GATES
    ]


@require_http_methods(["GET", "POST"])
@mturk_frameable
def hit_entry(request, batch_slug: str):
    """Show the task (MTurk preview), ask for consent, and start or resume the worker's HIT."""
    batch = get_object_or_404(Batch, slug=batch_slug)
    anon_id = _anon_id(request)
    data = request.POST if request.method == "POST" else request.GET
    try:
        entry = entry_params_parse(data, anon_id)
    except ValidationError as exc:
        return _message(request, "This link is not valid", exc.messages[0], 400)
    context = {
        "batch": batch,
        "entry": entry,
        "statement_count": batch.statements_per_hit,
        "minutes": batch.time_limit_s // 60,
        "reward": f"{batch.reward_cents / 100:.2f} {batch.currency}",
    }
    now = timezone.now()
    if entry.preview:
        if request.method == "POST":
            return render(request, "hit/entry.html", {**context, "preview": True}, status=403)
        # Previews carry no worker id: the browser's anonymous cookie tells visitors apart.
        entry_visit_record(
            batch=batch,
            kind=EntryVisit.Kind.PREVIEW,
            platform="preview",
            visitor_id=anon_id,
            now=now,
        )
        response = render(request, "hit/entry.html", {**context, "preview": True})
        return _with_anon_cookie(request, response, anon_id)
    worker = Worker.objects.filter(platform=entry.platform, platform_id=entry.platform_id).first()
    if worker is not None:
        existing = Assignment.objects.filter(batch=batch, worker=worker).first()
        if existing is not None:
            if existing.status == Assignment.Status.ACTIVE and existing.lease_expires_at > now:
                return HttpResponseRedirect(_hit_url(existing, "resume"))
            if existing.status == Assignment.Status.COMPLETED:  # show their code again
                return HttpResponseRedirect(_hit_url(existing, "result"))
            return _message(request, "Thank you", hits.REFUSALS["repeat"], 403)
        refusal = hits.worker_refusal(batch=batch, worker=worker)
        if refusal:
            return _message(request, "Sorry", hits.REFUSALS[refusal], 403)
    elif batch.status != Batch.Status.LIVE:
        return _message(request, "Sorry", hits.REFUSALS["closed"], 403)
    entry_visit_record(
        batch=batch,
        kind=EntryVisit.Kind.ENTRY,
        platform=entry.platform,
        visitor_id=entry.platform_id,
        now=now,
    )
    if request.method == "GET":
        response = render(request, "hit/entry.html", context)
        return _with_anon_cookie(request, response, anon_id)
    if data.get("consent") != "yes":
        context["consent_error"] = "Please tick the box to say you agree, or close this page."
        return render(request, "hit/entry.html", context, status=400)
    try:
        assignment = hits.assignment_start(
            batch=batch,
            platform=entry.platform,
            platform_id=entry.platform_id,
            platform_params=entry.params,
            now=now,
        )
    except hits.HitError as exc:
        return _message(request, "Sorry", exc.message, exc.status)
    response = HttpResponseRedirect(_hit_url(assignment, "resume"))
    return _with_anon_cookie(request, response, anon_id)


def _closed_response(request, assignment: Assignment, exc: hits.HitError):
    if isinstance(exc, hits.HitConflict) and exc.code in ("closed", "attempt_closed"):
        return HttpResponseRedirect(_hit_url(assignment, "result"))
    return _message(request, "This task cannot continue", exc.message, exc.status)


@require_http_methods(["GET"])
@mturk_frameable
def hit_resume(request, batch_slug: str, token: str):
    """Send a (re)opening worker to the page they were on, or to their result."""
    assignment = assignment_get_by_token(batch_slug=batch_slug, token=token)
    try:
        attempt = hits.assignment_open_check(assignment=assignment, now=timezone.now())
    except hits.HitError as exc:
        return _closed_response(request, assignment, exc)
    pages = assignment_pages(assignment)
    index = resume_index(pages, attempt_serves(attempt))
    return HttpResponseRedirect(_hit_url(assignment, "page", index=index))


def _page_context(assignment: Assignment, attempt: Attempt, pages: list[Page], page: Page) -> dict:
    batch = assignment.batch
    statement_pages = [p for p in pages if p.kind == "statement"]
    context = {
        "batch": batch,
        "assignment": assignment,
        "attempt": attempt,
        "page": page,
        "pages_total": len(pages),
        "token": assignment_token_make(assignment.id),
        "statement_total": len(statement_pages),
        "back_allowed": page.index > 0,
        "events_url": _hit_url(assignment, "events"),
        "lease_expires_at": assignment.lease_expires_at,
    }
    if page.kind == "instructions":
        fields = batch_fields(batch)
        context.update(
            fields=fields,
            scale=fields[0].scale if fields else [],
            questionnaire_count=batch.questionnaires.count(),
            gates=_gate_descriptions(batch),
            minutes=batch.time_limit_s // 60,
            evidence_needed=any(f.requires_evidence for f in fields),
            hides_sites=bool(batch.blocked_domains),
        )
    elif page.kind == "questionnaire":
        questionnaire = Questionnaire.objects.get(pk=page.questionnaire_id)
        answers = dict(
            QuestionnaireAnswer.objects.filter(
                attempt=attempt, question__questionnaire=questionnaire
            ).values_list("question__slug", "value")
        )
        context.update(
            questionnaire=questionnaire,
            questions=[
                {
                    "question": q,
                    "value": answers.get(q.slug, ""),
                    "choices": list(enumerate(q.choices)),
                }
                for q in questionnaire.questions.order_by("position")
            ],
        )
    elif page.kind == "statement":
        statement = Statement.objects.get(pk=page.statement_id)
        judgment = (
            Judgment.objects.filter(attempt=attempt, statement=statement)
            .prefetch_related("values")
            .first()
        )
        fields = batch_fields(batch)
        values = judgment_values_by_slug(judgment, fields)
        context.update(
            statement={
                "id": statement.id,
                "text": statement_text_shown(statement, batch),
                "speaker": statement.speaker,
                "year": statement.year,
                "context": statement.context if batch.show_context else "",
            },
            fields=[{"field": f, "value": values.get(f.slug)} for f in fields],
            evidence_needed=any(f.requires_evidence for f in fields),
            evidence_url=judgment.evidence_url if judgment else "",
            justification=judgment.justification if judgment else "",
            statement_number=page.position + 1,
            progress_percent=round(100 * page.position / max(1, len(statement_pages))),
            search_enabled=_search_enabled(),
        )
    elif page.kind == "final":
        context.update(
            comment=assignment.comment, attempts_left=batch.max_attempts - attempt.number
        )
    return context


@functools.cache
def _search_enabled() -> bool:
    """Whether the search app's box is installed (branch `search`); until then a plain field."""
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    try:
        get_template("search/search_box.html")
    except TemplateDoesNotExist:
        return False
    return True


_TEMPLATES = {
    "instructions": "hit/instructions.html",
    "questionnaire": "hit/questionnaire.html",
    "statement": "hit/statement.html",
    "final": "hit/final.html",
}


def _render_page(
    request, assignment, attempt, pages, page, *, errors=None, status=200, posted=None
):
    context = _page_context(assignment, attempt, pages, page)
    if errors:
        context["errors"] = errors
        if posted is not None:
            _overlay_posted(context, page, posted)
        for item in context.get("fields", []) if page.kind == "statement" else []:
            item["errors"] = errors.get(item["field"].slug, [])
        for item in context.get("questions", []):
            item["errors"] = errors.get(item["question"].slug, [])
        context["evidence_errors"] = errors.get("evidence_url", [])
        context["justification_errors"] = errors.get("justification", [])
    return render(request, _TEMPLATES[page.kind], context, status=status)


def _overlay_posted(context: dict, page: Page, posted) -> None:
    """Show what the worker just posted (not the saved answers) when the page is re-shown."""
    if page.kind == "statement":
        for item in context["fields"]:
            raw = posted.get(f"f-{item['field'].slug}", "")
            item["value"] = int(raw) if raw.lstrip("-").isdigit() else item["value"]
        context["evidence_url"] = posted.get("evidence_url", context["evidence_url"])
        context["justification"] = posted.get("justification", context["justification"])
    elif page.kind == "questionnaire":
        for item in context["questions"]:
            item["value"] = posted.get(f"q-{item['question'].slug}", item["value"])
    elif page.kind == "final":
        context["comment"] = posted.get("comment", "")


def _errors_of(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            key: [str(m) for e in errs for m in e.messages] for key, errs in exc.error_dict.items()
        }
    return {"__all__": exc.messages}


def _prefixed(post, prefix: str) -> dict[str, str]:
    return {key[len(prefix) :]: post.get(key) for key in post if key.startswith(prefix)}


def _unknown_keys(post, allowed: set[str], prefix: str | None) -> list[str]:
    return sorted(
        key for key in post if key not in allowed and not (prefix and key.startswith(prefix))
    )


@require_http_methods(["GET", "POST"])
@mturk_frameable
def hit_page(request, batch_slug: str, token: str, index: int):
    """Show one page of the HIT, or take its answers (Next, Back, autosave, Submit)."""
    assignment = assignment_get_by_token(batch_slug=batch_slug, token=token)
    pages = assignment_pages(assignment)
    if index >= len(pages):
        return _message(request, "No such page", "This page does not exist.", 404)
    page = pages[index]
    now = timezone.now()
    if request.method == "POST":
        # The services check the assignment, the attempt and that the page was served, under
        # the assignment's row lock.
        return _page_post(request, assignment, pages, page, now)
    try:
        attempt = hits.assignment_open_check(assignment=assignment, now=now)
    except hits.HitError as exc:
        return _closed_response(request, assignment, exc)
    serves = attempt_serves(attempt)
    furthest = progress_index(pages, serves)
    if index > furthest:
        return HttpResponseRedirect(_hit_url(assignment, "page", index=furthest))
    hits.page_serve_record(attempt=attempt, page=page, served=page.key in serves, now=now)
    return _render_page(request, assignment, attempt, pages, page)


def _page_post(request, assignment, pages, page, now):
    post = request.POST
    action = post.get("action", "next")
    wanted = {"instructions": {"next"}, "final": {"back", "submit", "autosave"}}.get(
        page.kind, {"next", "back", "autosave"}
    )
    if action not in wanted:
        return _message(request, "Not allowed", "This action is not possible here.", 400)
    try:
        attempt_number = int(post.get("attempt", ""))
    except ValueError:
        return _message(request, "Not allowed", "The form is incomplete.", 400)
    prefix, allowed = {
        "statement": ("f-", _FORM_KEYS | {"evidence_url", "justification"}),
        "questionnaire": ("q-", _FORM_KEYS),
        "final": (None, _FORM_KEYS | {"comment"}),
        "instructions": (None, _FORM_KEYS),
    }[page.kind]
    unknown = _unknown_keys(post, allowed, prefix)
    try:
        if unknown:
            raise ValidationError(f"Unknown fields: {', '.join(unknown)}.", code="unknown_field")
        complete = action == "next"
        if page.kind == "instructions":
            hits.page_continue(
                assignment=assignment, attempt_number=attempt_number, page=page, now=now
            )
        elif page.kind == "statement":
            hits.statement_answers_save(
                assignment=assignment,
                attempt_number=attempt_number,
                page=page,
                values=_prefixed(post, "f-"),
                evidence_url=post.get("evidence_url", ""),
                justification=post.get("justification", ""),
                now=now,
                complete=complete,
            )
        elif page.kind == "questionnaire":
            hits.questionnaire_answers_save(
                assignment=assignment,
                attempt_number=attempt_number,
                page=page,
                answers=_prefixed(post, "q-"),
                now=now,
                complete=complete,
            )
        elif action == "submit":
            outcome = hits.assignment_submit(
                assignment=assignment,
                attempt_number=attempt_number,
                comment=post.get("comment", ""),
                now=now,
            )
            return _after_submit(assignment, outcome)
        else:
            hits.assignment_comment_save(
                assignment=assignment,
                attempt_number=attempt_number,
                comment=post.get("comment", ""),
                now=now,
            )
    except hits.HitError as exc:
        if action == "autosave":
            return JsonResponse({"error": exc.message, "code": exc.code}, status=exc.status)
        return _message(request, "This task cannot continue", exc.message, exc.status)
    except ValidationError as exc:
        if action == "autosave":
            return JsonResponse({"errors": _errors_of(exc)}, status=400)
        return _render_page(
            request,
            assignment,
            attempt_current(assignment),
            pages,
            page,
            errors=_errors_of(exc),
            status=400,
            posted=post,
        )
    if action == "autosave":
        return JsonResponse({"saved": True})
    target = page.index - 1 if action == "back" else page.index + 1
    return HttpResponseRedirect(_hit_url(assignment, "page", index=target))


def _after_submit(assignment: Assignment, outcome: hits.SubmitOutcome):
    batch = assignment.batch
    if (
        outcome.status == "passed"
        and assignment.worker.platform == Worker.Platform.PROLIFIC
        and batch.completion_url
    ):
        return HttpResponseRedirect(batch.completion_url)
    return HttpResponseRedirect(_hit_url(assignment, "result"))


@require_http_methods(["GET"])
@mturk_frameable
def hit_result(request, batch_slug: str, token: str):
    """Show the outcome: the completion code, or which kind of check failed and tries left."""
    assignment = assignment_get_by_token(batch_slug=batch_slug, token=token)
    batch = assignment.batch
    attempts = list(assignment.attempts.order_by("number"))
    last_submitted = next((a for a in reversed(attempts) if a.submitted_at), None)
    failures = [
        quality.GATES[r["name"]].failure
        for r in (last_submitted.gate_results if last_submitted else [])
        if not r.get("passed") and r.get("name") in quality.GATES
    ]
    context = {
        "batch": batch,
        "assignment": assignment,
        "failures": failures,
        "attempts_left": batch.max_attempts - (attempts[-1].number if attempts else 0),
        "params": assignment.platform_params,
        "platform": assignment.worker.platform,
    }
    status = assignment.status
    if status == Assignment.Status.COMPLETED:
        return render(request, "hit/done.html", context)
    if status == Assignment.Status.ACTIVE and last_submitted is not None:
        context["attempts_left"] = batch.max_attempts - last_submitted.number
        context["retry_url"] = _hit_url(assignment, "resume")
        return render(request, "hit/retry.html", context)
    if status == Assignment.Status.FAILED:
        return render(request, "hit/failed.html", context)
    if status == Assignment.Status.ACTIVE:
        return HttpResponseRedirect(_hit_url(assignment, "resume"))
    return _message(request, "Time is up", "The time for this task has run out.", 410)


@require_POST
def hit_events(request, batch_slug: str, token: str):
    """Append a batch of behaviour events (fetch or navigator.sendBeacon; FormData `events`)."""
    assignment = assignment_get_by_token(batch_slug=batch_slug, token=token)
    try:
        events = json.loads(request.POST.get("events", ""))
        stored = hits.behaviour_events_record(
            assignment=assignment, events=events, now=timezone.now()
        )
    except (ValueError, ValidationError) as exc:
        message = exc.messages[0] if isinstance(exc, ValidationError) else "Send JSON events."
        return JsonResponse({"error": message}, status=400)
    return JsonResponse({"stored": stored})
