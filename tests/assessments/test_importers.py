"""Pure parser tests: study, LIAR-PLUS and generic files, without a database."""

import csv

from assessments import importers
from tests.conftest import IPM2021_DIR, ROOT

LIAR_DIR = ROOT / "data" / "liar-plus"


def test_study_statements_parse_all_180_rows_without_errors():
    result = importers.parse_study(IPM2021_DIR / "statements.csv")
    assert result.errors == []
    assert len(result.rows) == 180
    by_id = {row.external_id: row for row in result.rows}
    assert by_id["REP_HALFTRUE_doc10"].expert_label == "half-true"
    assert by_id["Liberal_In_Between_doc1"].expert_label == "in-between"
    assert by_id["DEM_BARELYTRUE_doc7"].metadata["text_shown_consistent"] == "False"


def test_study_id_token_contradicting_the_label_is_an_error(tmp_path):
    rows = list(csv.DictReader((IPM2021_DIR / "statements.csv").open()))
    rows[0]["expert_label"] = "true"  # the id says BARELYTRUE
    rows[0]["expert_ordinal"] = "5"
    path = tmp_path / "s.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = importers.parse_study(path)
    assert [(e.row, e.column) for e in result.errors] == [(2, "statement_id")]
    assert "barely-true" in result.errors[0].reason


def test_study_missing_column_is_reported_on_the_header_row(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("statement_id,dataset,text\nA,politifact,hello\n")
    result = importers.parse_study(path)
    assert {(e.row, e.column) for e in result.errors} == {
        (1, "speaker_shown"),
        (1, "year_shown"),
        (1, "expert_label"),
    }


def test_gold_statements_parse_high_and_low():
    result = importers.parse_study(IPM2021_DIR / "gold_statements.csv")
    assert result.errors == []
    assert {(r.external_id, r.gold_truth, r.is_gold) for r in result.rows} == {
        ("HIGH", "high", True),
        ("LOW", "low", True),
    }


def test_liar_plus_parses_both_splits_including_short_records():
    val = importers.parse_liar_plus(LIAR_DIR / "val2.tsv")
    test = importers.parse_liar_plus(LIAR_DIR / "test2.tsv")
    assert val.errors == [] and test.errors == []
    assert len(val.rows) == 1284
    assert len(test.rows) == 1283
    labels = {row.expert_label for row in val.rows + test.rows}
    assert labels == set(importers.scales.POLITIFACT_LEVELS)  # "pants-fire" was mapped


def test_liar_plus_unbalanced_quotes_stay_in_the_text(tmp_path):
    path = tmp_path / "l.tsv"
    fields = [
        "1",
        "9.json",
        "false",
        'He said "no',
        "s",
        "sp",
        "",
        "",
        "",
        "0",
        "0",
        "0",
        "0",
        "0",
        "ctx",
        "j",
    ]
    path.write_text("\t".join(fields) + "\n\t\n")
    result = importers.parse_liar_plus(path)
    assert result.errors == []
    assert [row.text for row in result.rows] == ['He said "no']


def test_generic_jsonl_reports_bad_json_and_unknown_labels(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(
        '{"id": "a", "claim": "x", "verdict": "high"}\n'
        "not json\n"
        '{"id": "b", "claim": "y", "verdict": "bogus"}\n'
    )
    result = importers.parse_generic(
        path,
        "jsonl",
        "mine",
        ("low", "high"),
        {"external_id": "id", "text": "claim", "expert_label": "verdict"},
    )
    assert [r.external_id for r in result.rows] == ["a"]
    assert [(e.row, e.column) for e in result.errors] == [(2, "*"), (3, "verdict")]


def test_generic_csv_duplicate_ids_are_errors(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("external_id,text,expert_label\na,x,low\na,y,high\n")
    result = importers.parse_generic(path, "csv", "mine", ("low", "high"), {})
    assert [(e.row, e.column) for e in result.errors] == [(3, "external_id")]
