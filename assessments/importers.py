"""Statement file parsers: study CSV, LIAR-PLUS TSV, generic CSV/JSONL -> rows + row errors (pure)."""

import csv
import datetime
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import scales

FORMATS = ("study", "liar-plus", "csv", "jsonl")
GOLD_DATASET = "gold"

# The study's id tokens name the expert level; checking them catches a label/text mix-up at load
# time (study.md 3.2: one id was once shown with other statements' texts).
_POLITIFACT_ID_TOKENS = {
    "LIE": "pants-on-fire",
    "FALSE": "false",
    "BARELYTRUE": "barely-true",
    "HALFTRUE": "half-true",
    "MOSTLYTRUE": "mostly-true",
    "TRUE": "true",
}
_ABC_ID_TOKENS = {"Negative": "negative", "In_Between": "in-between", "Positive": "positive"}

STUDY_COLUMNS = ("statement_id", "dataset", "text", "speaker_shown", "year_shown", "expert_label")
GOLD_COLUMNS = ("statement_id", "text", "speaker_shown", "year_shown", "intended_truthfulness")
# Target attributes a generic file may map columns onto (--map target=column).
GENERIC_TARGETS = (
    "external_id",
    "text",
    "text_clean",
    "speaker",
    "year",
    "date",
    "context",
    "party",
    "group",
    "expert_label",
    "source_url",
)
GENERIC_REQUIRED = ("external_id", "text", "expert_label")


@dataclass(frozen=True)
class RowError:
    """What is wrong with one row: `row` is the line number in the file (header is line 1)."""

    row: int
    column: str
    reason: str

    def __str__(self):
        return f"row {self.row}, column {self.column}: {self.reason}"


@dataclass
class StatementRow:
    """One statement as read from a file, before it touches the database."""

    row: int
    dataset: str
    external_id: str
    text: str
    expert_label: str | None = None
    text_clean: str = ""
    speaker: str = ""
    year: int | None = None
    date: datetime.date | None = None
    context: str = ""
    party: str = ""
    group: str = ""
    is_gold: bool = False
    gold_truth: str = ""
    source_url: str = ""
    metadata: dict = field(default_factory=dict)


@dataclass
class ParseResult:
    rows: list[StatementRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def detect_format(path: Path) -> str:
    """Guess a file's format from its extension and, for CSV, its header."""
    suffix = path.suffix.lower()
    if suffix == ".tsv":
        return "liar-plus"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), [])
    if {"statement_id", "text"} <= set(header) and (
        "expert_label" in header or "intended_truthfulness" in header
    ):
        return "study"
    return "csv"


def _year(value: str, row: int, column: str, errors: list[RowError]) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit() or not 1000 <= int(value) <= 2999:
        errors.append(RowError(row, column, f"{value!r} is not a four-digit year"))
        return None
    return int(value)


def _date(value: str, row: int, column: str, errors: list[RowError]) -> datetime.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        errors.append(RowError(row, column, f"{value!r} is not an ISO date (YYYY-MM-DD)"))
        return None


def _missing_columns(header: Iterable[str], required: Iterable[str]) -> list[RowError]:
    present = set(header)
    return [
        RowError(1, column, "required column is missing from the header")
        for column in required
        if column not in present
    ]


def _check_duplicates(result: ParseResult, column: str) -> None:
    seen: dict[tuple[str, str], int] = {}
    for row in result.rows:
        key = (row.dataset, row.external_id)
        if key in seen:
            result.errors.append(
                RowError(row.row, column, f"{row.external_id!r} repeats row {seen[key]}")
            )
        else:
            seen[key] = row.row


def parse_study(path: Path) -> ParseResult:
    """Parse the study's statements.csv or gold_statements.csv (told apart by their headers)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        if "intended_truthfulness" in header:
            return _parse_study_gold(reader, header)
        return _parse_study_statements(reader, header)


def _parse_study_statements(reader: csv.DictReader, header: list[str]) -> ParseResult:
    result = ParseResult(errors=_missing_columns(header, STUDY_COLUMNS))
    if result.errors:
        return result
    for line, record in enumerate(reader, start=2):
        errors = result.errors
        before = len(errors)
        external_id = (record.get("statement_id") or "").strip()
        dataset = (record.get("dataset") or "").strip()
        label = (record.get("expert_label") or "").strip()
        text = (record.get("text") or "").strip()
        if not external_id:
            errors.append(RowError(line, "statement_id", "is empty"))
        if not text:
            errors.append(RowError(line, "text", "is empty"))
        levels = scales.KNOWN_EXPERT_SCALES.get(dataset)
        if levels is None:
            known = ", ".join(scales.KNOWN_EXPERT_SCALES)
            errors.append(RowError(line, "dataset", f"{dataset!r} is not one of {known}"))
        elif label not in levels:
            errors.append(
                RowError(line, "expert_label", f"{label!r} is not a level of {dataset}: {levels}")
            )
        else:
            ordinal = (record.get("expert_ordinal") or "").strip()
            if ordinal and ordinal != str(levels.index(label)):
                errors.append(
                    RowError(
                        line,
                        "expert_ordinal",
                        f"{ordinal} disagrees with {label!r} (ordinal {levels.index(label)})",
                    )
                )
            token_label = _label_from_study_id(external_id, dataset)
            if token_label is not None and token_label != label:
                errors.append(
                    RowError(
                        line,
                        "statement_id",
                        f"id says {token_label!r} but expert_label is {label!r}",
                    )
                )
        year = _year(record.get("year_shown", ""), line, "year_shown", errors)
        date = _date(record.get("statement_date", ""), line, "statement_date", errors)
        if len(errors) > before:
            continue
        metadata_columns = (
            "doc_group",
            "speaker",
            "fact_check_date",
            "expert_verdict",
            "fact_check_id",
            "liar_id",
            "n_judgments",
            "text_shown_consistent",
        )
        metadata = {c: record[c] for c in metadata_columns if record.get(c)}
        result.rows.append(
            StatementRow(
                row=line,
                dataset=dataset,
                external_id=external_id,
                text=text,
                expert_label=label,
                text_clean=(record.get("text_original") or "").strip(),
                speaker=(record.get("speaker_shown") or "").strip(),
                year=year,
                date=date,
                context=(record.get("context_shown") or "").strip(),
                party=(record.get("party") or "").strip(),
                group=(record.get("doc_group") or "").strip(),
                source_url=(record.get("article_url") or "").strip(),
                metadata=metadata,
            )
        )
    _check_duplicates(result, "statement_id")
    return result


def _label_from_study_id(external_id: str, dataset: str) -> str | None:
    parts = external_id.split("_")
    if dataset == "politifact" and len(parts) == 3:
        return _POLITIFACT_ID_TOKENS.get(parts[1])
    if dataset == "abc" and len(parts) >= 3:
        return _ABC_ID_TOKENS.get("_".join(parts[1:-1]))
    return None


def _parse_study_gold(reader: csv.DictReader, header: list[str]) -> ParseResult:
    result = ParseResult(errors=_missing_columns(header, GOLD_COLUMNS))
    if result.errors:
        return result
    for line, record in enumerate(reader, start=2):
        before = len(result.errors)
        external_id = (record.get("statement_id") or "").strip()
        text = (record.get("text") or "").strip()
        intended = (record.get("intended_truthfulness") or "").strip().lower()
        if not external_id:
            result.errors.append(RowError(line, "statement_id", "is empty"))
        if not text:
            result.errors.append(RowError(line, "text", "is empty"))
        # The file says "true (high)" / "false (low)"; the stored truth is high or low.
        truth = "high" if "high" in intended else "low" if "low" in intended else ""
        if not truth:
            result.errors.append(
                RowError(line, "intended_truthfulness", f"{intended!r} names neither high nor low")
            )
        year = _year(record.get("year_shown", ""), line, "year_shown", result.errors)
        if len(result.errors) > before:
            continue
        result.rows.append(
            StatementRow(
                row=line,
                dataset=GOLD_DATASET,
                external_id=external_id,
                text=text,
                speaker=(record.get("speaker_shown") or "").strip(),
                year=year,
                context=(record.get("context_shown") or "").strip(),
                is_gold=True,
                gold_truth=truth,
                metadata={"gold_rule": record["gold_rule"]} if record.get("gold_rule") else {},
            )
        )
    _check_duplicates(result, "statement_id")
    return result


def _liar_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        # QUOTE_NONE: some statements hold unbalanced double quotes.
        for line, cells in enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), 1):
            # test2.tsv follows records 703-718 with a line holding only a tab: not a record.
            if not any(cell.strip() for cell in cells):
                continue
            yield line, cells


def parse_liar_plus(path: Path, dataset: str = "liar-plus") -> ParseResult:
    """Parse a LIAR-PLUS TSV (16 columns, 15 when the justification is missing; no header)."""
    result = ParseResult()
    levels = scales.POLITIFACT_LEVELS
    for line, cells in _liar_records(path):
        if len(cells) not in (15, 16):
            result.errors.append(
                RowError(line, "*", f"has {len(cells)} columns, expected 15 or 16")
            )
            continue
        liar_id, raw_label, text = cells[1].strip(), cells[2].strip(), cells[3].strip()
        label = scales.LIAR_LABEL_ALIASES.get(raw_label, raw_label)
        before = len(result.errors)
        if not liar_id:
            result.errors.append(RowError(line, "2 (id)", "is empty"))
        if label not in levels:
            result.errors.append(RowError(line, "3 (label)", f"{raw_label!r} is not a LIAR label"))
        if not text:
            result.errors.append(RowError(line, "4 (statement)", "is empty"))
        if len(result.errors) > before:
            continue
        result.rows.append(
            StatementRow(
                row=line,
                dataset=dataset,
                external_id=liar_id,
                text=text,
                expert_label=label,
                speaker=cells[5].strip().replace("-", " ").title(),
                context=cells[14].strip(),
                party=cells[8].strip(),
                metadata={
                    "liar_id": liar_id,
                    "subjects": cells[4].strip(),
                    "speaker_slug": cells[5].strip(),
                    "speaker_job": cells[6].strip(),
                    "state": cells[7].strip(),
                    "source_file": path.name,
                },
            )
        )
    _check_duplicates(result, "2 (id)")
    return result


def _generic_records(path: Path, fmt: str) -> Iterator[tuple[int, dict | None, str]]:
    """Yield (row number, record or None, parse error) from a CSV or JSONL file."""
    with path.open(newline="", encoding="utf-8") as handle:
        if fmt == "csv":
            for line, record in enumerate(csv.DictReader(handle), start=2):
                yield line, record, ""
            return
        for line, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                yield line, None, f"is not valid JSON ({exc.msg})"
                continue
            if not isinstance(record, dict):
                yield line, None, "is not a JSON object"
                continue
            yield line, {k: "" if v is None else str(v) for k, v in record.items()}, ""


def parse_generic(
    path: Path, fmt: str, dataset: str, levels: tuple[str, ...], mapping: dict[str, str]
) -> ParseResult:
    """Parse a CSV or JSONL file whose columns are mapped onto statement attributes."""
    unknown = sorted(set(mapping) - set(GENERIC_TARGETS))
    if unknown:
        return ParseResult(
            errors=[
                RowError(0, t, f"--map target must be one of {GENERIC_TARGETS}") for t in unknown
            ]
        )
    column_of = {target: mapping.get(target, target) for target in GENERIC_TARGETS}
    result = ParseResult()
    header_checked = False
    for line, record, problem in _generic_records(path, fmt):
        if problem:
            result.errors.append(RowError(line, "*", problem))
            continue
        if fmt == "csv" and not header_checked:
            header_checked = True
            missing = _missing_columns(record.keys(), [column_of[t] for t in GENERIC_REQUIRED])
            if missing:
                result.errors.extend(missing)
                return result
        before = len(result.errors)
        values = {
            target: (record.get(column) or "").strip() for target, column in column_of.items()
        }
        for target in GENERIC_REQUIRED:
            if not values[target]:
                result.errors.append(RowError(line, column_of[target], "is empty or missing"))
        label = values["expert_label"]
        if label and label not in levels:
            result.errors.append(
                RowError(line, column_of["expert_label"], f"{label!r} is not a level of {levels}")
            )
        year = _year(values["year"], line, column_of["year"], result.errors)
        date = _date(values["date"], line, column_of["date"], result.errors)
        if len(result.errors) > before:
            continue
        mapped_columns = set(column_of.values())
        result.rows.append(
            StatementRow(
                row=line,
                dataset=dataset,
                external_id=values["external_id"],
                text=values["text"],
                expert_label=label,
                text_clean=values["text_clean"],
                speaker=values["speaker"],
                year=year,
                date=date,
                context=values["context"],
                party=values["party"],
                group=values["group"],
                source_url=values["source_url"],
                metadata={k: v for k, v in record.items() if k not in mapped_columns and v},
            )
        )
    _check_duplicates(result, column_of["external_id"])
    return result
