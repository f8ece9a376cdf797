"""Quality gates (pure): each passes, fails with its code, and rejects bad options."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from assessments import quality
from assessments.quality import FieldSpec, QuestionnairePage, StatementPage, Submission

T0 = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)
FIELDS = [
    FieldSpec("overall", (-2, -1, 0, 1, 2), requires_evidence=True),
    FieldSpec("confidence", (-2, -1, 0, 1, 2)),
]


def page(position, overall=1, confidence=0, *, seconds=10, url="https://a.example/x", **extra):
    return StatementPage(
        position=position,
        values={"overall": overall, "confidence": confidence},
        evidence_url=url,
        served_at=T0,
        answered_at=T0 + datetime.timedelta(seconds=seconds),
        serp_urls=frozenset({"https://a.example/x"}),
        **extra,
    )


def submission(*pages, questionnaires=(), **extra):
    return Submission(
        fields=FIELDS, statements=list(pages), questionnaires=list(questionnaires), **extra
    )


def gold_pair(high, low):
    return [
        page(0, high, external_id="HIGH", gold_truth="high"),
        page(1, low, external_id="LOW", gold_truth="low"),
    ]


def run(name, sub, **options):
    return quality.gates_run(quality.gates_build([{"name": name, "options": options}]), sub)[0]


def test_registry_holds_the_documented_gates():
    assert {
        "completeness",
        "minimum_time",
        "gold_ordering",
        "evidence_from_serp",
        "justification_length",
        "attention_check",
        "straight_lining",
    } <= set(quality.GATES)


def test_completeness_passes_and_reports_missing_pages():
    assert run("completeness", submission(page(0))).passed
    missing_value = StatementPage(
        position=1, values={"overall": 1}, evidence_url="https://a.example/x"
    )
    no_url = page(2, url="")
    result = run("completeness", submission(page(0), missing_value, no_url))
    assert (result.passed, result.code, result.pages) == (
        False,
        "incomplete",
        ("statement 2", "statement 3"),
    )


def test_completeness_checks_required_questions_and_justification():
    q = QuestionnairePage(
        slug="demographics", answers={"age": "1"}, required=frozenset({"age", "school"})
    )
    result = run("completeness", submission(page(0), questionnaires=[q]))
    assert result.pages == ("demographics",)
    result = run("completeness", submission(page(0), justification="required"))
    assert result.code == "incomplete"


def test_minimum_time_uses_server_times():
    assert run("minimum_time", submission(page(0, seconds=2.0)), seconds=2).passed
    result = run("minimum_time", submission(page(0, seconds=5), page(1, seconds=1.9)), seconds=2)
    assert (result.code, result.pages) == ("too_fast", ("statement 2",))
    fast_q = QuestionnairePage(slug="crt-farmers", answers={}, served_at=T0, answered_at=T0)
    assert (
        run("minimum_time", submission(questionnaires=[fast_q]), pages=["questionnaire"]).code
        == "too_fast"
    )
    assert run("minimum_time", submission(questionnaires=[fast_q]), pages=["statement"]).passed


def test_minimum_time_leaves_questionnaires_of_an_earlier_try_alone():
    carried = QuestionnairePage(
        slug="crt-farmers", answers={}, served_at=T0, answered_at=T0, carried_over=True
    )
    assert run("minimum_time", submission(questionnaires=[carried]), pages=["questionnaire"]).passed


@pytest.mark.parametrize(
    ("high", "low", "strict", "passed"),
    [
        (2, -2, True, True),
        (1, 1, True, False),
        (1, 1, False, True),
        (-1, 1, False, False),
    ],
)
def test_gold_ordering(high, low, strict, passed):
    result = run(
        "gold_ordering",
        submission(*gold_pair(high, low)),
        field="overall",
        higher="HIGH",
        lower="LOW",
        strict=strict,
    )
    assert result.passed is passed
    if not passed:
        assert result.code == "gold_failed"


def test_gold_ordering_matches_by_intended_truth_and_reports_missing_gold():
    pages = [page(0, 2, gold_truth="high"), page(1, -2, gold_truth="low")]
    assert run(
        "gold_ordering", submission(*pages), field="overall", higher="HIGH", lower="LOW"
    ).passed
    assert (
        run("gold_ordering", submission(page(0)), field="overall", higher="HIGH", lower="LOW").code
        == "gold_missing"
    )


def test_evidence_must_come_from_own_serp_and_not_be_blocked():
    assert run("evidence_from_serp", submission(page(0))).passed
    foreign = page(1, url="https://elsewhere.example/")
    assert (
        run("evidence_from_serp", submission(page(0), foreign)).code == "evidence_not_from_search"
    )
    blocked = page(0, evidence_blocked=True)
    assert run("evidence_from_serp", submission(blocked)).code == "evidence_blocked"


def test_justification_length():
    short = page(0, justification="too short")
    sub = submission(short, justification="optional", justification_min_words=5)
    assert run("justification_length", sub).code == "justification_short"
    assert run("justification_length", sub, min_words=2).passed
    assert run(
        "justification_length",
        submission(page(0), justification="optional", justification_min_words=5),
    ).passed


def test_attention_check():
    ok = QuestionnairePage(slug="att", answers={"colour": "2"}, correct={"colour": True})
    wrong = QuestionnairePage(slug="att", answers={"colour": "1"}, correct={"colour": False})
    assert run("attention_check", submission(questionnaires=[ok]), questions=["colour"]).passed
    assert (
        run("attention_check", submission(questionnaires=[wrong]), questions=["colour"]).code
        == "attention_failed"
    )


def test_straight_lining():
    assert (
        run("straight_lining", submission(page(0, 1, 1), page(1, 1, 1))).code == "straight_lining"
    )
    assert run("straight_lining", submission(page(0, 1, 1), page(1, 1, 0))).passed
    assert (
        run("straight_lining", submission(page(0, 1, 0), page(1, 1, 2)), fields=["overall"]).code
        == "straight_lining"
    )


def test_all_gates_run_even_after_a_failure():
    sub = submission(page(0, 1, 1, seconds=0.5), page(1, 1, 1, seconds=0.5))
    results = quality.gates_run(
        quality.gates_build(
            [{"name": "minimum_time"}, {"name": "straight_lining"}, {"name": "completeness"}]
        ),
        sub,
    )
    assert [(r.name, r.passed) for r in results] == [
        ("minimum_time", False),
        ("straight_lining", False),
        ("completeness", True),
    ]


@pytest.mark.parametrize(
    "entries",
    [
        [{"name": "nope"}],
        [{"name": "minimum_time", "options": {"seconds": -1}}],
        [{"name": "minimum_time", "options": {"pages": ["final"]}}],
        [{"name": "minimum_time", "options": {"colour": 1}}],
        [{"name": "gold_ordering", "options": {"field": "x"}}],
        [{"name": "completeness"}, {"name": "completeness"}],
        [{"name": "attention_check"}],
        "not a list",
    ],
)
def test_bad_configuration_is_rejected(entries):
    assert quality.gate_config_errors(entries)
    with pytest.raises(ValidationError):
        quality.gates_build(entries)


def test_the_ipm2021_gate_list_is_valid():
    from assessments.services.studies import IPM2021_GATES

    assert quality.gate_config_errors(IPM2021_GATES) == []
