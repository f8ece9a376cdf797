"""Quality gates: registered classes configured per batch, run on a plain submission (pure).

Modelled on Django's password validators: a batch lists `{"name": ..., "options": {...}}` entries,
each name maps to a registered class that validates its options in its constructor and whose
`check(submission)` raises ValidationError(code=...). All gates run; failures are collected.
"""

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

GATES: dict[str, type["Gate"]] = {}


def register_gate(cls: type["Gate"]) -> type["Gate"]:
    """Class decorator: make `cls` available to batches under `cls.name`."""
    if cls.name in GATES:
        raise ValueError(f"gate {cls.name!r} registered twice")
    GATES[cls.name] = cls
    return cls


@dataclass(frozen=True)
class FieldSpec:
    slug: str
    values: tuple[int, ...]
    requires_evidence: bool = False


@dataclass(frozen=True)
class StatementPage:
    """A statement page as submitted; gold identity and SERP URLs are server-side facts."""

    position: int
    values: Mapping[str, int]
    evidence_url: str = ""
    justification: str = ""
    served_at: datetime.datetime | None = None
    answered_at: datetime.datetime | None = None
    external_id: str = ""
    gold_truth: str = ""
    serp_urls: frozenset[str] = frozenset()
    evidence_blocked: bool = False


@dataclass(frozen=True)
class QuestionnairePage:
    slug: str
    answers: Mapping[str, str]
    required: frozenset[str] = frozenset()
    correct: Mapping[str, bool | None] = field(default_factory=dict)
    served_at: datetime.datetime | None = None
    answered_at: datetime.datetime | None = None
    # Answered in an earlier try and carried over: a retry restarts at the first statement.
    carried_over: bool = False


@dataclass(frozen=True)
class Submission:
    fields: Sequence[FieldSpec]
    statements: Sequence[StatementPage]
    questionnaires: Sequence[QuestionnairePage] = ()
    justification: str = "off"  # off / optional / required, as on the batch
    justification_min_words: int = 0


@dataclass(frozen=True)
class GateResult:
    name: str
    passed: bool
    code: str = ""
    message: str = ""
    pages: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "passed": self.passed,
            "code": self.code,
            "message": self.message,
            "pages": list(self.pages),
        }


def _fail(message: str, code: str, pages: Sequence[str] = ()) -> ValidationError:
    return ValidationError(message, code=code, params={"pages": tuple(pages)})


def _statement_page(page: StatementPage) -> str:
    return f"statement {page.position + 1}"


class Gate:
    """Base class. Subclasses set `name`, `description` (plain words for workers, no thresholds)
    and `failure` (what a worker is told), parse options in `__init__` and implement `check`."""

    name = ""
    description = ""
    failure = ""
    allowed_options: frozenset[str] = frozenset()

    def __init__(self, **options):
        unknown = sorted(set(options) - self.allowed_options)
        if unknown:
            raise ValidationError(
                f"{self.name}: unknown options {', '.join(unknown)}", code="unknown_option"
            )

    def check(self, submission: Submission) -> None:
        raise NotImplementedError

    def bad_option(self, problem: str) -> ValidationError:
        """The error for an option value this gate cannot use, prefixed with the gate's name."""
        return ValidationError(f"{self.name}: {problem}", code="bad_option")


@register_gate
class CompletenessGate(Gate):
    name = "completeness"
    description = (
        "Every question on every page must be answered, with the evidence link where asked."
    )
    failure = "Some questions were left unanswered."

    def check(self, submission):
        pages = []
        for page in submission.statements:
            missing = [f.slug for f in submission.fields if f.slug not in page.values]
            needs_url = any(f.requires_evidence for f in submission.fields)
            if (
                missing
                or (needs_url and not page.evidence_url)
                or (submission.justification == "required" and not page.justification.strip())
            ):
                pages.append(_statement_page(page))
        for questionnaire in submission.questionnaires:
            if any(not questionnaire.answers.get(q, "").strip() for q in questionnaire.required):
                pages.append(questionnaire.slug)
        if pages:
            raise _fail("Unanswered questions.", "incomplete", pages)


@register_gate
class MinimumTimeGate(Gate):
    name = "minimum_time"
    description = "We check on our server that you take enough time to read each page."
    failure = "Some pages were answered faster than anyone can read them."
    allowed_options = frozenset({"seconds", "pages"})
    _kinds = frozenset({"statement", "questionnaire"})

    def __init__(self, **options):
        super().__init__(**options)
        seconds = options.get("seconds", 2)
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds <= 0:
            raise self.bad_option("seconds must be positive")
        kinds = options.get("pages", sorted(self._kinds))
        if not isinstance(kinds, list) or not kinds or not set(kinds) <= self._kinds:
            raise self.bad_option("pages must list 'statement' and/or 'questionnaire'")
        self.seconds = float(seconds)
        self.kinds = frozenset(kinds)

    def _too_fast(self, served, answered) -> bool:
        return (
            served is not None
            and answered is not None
            and (answered - served).total_seconds() < self.seconds
        )

    def check(self, submission):
        pages = []
        if "questionnaire" in self.kinds:
            pages += [
                q.slug
                for q in submission.questionnaires
                # A carried-over page was timed by the try that answered it; this try cannot
                # answer it again, so judging it again would fail every later try for good.
                if not q.carried_over and self._too_fast(q.served_at, q.answered_at)
            ]
        if "statement" in self.kinds:
            pages += [
                _statement_page(p)
                for p in submission.statements
                if self._too_fast(p.served_at, p.answered_at)
            ]
        if pages:
            raise _fail("Pages answered too fast.", "too_fast", pages)


@register_gate
class GoldOrderingGate(Gate):
    name = "gold_ordering"
    description = "Some answers are checked for consistency with facts known in advance."
    failure = "Some answers did not pass our consistency checks."
    allowed_options = frozenset({"field", "higher", "lower", "strict"})

    def __init__(self, **options):
        super().__init__(**options)
        for key in ("field", "higher", "lower"):
            if not isinstance(options.get(key), str) or not options[key]:
                raise self.bad_option(f"{key} is required")
        if options["higher"] == options["lower"]:
            raise self.bad_option("higher and lower must differ")
        self.field = options["field"]
        self.higher, self.lower = options["higher"], options["lower"]
        self.strict = bool(options.get("strict", True))

    def _find(self, submission, name):
        # A gold statement is named by its external id ("HIGH") or by its intended truth.
        for page in submission.statements:
            if page.external_id == name or (page.gold_truth and page.gold_truth == name.lower()):
                return page
        return None

    def check(self, submission):
        high, low = self._find(submission, self.higher), self._find(submission, self.lower)
        if high is None or low is None:
            raise _fail("The gold statements are not in this HIT.", "gold_missing")
        a, b = high.values.get(self.field), low.values.get(self.field)
        if a is None or b is None:
            raise _fail("A gold statement was not answered.", "gold_unanswered")
        if a < b or (self.strict and a == b):
            raise _fail("Gold ordering violated.", "gold_failed")


@register_gate
class EvidenceFromSerpGate(Gate):
    name = "evidence_from_serp"
    description = "Evidence links must be chosen from your own search results on that statement."
    failure = "Some evidence links were not taken from your search results."
    allowed_options = frozenset({"field"})

    def __init__(self, **options):
        super().__init__(**options)
        self.field = options.get("field")
        if self.field is not None and not isinstance(self.field, str):
            raise self.bad_option("field must be a name")

    def check(self, submission):
        specs = [f for f in submission.fields if f.requires_evidence]
        if self.field is not None:
            specs = [f for f in specs if f.slug == self.field]
        if not specs:
            return
        blocked, foreign = [], []
        for page in submission.statements:
            if not page.evidence_url:
                continue  # completeness reports missing links
            if page.evidence_blocked:
                blocked.append(_statement_page(page))
            elif page.evidence_url not in page.serp_urls:
                foreign.append(_statement_page(page))
        if blocked:
            raise _fail("Evidence from a blocked site.", "evidence_blocked", blocked)
        if foreign:
            raise _fail(
                "Evidence not from the search results.", "evidence_not_from_search", foreign
            )


@register_gate
class JustificationLengthGate(Gate):
    name = "justification_length"
    description = "Written justifications must be long enough to explain your answers."
    failure = "Some justifications were too short."
    allowed_options = frozenset({"min_words"})

    def __init__(self, **options):
        super().__init__(**options)
        words = options.get("min_words")
        if words is not None and (
            not isinstance(words, int) or isinstance(words, bool) or words < 1
        ):
            raise self.bad_option("min_words must be >= 1")
        self.min_words = words

    def check(self, submission):
        minimum = self.min_words or submission.justification_min_words
        if not minimum or submission.justification == "off":
            return
        pages = [
            _statement_page(p)
            for p in submission.statements
            if (p.justification.strip() or submission.justification == "required")
            and len(p.justification.split()) < minimum
        ]
        if pages:
            raise _fail("Justifications too short.", "justification_short", pages)


@register_gate
class AttentionCheckGate(Gate):
    name = "attention_check"
    description = "A few questions check that you read carefully."
    failure = "Some attention-check questions were answered wrongly."
    allowed_options = frozenset({"questions"})

    def __init__(self, **options):
        super().__init__(**options)
        questions = options.get("questions")
        if not isinstance(questions, list) or not questions:
            raise self.bad_option("list the question slugs")
        self.questions = frozenset(questions)

    def check(self, submission):
        pages = [
            q.slug
            for q in submission.questionnaires
            if any(q.correct.get(slug) is not True for slug in self.questions & set(q.answers))
        ]
        asked = {slug for q in submission.questionnaires for slug in q.answers}
        if pages or not self.questions <= asked:
            raise _fail("Attention check failed.", "attention_failed", pages)


@register_gate
class StraightLiningGate(Gate):
    name = "straight_lining"
    description = "Giving the very same answer to every question everywhere is not accepted."
    failure = "The same answer was given to every question."
    allowed_options = frozenset({"fields"})

    def __init__(self, **options):
        super().__init__(**options)
        fields = options.get("fields")
        if fields is not None and (not isinstance(fields, list) or not fields):
            raise self.bad_option("fields must be a non-empty list")
        self.fields = fields

    def check(self, submission):
        slugs = self.fields or [f.slug for f in submission.fields]
        seen = {p.values[s] for p in submission.statements for s in slugs if s in p.values}
        answered = sum(1 for p in submission.statements for s in slugs if s in p.values)
        if len(seen) == 1 and answered > 1:
            raise _fail("Straight-lining.", "straight_lining")


def gate_config_errors(entries: object) -> list[str]:
    """Return every problem with a batch's gate list (unknown names, bad options, duplicates)."""
    if not isinstance(entries, list):
        return ['give a list of {"name": ..., "options": {...}} entries']
    errors, seen = [], set()
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            errors.append(f"entry {index}: needs a name")
            continue
        name, options = entry["name"], entry.get("options", {})
        if name in seen:
            errors.append(f"{name}: listed twice")
        seen.add(name)
        if name not in GATES:
            errors.append(f"{name}: no such gate (known: {', '.join(sorted(GATES))})")
        elif not isinstance(options, dict):
            errors.append(f"{name}: options must be an object")
        else:
            try:
                GATES[name](**options)
            except ValidationError as exc:
                errors.extend(exc.messages)
    return errors


def gates_build(entries: list[dict]) -> list[Gate]:
    """Instantiate a batch's gate list; raise ValidationError listing every bad entry."""
    errors = gate_config_errors(entries)
    if errors:
        raise ValidationError(errors, code="bad_gates")
    return [GATES[entry["name"]](**entry.get("options", {})) for entry in entries]


def gates_run(gates: Sequence[Gate], submission: Submission) -> list[GateResult]:
    """Run every gate (not stopping at the first failure) and return one result per gate."""
    results = []
    for gate in gates:
        try:
            gate.check(submission)
        except ValidationError as exc:
            params = getattr(exc, "params", None) or {}
            results.append(
                GateResult(
                    name=gate.name,
                    passed=False,
                    code=exc.code or "failed",
                    message=exc.messages[0] if exc.messages else "",
                    pages=tuple(params.get("pages", ())),
                )
            )
        else:
            results.append(GateResult(name=gate.name, passed=True))
    return results
