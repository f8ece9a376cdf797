"""Krippendorff's alpha from value counts: hand-worked cases and the krippendorff package."""

import krippendorff
import numpy as np
import pytest

from assessments import agreement

DOMAIN = [-2, -1, 0, 1, 2]


def _random_counts(seed, units=60, raters=5):
    rng = np.random.default_rng(seed)
    dense = rng.integers(-2, 3, size=(raters, units)).astype(float)
    dense[rng.random(dense.shape) < 0.2] = np.nan  # missing values
    counts = np.stack([(dense == v).sum(axis=0) for v in DOMAIN], axis=1)
    return dense, counts


def test_hand_worked_interval_alpha():
    # Units (1,1), (2,2), (1,2): o11 = o22 = 2, o12 = o21 = 1, n1 = n2 = 3, n = 6;
    # alpha = 1 - (n - 1) * sum(o * d) / sum(n_c * n_k * d) = 1 - 5 * 2 / 18 = 4/9.
    counts = np.array([[2, 0], [0, 2], [1, 1]])
    assert agreement.value_count_alpha(counts, [1, 2], "interval") == pytest.approx(4 / 9)


def test_alpha_is_undefined_without_pairable_units_or_variation():
    assert agreement.value_count_alpha(np.array([[1, 0], [0, 1]]), [1, 2], "interval") is None
    assert agreement.value_count_alpha(np.array([[3, 0], [2, 0]]), [1, 2], "interval") is None


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("level", ["interval", "ordinal"])
def test_value_counts_give_the_same_alpha_as_a_dense_matrix(seed, level):
    dense, counts = _random_counts(seed)
    expected = krippendorff.alpha(
        reliability_data=dense, value_domain=DOMAIN, level_of_measurement=level
    )
    assert agreement.value_count_alpha(counts, DOMAIN, level) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("level", ["interval", "ordinal"])
def test_weighted_unit_coincidences_reproduce_alpha_of_a_resample(level):
    _, counts = _random_counts(7)
    rng = np.random.default_rng(3)
    for _ in range(5):
        drawn = rng.integers(0, len(counts), size=len(counts))
        weights = np.bincount(drawn, minlength=len(counts)).astype(float)
        o = (weights @ agreement.unit_coincidences(counts)).reshape(1, 5, 5)
        expected = krippendorff.alpha(
            value_counts=counts[drawn], value_domain=DOMAIN, level_of_measurement=level
        )
        assert agreement.coincidence_alpha(o, DOMAIN, level)[0] == pytest.approx(expected)


def test_bootstrap_interval_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(0)
    truth = rng.integers(-2, 3, size=400)
    noisy = np.clip(truth[None, :] + rng.integers(-1, 2, size=(8, 400)), -2, 2)
    counts = np.stack([(noisy == v).sum(axis=0) for v in DOMAIN], axis=1)
    first = agreement.bootstrap_alpha_interval(counts, DOMAIN, samples=500, seed=1)
    again = agreement.bootstrap_alpha_interval(counts, DOMAIN, samples=500, seed=1)
    other = agreement.bootstrap_alpha_interval(counts, DOMAIN, samples=500, seed=2)
    assert first == again
    assert first != other
    for level in ("interval", "ordinal"):
        low, high = first[level]
        estimate = agreement.value_count_alpha(counts, DOMAIN, level)
        assert low < estimate < high
        assert high - low < 0.1


def test_bootstrap_matches_unit_resampling_in_distribution():
    # The pattern-multinomial shortcut must behave like resampling units with replacement.
    _, counts = _random_counts(11, units=200)
    rng = np.random.default_rng(5)
    direct = [
        agreement.value_count_alpha(counts[rng.integers(0, 200, 200)], DOMAIN, "interval")
        for _ in range(2000)
    ]
    low, high = np.percentile(direct, [2.5, 97.5])
    ci = agreement.bootstrap_alpha_interval(counts, DOMAIN, samples=2000, seed=0)["interval"]
    assert ci[0] == pytest.approx(low, abs=0.01)
    assert ci[1] == pytest.approx(high, abs=0.01)


def test_empty_input_gives_no_interval():
    empty = np.zeros((0, 5), dtype=int)
    assert agreement.bootstrap_alpha_interval(empty, DOMAIN, samples=10, seed=0) == {
        "interval": None,
        "ordinal": None,
    }


def test_alpha_from_count_patterns_equals_alpha_from_every_unit():
    _, counts = _random_counts(5, units=300)
    patterns, frequency = agreement.count_patterns(counts)
    assert frequency.sum() == len(counts) and len(patterns) < len(counts)
    assert (np.diff(frequency) <= 0).all()  # most frequent first
    for level in agreement.LEVELS:
        assert agreement.value_count_alpha(
            patterns, DOMAIN, level, frequency
        ) == agreement.value_count_alpha(counts, DOMAIN, level)
    direct = agreement.bootstrap_alpha_interval(counts, DOMAIN, samples=50, seed=3)
    given = agreement.bootstrap_alpha_interval(
        patterns, DOMAIN, samples=50, seed=3, frequency=frequency
    )
    assert direct == given and direct["interval"] is not None
