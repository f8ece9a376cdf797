"""import_statements: idempotent, all or nothing, every bad row named."""

import csv

import pytest
from django.core.management import CommandError, call_command

from assessments.models import Dataset, Statement
from tests.conftest import IPM2021_DIR, ROOT

pytestmark = pytest.mark.django_db


def _import(*args):
    call_command("import_statements", *[str(a) for a in args])


def test_study_statements_import_with_expert_labels_matching_the_file():
    _import(IPM2021_DIR / "statements.csv")
    assert Statement.objects.count() == 180
    expected = {
        row["statement_id"]: (row["dataset"], row["expert_label"], int(row["expert_ordinal"]))
        for row in csv.DictReader((IPM2021_DIR / "statements.csv").open())
    }
    stored = {
        s.external_id: (s.dataset.name, s.expert_level.label, s.expert_level.ordinal)
        for s in Statement.objects.select_related("dataset", "expert_level")
    }
    assert stored == expected
    assert list(Dataset.objects.get(name="abc").levels.values_list("label", flat=True)) == [
        "negative",
        "in-between",
        "positive",
    ]


def test_second_import_updates_instead_of_duplicating(tmp_path):
    _import(IPM2021_DIR / "statements.csv")
    _import(IPM2021_DIR / "statements.csv")
    assert Statement.objects.count() == 180
    rows = list(csv.DictReader((IPM2021_DIR / "statements.csv").open()))
    rows[5]["speaker_shown"] = "Someone Else"
    changed = tmp_path / "statements.csv"
    with changed.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    _import(changed)
    assert Statement.objects.count() == 180
    assert Statement.objects.get(external_id=rows[5]["statement_id"]).speaker == "Someone Else"


def test_one_bad_row_imports_nothing_and_is_named(tmp_path):
    rows = list(csv.DictReader((IPM2021_DIR / "statements.csv").open()))
    rows[41]["expert_label"] = "mostly-flase"
    bad = tmp_path / "statements.csv"
    with bad.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(CommandError) as excinfo:
        _import(bad)
    assert "row 43, column expert_label: 'mostly-flase' is not a level of" in str(excinfo.value)
    assert "1 error(s)" in str(excinfo.value)
    assert Statement.objects.count() == 0
    assert Dataset.objects.count() == 0


def test_every_bad_row_is_listed(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "statement_id,dataset,text,speaker_shown,year_shown,expert_label\n"
        "A,politifact,ok,x,2010,true\n"
        "B,politifact,,x,20a0,true\n"
        "C,nope,hi,x,2010,true\n"
    )
    with pytest.raises(CommandError) as excinfo:
        _import(path)
    message = str(excinfo.value)
    assert "row 3, column text: is empty" in message
    assert "row 3, column year_shown: '20a0' is not a four-digit year" in message
    assert "row 4, column dataset: 'nope' is not one of politifact, abc" in message
    assert Statement.objects.count() == 0


def test_gold_statements_go_to_the_gold_dataset():
    _import(IPM2021_DIR / "gold_statements.csv")
    gold = Statement.objects.filter(is_gold=True).order_by("external_id")
    assert [(s.external_id, s.gold_truth, s.dataset.name) for s in gold] == [
        ("HIGH", "high", "gold"),
        ("LOW", "low", "gold"),
    ]
    assert all(s.expert_level is None for s in gold)


def test_liar_plus_skips_the_study_statements_it_contains():
    _import(IPM2021_DIR / "statements.csv")
    _import(ROOT / "data" / "liar-plus" / "val2.tsv", "--format", "liar-plus")
    _import(ROOT / "data" / "liar-plus" / "test2.tsv", "--format", "liar-plus")
    liar = Statement.objects.filter(dataset__name="liar-plus")
    study_liar_ids = set(
        Statement.objects.filter(dataset__name="politifact").values_list(
            "metadata__liar_id", flat=True
        )
    )
    assert liar.count() == 2567 - 23
    assert not study_liar_ids & set(liar.values_list("external_id", flat=True))


def test_generic_csv_with_column_mapping_and_new_scale(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text(
        "id,claim,verdict,who,when\nc1,Sky is green,fake,Ann,2019\nc2,Sky is blue,real,Bob,2020\n"
    )
    _import(
        path,
        "--dataset",
        "mine",
        "--scale",
        "fake,real",
        "--map",
        "external_id=id",
        "--map",
        "text=claim",
        "--map",
        "expert_label=verdict",
        "--map",
        "speaker=who",
        "--map",
        "year=when",
    )
    c2 = Statement.objects.get(external_id="c2")
    assert (c2.text, c2.speaker, c2.year, c2.expert_level.label, c2.expert_level.ordinal) == (
        "Sky is blue",
        "Bob",
        2020,
        "real",
        1,
    )


def test_generic_import_without_dataset_is_refused(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text("external_id,text,expert_label\na,b,c\n")
    with pytest.raises(CommandError, match="--dataset"):
        _import(path, "--format", "csv")
