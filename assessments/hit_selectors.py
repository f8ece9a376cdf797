"""Reads for the worker's HIT: the page list, progress, and where a returning worker resumes."""

from dataclasses import dataclass

from django.core import signing
from django.http import Http404

from .hit_tokens import assignment_token_read
from .models import AnswerField, Assignment, Attempt, Batch, PageServe, Questionnaire, Statement


@dataclass(frozen=True)
class Page:
    """One page of a HIT; `key` names it in PageServe and gate results."""

    index: int
    key: str
    kind: str  # instructions / questionnaire / statement / final
    questionnaire_id: int | None = None
    statement_id: int | None = None
    position: int | None = None


def hit_pages(
    *, questionnaire_rows: list[tuple[int, str]], statement_order: list[int]
) -> list[Page]:
    """Return the pages of a HIT: instructions, questionnaires, statements in order, final page."""
    pages = [Page(index=0, key="instructions", kind="instructions")]
    for qid, slug in questionnaire_rows:
        pages.append(
            Page(index=len(pages), key=f"q-{slug}", kind="questionnaire", questionnaire_id=qid)
        )
    for position, sid in enumerate(statement_order):
        pages.append(
            Page(
                index=len(pages),
                key=f"statement-{position}",
                kind="statement",
                statement_id=sid,
                position=position,
            )
        )
    pages.append(Page(index=len(pages), key="final", kind="final"))
    return pages


def assignment_pages(assignment: Assignment) -> list[Page]:
    rows = list(
        Questionnaire.objects.filter(batch_id=assignment.batch_id)
        .order_by("position")
        .values_list("id", "slug")
    )
    return hit_pages(questionnaire_rows=rows, statement_order=list(assignment.statement_order))


def assignment_get_by_token(*, batch_slug: str, token: str) -> Assignment:
    """Return the assignment a token names within batch `batch_slug`; raise Http404 otherwise."""
    try:
        assignment_id = assignment_token_read(token)
    except signing.BadSignature as exc:
        raise Http404("No such HIT.") from exc
    assignment = (
        Assignment.objects.select_related("batch", "worker")
        .filter(pk=assignment_id, batch__slug=batch_slug)
        .first()
    )
    if assignment is None:
        raise Http404("No such HIT.")
    return assignment


def attempt_current(assignment: Assignment) -> Attempt | None:
    return assignment.attempts.order_by("-number").first()


def attempt_serves(attempt: Attempt) -> dict[str, PageServe]:
    return {serve.page: serve for serve in PageServe.objects.filter(attempt=attempt)}


def progress_index(pages: list[Page], serves: dict[str, PageServe]) -> int:
    """Return the index of the first page not yet completed: the furthest a worker may go."""
    for page in pages[:-1]:
        serve = serves.get(page.key)
        if serve is None or serve.completed_at is None:
            return page.index
    return pages[-1].index


def resume_index(pages: list[Page], serves: dict[str, PageServe]) -> int:
    """Return the page a returning worker sees: the furthest page if never shown, else the
    page served last."""
    furthest = progress_index(pages, serves)
    if pages[furthest].key not in serves:
        return furthest  # new ground (e.g. a retry starting at the first statement)
    reachable = [
        (serves[page.key].last_served_at, page.index)
        for page in pages[: furthest + 1]
        if page.key in serves
    ]
    return max(reachable)[1] if reachable else 0


def batch_fields(batch: Batch) -> list[AnswerField]:
    return list(AnswerField.objects.filter(batch=batch).order_by("position"))


def judgment_values_by_slug(judgment, fields: list[AnswerField]) -> dict[str, int]:
    """Return a judgment's values (prefetched) by field slug, for the `fields` given; {} for None."""
    slugs = {f.id: f.slug for f in fields}
    return {
        slugs[v.field_id]: v.value
        for v in (judgment.values.all() if judgment else ())
        if v.field_id in slugs
    }


def statement_text_shown(statement: Statement, batch: Batch) -> str:
    """The text this batch displays: the cleaned variant only when asked for and available."""
    if batch.text_variant == Batch.TextVariant.CLEAN and statement.text_clean:
        return statement.text_clean
    return statement.text
