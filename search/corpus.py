"""Evidence corpus files -> document rows + row errors: JSONL, and the LIAR-PLUS demo corpus (pure)."""

import csv
import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path

from assessments.importers import RowError

from .filters import url_normalise

REQUIRED = ("url", "title", "text", "source")
OPTIONAL = ("published", "provenance", "about")
LIMITS = {"url": 2000, "title": 500, "source": 500, "about": 200}

LIAR_PLUS_REPOSITORY = "https://github.com/Tariq60/LIAR-PLUS/blob/master/dataset/tsv"
LIAR_PLUS_FILES = ("val2.tsv", "test2.tsv")


@dataclass
class DocumentRow:
    url: str
    title: str
    text: str
    source: str
    provenance: str = ""
    about: str = ""
    published: datetime.date | None = None


@dataclass
class ParseResult:
    rows: list[DocumentRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _check_row(line: int, record: object, result: ParseResult) -> None:
    if not isinstance(record, dict):
        result.errors.append(RowError(line, "*", "is not a JSON object"))
        return
    errors = []
    values = {}
    for column in REQUIRED + OPTIONAL:
        value = record.get(column)
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.append(RowError(line, column, "is not a string"))
            continue
        values[column] = value.strip()
        if column in REQUIRED and not values[column]:
            errors.append(RowError(line, column, "is missing or empty"))
        elif len(values[column]) > LIMITS.get(column, 10**7):
            errors.append(RowError(line, column, f"is longer than {LIMITS[column]} characters"))
    unknown = sorted(set(record) - set(REQUIRED + OPTIONAL))
    if unknown:
        errors.append(RowError(line, ", ".join(unknown), "unknown column(s)"))
    if values.get("url") and not url_normalise(values["url"]):
        errors.append(RowError(line, "url", f"{values['url']!r} is not an http(s) URL with a host"))
    published = None
    if values.get("published"):
        try:
            published = datetime.date.fromisoformat(values["published"])
        except ValueError:
            errors.append(RowError(line, "published", f"{values['published']!r} is not YYYY-MM-DD"))
    if errors:
        result.errors.extend(errors)
        return
    result.rows.append(
        DocumentRow(
            url=values["url"],
            title=values["title"],
            text=values["text"],
            source=values["source"],
            provenance=values["provenance"],
            about=values["about"],
            published=published,
        )
    )


def _check_duplicates(result: ParseResult, lines: list[int]) -> None:
    seen: dict[str, int] = {}
    for row, line in zip(result.rows, lines, strict=True):
        key = row.url  # not normalised: a fragment may name a document (e.g. a dataset line)
        if key in seen:
            result.errors.append(RowError(line, "url", f"same URL as row {seen[key]}"))
        else:
            seen[key] = line


def parse_jsonl(path: Path) -> ParseResult:
    """Parse a JSONL corpus: one object per line with url, title, text, source (+ optional)."""
    result = ParseResult()
    lines = []
    with path.open(encoding="utf-8") as handle:
        for line, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except json.JSONDecodeError as exc:
                result.errors.append(RowError(line, "*", f"is not valid JSON ({exc.msg})"))
                continue
            before = len(result.rows)
            _check_row(line, record, result)
            if len(result.rows) > before:
                lines.append(line)
    _check_duplicates(result, lines)
    return result


def _unquote(cell: str) -> str:
    # Read with QUOTE_NONE, a cell keeps the CSV quoting of its source: '"a ""b"" c"'.
    cell = cell.strip()
    if len(cell) > 1 and cell[0] == cell[-1] == '"':
        cell = cell[1:-1]
    return cell.replace('""', '"').strip()


def liar_plus_documents(path: Path) -> ParseResult:
    """Turn a LIAR-PLUS TSV into demo documents: one per statement with ruling sentences.

    The text is PolitiFact's ruling text as published in the LIAR-PLUS dataset; the URL and
    source are that dataset's line on GitHub, where the text really comes from, so the demo works
    under the study's URL blocklist (the study matched result URLs only). Titles and provenance
    say it is PolitiFact text: it is a demo corpus, not independent evidence for real studies.
    Each document is `about` its LIAR statement, so a worker judging that same statement never
    sees its ruling.
    """
    result = ParseResult()
    with path.open(newline="", encoding="utf-8") as handle:
        # QUOTE_NONE: some statements hold unbalanced double quotes.
        for line, cells in enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), 1):
            if not any(cell.strip() for cell in cells):
                continue  # test2.tsv has lines holding only a tab
            if len(cells) not in (15, 16):
                result.errors.append(RowError(line, "*", f"has {len(cells)} columns, not 15/16"))
                continue
            liar_id, statement, speaker = cells[1].strip(), _unquote(cells[3]), cells[5].strip()
            ruling = _unquote(cells[15]) if len(cells) == 16 else ""
            if not liar_id or not statement or not ruling:
                continue  # nothing to search, or nothing to anchor the document to
            who = speaker.replace("-", " ").title() if speaker else "Unattributed"
            result.rows.append(
                DocumentRow(
                    url=f"{LIAR_PLUS_REPOSITORY}/{path.name}?plain=1#L{line}",
                    title=f"{who}: “{statement[:300]}” (PolitiFact ruling excerpt)",
                    text=ruling,
                    source="github.com",
                    provenance=(
                        f"PolitiFact ruling sentences on LIAR statement {liar_id}, from LIAR-PLUS "
                        f"(Alhindi et al., FEVER 2018) {path.name} line {line}. Research use only; "
                        "demo corpus of fact-checker text, not independent evidence."
                    ),
                    about=f"liar:{liar_id}",
                )
            )
    return result
