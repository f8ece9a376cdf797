"""Pure aggregation: hand-worked cases and scipy/numpy as the independent computation."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from assessments import aggregation
from assessments.aggregation import FieldSpec

DOMAIN = (-2, -1, 0, 1, 2)
TRUTH = FieldSpec(slug="truth", domain=DOMAIN)


def test_value_counts_skip_missing_and_reject_off_scale_values():
    codes = np.array([0, 0, 1, 1, 1])
    counts = aggregation.value_counts(codes, np.array([-2, 2, np.nan, 0, 0]), DOMAIN, 2)
    assert counts.tolist() == [[1, 0, 0, 0, 1], [0, 0, 2, 0, 0]]
    with pytest.raises(ValueError, match="not on the scale"):
        aggregation.value_counts(codes, np.array([3, 0, 0, 0, 0]), DOMAIN, 2)


def test_count_summary_hand_worked():
    # Values -2, -1, -1, 2, 2, 2: mean 1/3, median (-1 + 2) / 2, majority 2.
    summary = aggregation.count_summary(np.array([[1, 2, 0, 0, 3]]), DOMAIN)
    assert summary["n"][0] == 6
    assert summary["mean"][0] == pytest.approx(1 / 3)
    assert summary["median"][0] == 0.5
    assert summary["majority"][0] == 2
    assert summary["sd"][0] == pytest.approx(np.std([-2, -1, -1, 2, 2, 2], ddof=1))


@pytest.mark.parametrize(
    ("counts", "majority"),
    [
        ([1, 1, 0, 0, 0], -2),  # -2 and -1 equally near the mean -1.5: the lower wins
        ([0, 1, 0, 2, 2], 1),  # 1 and 2 tie; mean 1.0 is nearer to 1
        ([2, 0, 0, 0, 2], -2),  # -2 and 2 equally far from 0: the lower
        ([0, 0, 0, 0, 1], 2),
    ],
)
def test_majority_ties_go_to_the_value_nearest_the_mean_then_lower(counts, majority):
    assert aggregation.count_summary(np.array([counts]), DOMAIN)["majority"][0] == majority


def test_count_summary_matches_numpy_on_random_units():
    rng = np.random.default_rng(0)
    for _ in range(200):
        values = rng.integers(-2, 3, size=rng.integers(1, 12))
        counts = np.array([[np.sum(values == v) for v in DOMAIN]])
        summary = aggregation.count_summary(counts, DOMAIN)
        assert summary["mean"][0] == pytest.approx(values.mean())
        assert summary["median"][0] == np.median(values)
        if len(values) > 1:
            assert summary["sd"][0] == pytest.approx(values.std(ddof=1))
        else:
            assert np.isnan(summary["sd"][0])
        assert summary["majority"][0] in values


def _judgments(rows):
    return pd.DataFrame(rows, columns=["statement", "worker", "position", "time_s", "truth"])


def _statements(rows):
    return pd.DataFrame(
        rows,
        columns=[
            "id",
            "external_id",
            "dataset",
            "expert_level",
            "n_levels",
            "is_gold",
            "gold_truth",
        ],
    ).set_index("id")


def test_gold_weights_are_laplace_smoothed_gold_accuracy():
    statements = _statements(
        [
            (1, "HIGH", "gold", np.nan, np.nan, True, "high"),
            (2, "LOW", "gold", np.nan, np.nan, True, "low"),
            (3, "S", "politifact", 2.0, 6.0, False, ""),
        ]
    )
    judgments = _judgments(
        [
            (1, 10, 0, 1.0, 2),  # worker 10: both gold right -> (2 + 1) / (2 + 2)
            (2, 10, 1, 1.0, -1),
            (1, 11, 0, 1.0, 0),  # worker 11: midpoint is not right -> (0 + 1) / (2 + 2)
            (2, 11, 1, 1.0, 1),
            (3, 12, 0, 1.0, 1),  # worker 12: no gold -> prior
        ]
    )
    weights = aggregation.gold_weights(judgments, statements, TRUTH)
    assert weights.to_dict() == {10: 0.75, 11: 0.25, 12: 0.5}


def test_weighted_mean_uses_the_worker_weights():
    judgments = _judgments([(3, 10, 0, 1.0, 2), (3, 11, 0, 1.0, -2)])
    weights = pd.Series({10: 0.75, 11: 0.25})
    rows = aggregation.statement_aggregates(judgments, [TRUTH], weights)
    assert rows.loc[0, "weighted_mean"] == pytest.approx((0.75 * 2 - 0.25 * 2) / 1.0)
    assert rows.loc[0, "mean"] == 0
    assert aggregation.histograms(rows, 5).tolist() == [[1, 0, 0, 0, 1]]


def test_correlations_match_scipy():
    rng = np.random.default_rng(1)
    x = rng.normal(size=50)
    y = x + rng.normal(size=50)
    x[3] = np.nan
    result = aggregation.correlations(x, y)
    keep = ~np.isnan(x)
    assert result["n"] == 49
    assert result["pearson"] == pytest.approx(stats.pearsonr(x[keep], y[keep])[0])
    assert result["spearman_p"] == pytest.approx(stats.spearmanr(x[keep], y[keep])[1])
    tau = stats.kendalltau(x[keep], y[keep], variant="b")
    assert result["kendall"] == pytest.approx(tau.statistic)
    assert result["kendall_p"] == pytest.approx(tau.pvalue)


def test_correlations_are_none_when_undefined():
    result = aggregation.correlations(np.array([1.0, 1.0, 1.0]), np.array([0.0, 1.0, 2.0]))
    assert result["pearson"] is None and result["kendall_p"] is None


def test_correlation_matrix_of_one_judgment_is_undefined():
    frame = pd.DataFrame({"a": [1.0], "b": [2.0]})
    assert aggregation.correlation_matrix(frame) == {
        "a": {"a": None, "b": None},
        "b": {"a": None, "b": None},
    }


def test_five_numbers_and_binary_accuracy():
    assert aggregation.five_numbers(np.array([1.0, 2.0, 3.0, 4.0, np.nan])) == {
        "min": 1.0,
        "q1": 1.75,
        "median": 2.5,
        "q3": 3.25,
        "max": 4.0,
        "n": 4,
    }
    # crowd > 0 vs expert > 0.5: agree, agree, disagree, (missing), agree
    crowd = np.array([1.0, -1.0, 0.0, 2.0, -2.0])
    expert = np.array([0.8, 0.2, 0.6, np.nan, 0.5])
    assert aggregation.binary_accuracy(crowd, 0.0, expert) == 0.75


def test_position_summary():
    result = aggregation.position_summary(
        np.array([0, 0, 1]), np.array([0.5, -0.25, 0.1]), np.array([10.0, 30.0, 5.0])
    )
    assert result[0] == {"mae": 0.375, "median_time_s": 20.0, "n": 2}
    assert result[1]["n"] == 1


def test_correlation_matrix_and_pca():
    rng = np.random.default_rng(2)
    base = rng.normal(size=200)
    frame = pd.DataFrame({"a": base, "b": base + rng.normal(scale=0.1, size=200)})
    frame["c"] = rng.normal(size=200)
    matrix = aggregation.correlation_matrix(frame)
    assert matrix["a"]["b"] == pytest.approx(np.corrcoef(frame["a"], frame["b"])[0, 1])
    spearman = aggregation.correlation_matrix(frame, "spearman")
    assert spearman["a"]["c"] == pytest.approx(stats.spearmanr(frame["a"], frame["c"])[0])
    frame.loc[0, "a"] = np.nan  # pairwise complete: the missing row drops from pairs with a
    gappy = aggregation.correlation_matrix(frame)
    assert gappy["a"]["b"] == pytest.approx(np.corrcoef(frame["a"][1:], frame["b"][1:])[0, 1])
    assert gappy["b"]["c"] == pytest.approx(np.corrcoef(frame["b"], frame["c"])[0, 1])
    pca = aggregation.pca_summary(frame)
    assert sum(pca["explained_variance_ratio"]) == pytest.approx(1.0)
    assert pca["explained_variance_ratio"][0] > 0.6  # a and b share one component


def test_prediction_reports_classifiers_and_a_majority_baseline():
    rng = np.random.default_rng(3)
    target = np.array([0] * 60 + [1] * 30)
    features = target[:, None] + rng.normal(scale=0.3, size=(90, 3))
    result = aggregation.prediction_scores(features, target, folds=5, seed=0)
    assert set(aggregation.CLASSIFIERS) <= set(result)
    assert result["baseline"]["accuracy"] == pytest.approx(60 / 90)
    assert result["random_forest"]["accuracy"] > 0.9
    assert aggregation.prediction_scores(features, np.zeros(90), folds=5, seed=0) is None


@pytest.mark.parametrize("method", aggregation.LATENT_METHODS)
def test_latent_labels_recover_a_clear_consensus(method):
    tasks = np.repeat(np.arange(6), 5)
    workers = np.tile(np.arange(5), 6)
    labels = np.repeat(np.array([-2, -1, 0, 1, 2, 2]), 5).astype(float)
    labels[0] = 2  # one dissenting worker
    result = aggregation.latent_labels(tasks, workers, labels, method)
    assert result.to_dict() == {0: -2, 1: -1, 2: 0, 3: 1, 4: 2, 5: 2}


@pytest.mark.parametrize("seed", range(4))
def test_tied_correlations_match_scipy(seed):
    # Crowd means over ten 5-point judgments against six expert levels: heavily tied, so Spearman
    # and Kendall come from the contingency table; scipy sorts every value.
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 6, size=500).astype(float)
    x = np.clip(np.round(y * 0.6 - 1.5 + rng.normal(size=500), 1), -2, 2)
    x[rng.random(500) < 0.05] = np.nan
    result = aggregation.correlations(x, y)
    keep = ~np.isnan(x)
    pearson = stats.pearsonr(x[keep], y[keep])
    spearman = stats.spearmanr(x[keep], y[keep])
    kendall = stats.kendalltau(x[keep], y[keep], variant="b")
    assert result["n"] == keep.sum()
    assert result["pearson"] == pytest.approx(pearson.statistic, rel=1e-9)
    assert result["pearson_p"] == pytest.approx(pearson.pvalue, rel=1e-6)
    assert result["spearman"] == pytest.approx(spearman.statistic, rel=1e-9)
    assert result["spearman_p"] == pytest.approx(spearman.pvalue, rel=1e-6)
    assert result["kendall"] == pytest.approx(kendall.statistic, rel=1e-9)
    assert result["kendall_p"] == pytest.approx(kendall.pvalue, rel=1e-6)


def test_perfect_correlation_has_p_zero_and_ranks_average_ties():
    x = np.array([1.0, 2.0, 2.0, 3.0, 4.0])
    result = aggregation.correlations(x, 2 * x)
    assert result["pearson"] == pytest.approx(1.0) and result["pearson_p"] == 0.0
    assert result["kendall"] == pytest.approx(1.0)
    values = np.array([0.3, -1.0, 0.3, 2.0, 0.3, -1.0])
    assert aggregation.average_ranks(values).tolist() == stats.rankdata(values).tolist()
