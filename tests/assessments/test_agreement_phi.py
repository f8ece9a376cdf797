"""Phi agreement: the reference's model and summary, checked against exact quadrature."""

import numpy as np
import pytest
from scipy import special

from assessments.agreement_phi import phi, phi_from_counts, phi_from_precision, rescaled

# Few draws keep each fit to seconds; the tolerances below allow for their Monte Carlo error.
FAST = {"draws": 300, "tune": 300}

# The reference repository's quick_example notebook: five documents, ten ratings of 0..4 each,
# run with limits [0, 5]; it printed agreement 0.2374 with interval [-0.1087, 0.4494] (a short
# Metropolis run, N=150).
NOTEBOOK = [
    [4, 1, 3, 2, 4, 2, 0, 3, 0, 3],
    [1, 0, 4, 1, 0, 0, 2, 3, 3, 1],
    [4, 0, 1, 0, 2, 0, 0, 0, 4, 4],
    [4, 4, 3, 4, 2, 3, 1, 0, 2, 2],
    [0, 2, 1, 0, 1, 0, 2, 4, 3, 3],
]


def quadrature_mean_precision(counts, domain, limits) -> float:
    """Posterior mean precision of the same model by numerical integration (no sampling).

    Each item's mean is integrated out on a fine grid of (0, 1) under its flat prior, then the
    precision's marginal posterior is normalised on a log-spaced grid: an independent check of
    the MCMC for posteriors concentrated at moderate precision.
    """
    counts = np.asarray(counts)
    y = rescaled(np.asarray(domain, dtype=float), limits, int(counts.sum(axis=1).max()))
    mean = (np.arange(4000) + 0.5) / 4000
    precision = np.exp(np.linspace(np.log(0.05), np.log(200), 1500))
    a = mean[None, :, None] * precision[:, None, None]
    b = (1 - mean)[None, :, None] * precision[:, None, None]
    log_pdf = (a - 1) * np.log(y) + (b - 1) * np.log1p(-y) - special.betaln(a, b)
    total = np.zeros(len(precision))
    for row in counts:
        item = (log_pdf * row).sum(axis=2)
        top = item.max(axis=1, keepdims=True)
        total += top[:, 0] + np.log(np.exp(item - top).mean(axis=1))
    weight = np.exp(total - total.max()) * precision  # d(precision) = precision d(log precision)
    return float((weight * precision).sum() / weight.sum())


def _counts(ratings, n_values):
    return np.stack([np.bincount(r, minlength=n_values) for r in ratings])


def test_phi_maps_precision_as_the_paper():
    assert phi_from_precision(2.0) == pytest.approx(0.0)  # uniform Beta(1, 1)
    assert phi_from_precision(0.0) == pytest.approx(-1.0)
    assert phi_from_precision(6.0) == pytest.approx(0.75)  # 1 - 2 ** -2
    assert phi_from_precision(200.0) == pytest.approx(1.0)


def test_rescaling_squeezes_the_scale_ends_into_the_open_interval():
    assert rescaled([0, 2, 4], (0, 4), 10).tolist() == pytest.approx([0.05, 0.5, 0.95])


def test_reference_notebook_example_matches_quadrature_and_the_reference():
    # HDI ends need more draws than the mean to settle.
    result = phi(NOTEBOOK, (0, 5), seed=1, draws=1500, tune=500)
    exact = quadrature_mean_precision(_counts(NOTEBOOK, 6), range(6), (0, 5))
    assert exact == pytest.approx(2.718, abs=0.01)
    assert result.precision == pytest.approx(exact, abs=0.1)
    assert result.phi == pytest.approx(float(phi_from_precision(exact)), abs=0.03)
    # The reference's own short run lands within its Monte Carlo error of ours.
    assert result.phi == pytest.approx(0.2374, abs=0.05)
    assert result.hdi95[0] == pytest.approx(-0.1087, abs=0.08)
    assert result.hdi95[1] == pytest.approx(0.4494, abs=0.05)
    assert result.converged and result.n_items == 5 and result.n_ratings == 50


def test_perfect_agreement_gives_phi_near_one():
    ratings = [[v] * 10 for v in (0, 1, 2, 3, 4, 2, 1, 3)]
    result = phi(ratings, (0, 4), seed=0, **FAST)
    assert result.phi > 0.99
    assert result.hdi95[0] > 0.99


def test_uniform_random_ratings_give_phi_near_zero():
    rng = np.random.default_rng(7)
    ratings = rng.integers(0, 5, size=(60, 10))
    counts = _counts(ratings, 5)
    result = phi_from_counts(counts, range(5), seed=0, **FAST)
    exact = quadrature_mean_precision(counts, range(5), (0, 4))
    assert result.precision == pytest.approx(exact, abs=0.1)
    # Discrete uniform ratings spread a little more than the uniform Beta(1, 1): slightly below 0.
    assert -0.25 < result.phi < 0.05
    assert result.hdi95[0] < result.phi < result.hdi95[1]


def test_seeded_runs_are_reproducible_and_the_seed_matters():
    first = phi(NOTEBOOK, (0, 5), seed=3, **FAST)
    assert phi(NOTEBOOK, (0, 5), seed=3, **FAST) == first
    assert phi(NOTEBOOK, (0, 5), seed=4, **FAST).precision != first.precision


def test_ragged_lists_equal_their_counts():
    ratings = [[1, 2, 2], [5, 4], [3, 3, 3, 2], [float("nan"), 1, 1]]
    from_lists = phi(ratings, (1, 5), seed=0, **FAST)
    counts = [[1, 2, 0, 0, 0], [0, 0, 0, 1, 1], [0, 1, 3, 0, 0], [2, 0, 0, 0, 0]]
    assert phi_from_counts(np.array(counts), [1, 2, 3, 4, 5], seed=0, **FAST) == from_lists
    assert from_lists.n_items == 4 and from_lists.n_ratings == 11


def test_undefined_without_two_ratings_on_an_item_and_bad_ratings_are_refused():
    assert phi([[1], [2], []], (1, 5)) is None
    assert phi_from_counts(np.zeros((3, 5), dtype=int), range(5)) is None
    with pytest.raises(ValueError, match="outside limits"):
        phi([[1, 9]], (1, 5))
