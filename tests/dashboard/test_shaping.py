"""Pure dashboard data shaping: hand-computed tables and specs, no database."""

import pytest

from assessments import dashboard


def test_pseudonym_is_stable_salted_and_hides_the_id():
    one = dashboard.pseudonym("mturk", "A1B2C3", "salt")
    assert one == dashboard.pseudonym("mturk", "A1B2C3", "salt")
    assert one != dashboard.pseudonym("mturk", "A1B2C3", "other salt")
    assert one != dashboard.pseudonym("prolific", "A1B2C3", "salt")
    assert "A1B2C3" not in one and one.startswith("W-") and len(one) == 14


def test_table_csv_writes_header_and_blank_for_none():
    text = dashboard.table_csv(["a", "b"], [[1, None], ["x,y", 2.5]])
    assert text.splitlines() == ["a,b", "1,", '"x,y",2.5']


def test_progress_numbers_cost_is_payment_times_hits():
    numbers = dashboard.progress_numbers(
        collected=450, wanted=1800, hits_completed=50, hits_wanted=200, reward_cents=150
    )
    assert numbers["percent"] == 25.0
    assert numbers["cost_so_far_cents"] == 7500
    assert numbers["cost_to_completion_cents"] == 150 * 150


def test_progress_numbers_without_a_pool():
    numbers = dashboard.progress_numbers(
        collected=0, wanted=0, hits_completed=3, hits_wanted=2, reward_cents=100
    )
    assert numbers["percent"] is None and numbers["cost_to_completion_cents"] == 0


@pytest.mark.parametrize(
    "capacity,wanted,per_hit,gold,expected",
    [(200, 1800, 11, 2, 200), (0, 1800, 11, 2, 200), (0, 10, 11, 2, 2), (0, 5, 1, 3, 5)],
)
def test_hits_wanted(capacity, wanted, per_hit, gold, expected):
    assert (
        dashboard.hits_wanted(
            design_capacity=capacity, wanted=wanted, statements_per_hit=per_hit, gold_per_hit=gold
        )
        == expected
    )


def test_progress_chart_stacks_collected_and_missing():
    chart = dashboard.progress_chart(
        {
            "by_level": [{"dataset": "abc", "level": "negative", "collected": 12, "wanted": 10}],
            "numbers": {"collected": 12, "wanted": 10, "percent": 120.0},
            "active_leases": 2,
        }
    )
    assert chart.rows == [["abc", "negative", 12, 10, 120.0]]
    assert {v["part"]: v["n"] for v in chart.spec["data"]["values"]} == {
        "collected": 12,
        "missing": 0,
    }
    assert "2 HITs in progress" in chart.summary and chart.spec["description"] == chart.summary


def test_funnel_steps_order_and_gate_counts():
    failures = dashboard.gate_failures(
        [
            [{"name": "completeness", "passed": False}, {"name": "gold_ordering", "passed": True}],
            [{"name": "gold_ordering", "passed": False}, {"name": "completeness", "passed": False}],
            [],
        ]
    )
    assert failures == {"completeness": 2, "gold_ordering": 1}
    steps = dashboard.funnel_steps(
        previewed=30,
        entered=12,
        started=10,
        read_instructions=9,
        finished_questionnaires=8,
        submitted=7,
        passed_by_try={2: 1, 1: 4},
        failed_by_gate=failures,
        excluded=1,
        abandoned=2,
        active=1,
    )
    names = [s["step"] for s in steps]
    assert names[:8] == [
        "previewed (MTurk)",
        "entered",
        "started (consented)",
        "read instructions",
        "finished questionnaires",
        "submitted",
        "passed on try 1",
        "passed on try 2",
    ]
    assert {"step": "failed gate: completeness", "n": 2, "kind": "loss"} in steps
    chart = dashboard.funnel_chart({"steps": steps, "median_times": {"statement": 30.0}})
    assert "10 workers started, 5 passed" in chart.summary
    assert "statement 30.0 s" in chart.summary


def test_median_times_by_page_kind():
    times = dashboard.median_times(
        [("statement-0", 10), ("statement-1", 30), ("statement-2", 20), ("q-crt-1", 5), ("x", 9)]
    )
    assert times == {"instructions": None, "questionnaire": 5.0, "statement": 20.0, "final": None}


BY_LEVEL = {
    "0": {"min": -2.0, "q1": -1.5, "median": -1.0, "q3": -0.5, "max": 0.0, "n": 4},
    "2": {"min": 0.0, "q1": 0.5, "median": 1.0, "q3": 1.5, "max": 2.0, "n": 4},
    "1": None,
}


def test_crowd_expert_boxes_use_level_labels_and_offer_switches():
    results = [
        {"dataset": "abc", "aggregation": "mean", "field": "truth", "by_level": BY_LEVEL},
        {"dataset": "abc", "aggregation": "median", "field": "truth", "by_level": BY_LEVEL},
    ]
    chart = dashboard.crowd_expert_boxes(results, {"abc": ["negative", "in-between", "positive"]})
    assert chart.rows[0] == ["abc", "mean", "truth", "0 negative", 4, -2.0, -1.5, -1.0, -0.5, 0.0]
    assert [r[3] for r in chart.rows[:2]] == ["0 negative", "2 positive"]  # None level skipped
    params = {p["name"]: p for p in chart.spec["params"]}
    assert params["aggregation"]["bind"]["options"] == ["mean", "median"]
    assert params["aggregation"]["value"] == "mean"
    assert "abc 0 negative median -1.0" in chart.summary


def test_correlation_table_rounds_and_keeps_missing():
    chart = dashboard.correlation_table(
        [
            {
                "dataset": "abc",
                "aggregation": "mean",
                "field": "truth",
                "n": 6,
                "pearson": 0.123456,
                "pearson_p": None,
                "spearman": 0.5,
                "spearman_p": 0.3,
                "kendall": 0.4,
                "kendall_p": 0.2,
                "accuracy": 1.0,
            }
        ]
    )
    assert chart.rows == [["abc", "mean", "truth", 6, 0.1235, None, 0.5, 0.3, 0.4, 0.2, 1.0]]


def test_agreement_chart_rows_follow_field_order_and_hide_missing_from_spec():
    results = [
        {
            "dataset": "abc",
            "field": field,
            "alpha_interval": alpha,
            "alpha_ordinal": None,
            "interval_ci_low": 0.1,
            "interval_ci_high": 0.9,
            "ordinal_ci_low": None,
            "ordinal_ci_high": None,
            "n_statements": 3,
            "n_judgments": 30,
        }
        for field, alpha in (("b", 0.5), ("a", 0.25))
    ]
    chart = dashboard.agreement_chart(results, ["a", "b"])
    assert [(r[1], r[2]) for r in chart.rows] == [
        ("a", "interval"),
        ("a", "ordinal"),
        ("b", "interval"),
        ("b", "ordinal"),
    ]
    assert [v["alpha"] for v in chart.spec["data"]["values"]] == [0.25, 0.5]


def test_heatmap_names_the_strongest_pairs():
    matrix = {
        "a": {"a": 1.0, "b": 0.2, "c": -0.9},
        "b": {"a": 0.2, "b": 1.0, "c": None},
        "c": {"a": -0.9, "b": None, "c": 1.0},
    }
    chart = dashboard.heatmap_chart(matrix, ["c", "b", "a"], title="t", chart_id="h")
    assert chart.columns == ["field", "c", "b", "a"]
    assert chart.rows[0] == ["c", 1.0, None, -0.9]
    assert "a and c r=-0.9; a and b r=0.2" in chart.summary
    assert len(chart.spec["data"]["values"]) == 9


def test_pca_chart():
    assert dashboard.pca_chart(None).rows == []
    chart = dashboard.pca_chart(
        {
            "n": 10,
            "explained_variance_ratio": [0.75, 0.25],
            "components": [{"a": 0.7, "b": 0.7}, {"a": 0.7, "b": -0.7}],
        }
    )
    assert chart.rows == [["PC1", 0.75, 0.7, 0.7], ["PC2", 0.25, 0.7, -0.7]]
    assert "PC1 explains 75.0%" in chart.summary


def test_learning_chart_sorts_positions_numerically():
    chart = dashboard.learning_chart(
        {
            "10": {"mae": 0.1, "median_time_s": 20.0, "n": 5},
            "2": {"mae": 0.3, "median_time_s": 40.0, "n": 5},
        }
    )
    assert [r[0] for r in chart.rows] == [2, 10]
    assert len(chart.spec["data"]["values"]) == 4


def test_search_helpers():
    assert dashboard.domain_of("https://www.Example.org/x") == "example.org"
    assert dashboard.domain_of("") == ""
    assert dashboard.top_domains(
        ["https://a.org/1", "https://www.a.org/2", "https://b.org", "", "not a url"]
    ) == [("a.org", 2), ("b.org", 1)]
    assert dashboard.queries_histogram([1, 1, 3, 7], judged_pairs=6) == [
        ("0", 2),
        ("1", 2),
        ("2", 0),
        ("3", 1),
        ("4", 0),
        ("5+", 1),
    ]
    charts = dashboard.search_charts({})
    assert [c.id for c in charts] == [
        "search-queries",
        "search-blocked",
        "search-domains",
        "search-no-evidence",
    ]


def test_worker_gold_accuracy_and_crowd_distance():
    gold = dashboard.worker_gold_accuracy(
        [(1, "high", 2), (1, "low", 1), (2, "low", -1), (2, "high", 0), (3, "high", None)], 0.0
    )
    assert gold == {1: (0.5, 2), 2: (0.5, 2)}
    distance = dashboard.worker_crowd_distance(
        [(1, 10, 2.0), (1, 11, -1.0), (1, 12, 0.0), (2, 10, float("nan"))], {10: 1.0, 11: 0.0}
    )
    assert distance == {1: (1.0, 2)}


def test_chart_table_escapes_cells_and_dashes_missing_values():
    from assessments.templatetags.dashboard_tables import chart_table

    chart = dashboard.Chart("t", "T", "s", ["a<b", "c"], [["<script>", None], [1.5, "x"]])
    html = chart_table(chart)
    assert '<th scope="col">a&lt;b</th>' in html
    assert "<td>&lt;script&gt;</td><td>&ndash;</td>" in html
    assert html.count("<tr>") == 3
