"""Parse crowd judgments collected elsewhere (e.g. Crowd_Frame) from CSV -> rows + row errors (pure)."""

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from .importers import RowError

BASE_COLUMNS = ("worker_id", "statement_id", "position")
TRAILING_COLUMNS = ("url", "justification", "time_elapsed_s")
OPTIONAL_COLUMNS = ("try_number", "is_gold")
MAX_POSITION = 32767  # Judgment.position is a smallint
TRUE_WORDS, FALSE_WORDS = {"1", "true", "yes", "t", "y"}, {"0", "false", "no", "f", "n"}


@dataclass
class JudgmentRow:
    """One worker x statement row; `values` maps field slug -> value (missing cells left out)."""

    row: int
    worker_id: str
    statement_id: str
    position: int
    try_number: int = 1
    is_gold: bool | None = None
    url: str = ""
    justification: str = ""
    time_s: float | None = None
    values: dict[str, int] = field(default_factory=dict)


def expected_header(field_slugs: Sequence[str]) -> list[str]:
    return [*BASE_COLUMNS, *field_slugs, *TRAILING_COLUMNS]


def parse(
    lines: Iterable[str], scales: Mapping[str, Sequence[int]]
) -> tuple[list[JudgmentRow], list[RowError]]:
    """Parse CSV `lines` against the batch's fields (`scales`: slug -> allowed values).

    Returns the rows and every error found (row = line number, header = 1). Empty cells are
    missing values; a value off its field's scale, a bad number and a duplicate worker x try x
    statement (or position) are errors.
    """
    reader = csv.DictReader(lines)
    header = reader.fieldnames or []
    required = expected_header(list(scales))
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in required and c not in OPTIONAL_COLUMNS]
    errors = [RowError(1, c, "required column is missing") for c in missing]
    errors += [RowError(1, c, "unknown column (not a field of this batch)") for c in unknown]
    if errors:
        return [], errors
    rows: list[JudgmentRow] = []
    seen: dict[tuple, int] = {}
    for number, record in enumerate(reader, start=2):
        row_errors: list[RowError] = []

        def fail(column, reason, number=number, row_errors=row_errors):
            row_errors.append(RowError(number, column, reason))

        def cell(column, record=record):
            return (record.get(column) or "").strip()

        worker, statement = cell("worker_id"), cell("statement_id")
        if not worker:
            fail("worker_id", "is empty")
        if not statement:
            fail("statement_id", "is empty")
        position = _integer(cell("position"), "position", fail, low=0, high=MAX_POSITION)
        try_number = 1
        if cell("try_number"):
            try_number = _integer(cell("try_number"), "try_number", fail, low=1, high=MAX_POSITION)
        is_gold = None
        if cell("is_gold"):
            word = cell("is_gold").lower()
            if word not in TRUE_WORDS | FALSE_WORDS:
                fail("is_gold", f"{cell('is_gold')!r} is not true or false")
            is_gold = word in TRUE_WORDS
        values = {}
        for slug, allowed in scales.items():
            if not cell(slug):
                continue
            value = _integer(cell(slug), slug, fail, low=None, high=None)
            if value is not None and value not in allowed:
                fail(slug, f"{value} is not on the scale {list(allowed)}")
            elif value is not None:
                values[slug] = value
        url = cell("url")
        if url:
            try:
                URLValidator()(url)
            except ValidationError:
                fail("url", f"{url[:80]!r} is not a valid URL")
        time_s = None
        if cell("time_elapsed_s"):
            try:
                time_s = float(cell("time_elapsed_s"))
                if not time_s >= 0:
                    raise ValueError
            except ValueError:
                fail("time_elapsed_s", f"{cell('time_elapsed_s')!r} is not a non-negative number")
        for key, what in (
            ((worker, try_number, "statement", statement), "statement"),
            ((worker, try_number, "position", position), "position"),
        ):
            if key in seen and not row_errors:
                fail(f"{what}", f"repeats row {seen[key]} (same worker, try and {what})")
            seen.setdefault(key, number)
        if row_errors:
            errors += row_errors
            continue
        rows.append(
            JudgmentRow(
                row=number,
                worker_id=worker,
                statement_id=statement,
                position=position,
                try_number=try_number,
                is_gold=is_gold,
                url=url,
                justification=record.get("justification") or "",
                time_s=time_s,
                values=values,
            )
        )
    return rows, errors


def _integer(text, column, fail, *, low, high):
    try:
        value = int(text)
    except ValueError:
        fail(column, f"{text!r} is not an integer")
        return None
    if (low is not None and value < low) or (high is not None and value > high):
        fail(column, f"{value} is outside {low}..{high}")
        return None
    return value
