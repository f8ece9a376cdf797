"""Phi agreement (Checco et al., HCOMP 2017) by MCMC with PyMC, from per-item ratings (pure).

Checco, Roitero, Maddalena, Mizzaro, Demartini: "Let's Agree to Disagree: Fixing Agreement
Measures for Crowdsourcing", HCOMP 2017, pp. 11-20. The authors' reference implementation
(PyMC3) is github.com/AlessandroChecco/agreement-phi; this is an independent implementation of
the same model and summary for PyMC 5. docs/analysis.md ("Phi agreement") states the model and
every point where this module could have differed from the reference and does not.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# The reference's defaults: flat Normal priors (sd 1e6) centred on precision 2 (the uniform
# distribution, Phi = 0) and on the middle of the scale; a 95% highest-density interval; Rhat of
# the precision within 0.1 of 1 as its convergence test.
PRIOR_SD = 1e6
PRIOR_PRECISION = 2.0
HDI_PROB = 0.95
RHAT_TOLERANCE = 0.1


@dataclass(frozen=True)
class PhiResult:
    """Phi at the posterior mean precision, Phi at the precision's 95% HDI ends, diagnostics."""

    phi: float
    hdi95: tuple[float, float]
    precision: float
    r_hat: float
    converged: bool
    n_items: int
    n_ratings: int


def phi_from_precision(precision):
    """Map Beta precision to Phi: 1 - 2 ** (1 - precision / 2).

    Precision 2 with a centred mean is the uniform distribution (Phi 0); Phi tends to 1 as the
    precision grows (ratings concentrate) and to -1 as it falls to 0 (ratings at both ends).
    """
    return 1 - 2 * np.exp(-np.log(2) * np.asarray(precision, dtype=float) / 2)


def rescaled(values, limits: tuple[float, float], width: int) -> np.ndarray:
    """Map ratings on `limits` into the open interval (0, 1) as the reference does.

    First to [0, 1], then Smithson and Verkuilen's squeeze (y (w - 1) + 1/2) / w, so a Beta
    density is finite at every rating. The reference takes w as the row length of its
    items x ratings matrix after dropping NaNs, i.e. the largest number of ratings of any item.
    """
    low, high = limits
    unit = (np.asarray(values, dtype=float) - low) / (high - low)
    return (unit * (width - 1) + 0.5) / width


def phi_from_counts(
    counts: np.ndarray,
    domain: Sequence[float],
    *,
    limits: tuple[float, float] | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    seed: int = 123,
) -> PhiResult | None:
    """Return Phi for `counts` (items x values, columns in `domain` order), None if undefined.

    Counts are the analysis's per-statement histograms: item i has counts[i, v] ratings equal to
    domain[v]. Items without ratings are left out; Phi is undefined when no item has two ratings
    or the scale has a single value. `limits` defaults to the ends of `domain` (the reference
    infers them from the data, which misreads a scale whose end values were never used).
    """
    counts = np.asarray(counts, dtype=np.int64)
    domain = np.asarray(domain, dtype=float)
    counts = counts[counts.sum(axis=1) > 0]
    limits = (float(domain[0]), float(domain[-1])) if limits is None else limits
    if len(counts) == 0 or counts.sum(axis=1).max() < 2 or limits[1] <= limits[0]:
        return None
    y = rescaled(domain, limits, int(counts.sum(axis=1).max()))
    # Per item, the Beta log-likelihood depends on the ratings only through their number and
    # the sums of log y and log (1 - y): the same posterior as one observation per rating.
    return _sample(
        n=counts.sum(axis=1).astype(float),
        log_y=counts @ np.log(y),
        log_1my=counts @ np.log1p(-y),
        draws=draws,
        tune=tune,
        chains=chains,
        seed=seed,
    )


def phi(
    ratings: Sequence[Sequence[float]],
    limits: tuple[float, float],
    **options,
) -> PhiResult | None:
    """Return Phi for each item's list of ratings on the scale `limits` (see phi_from_counts)."""
    lists = [np.asarray(r, dtype=float) for r in ratings]
    lists = [r[~np.isnan(r)] for r in lists]
    lists = [r for r in lists if len(r)]
    if not lists:
        return None
    for r in lists:
        if ((r < limits[0]) | (r > limits[1])).any():
            raise ValueError(f"ratings {sorted(set(r.tolist()))} fall outside limits {limits}")
    domain = np.unique(np.concatenate(lists))
    counts = np.stack(
        [np.bincount(np.searchsorted(domain, r), minlength=len(domain)) for r in lists]
    )
    return phi_from_counts(counts, domain, limits=limits, **options)


def _sample(*, n, log_y, log_1my, draws, tune, chains, seed) -> PhiResult:
    # Imported here: PyMC takes seconds to import and only this opt-in analysis needs it.
    import arviz
    import pymc as pm
    import pytensor.tensor as pt

    with pm.Model():
        # The reference's priors are Normal(2, 1e6) on the precision and Normal(1/2, 1e6) on each
        # item's mean, left unbounded so the Beta likelihood rejects precision <= 0 and means
        # outside (0, 1). Truncating the same Normals to that support is the same posterior, and
        # lets PyMC sample on an unbounded (log / logit) scale with NUTS.
        precision = pm.TruncatedNormal("precision", mu=PRIOR_PRECISION, sigma=PRIOR_SD, lower=0.0)
        mean = pm.TruncatedNormal(
            "mean", mu=0.5, sigma=PRIOR_SD, lower=0.0, upper=1.0, shape=len(n)
        )
        alpha = mean * precision
        beta = (1 - mean) * precision
        log_beta_fn = pt.gammaln(alpha) + pt.gammaln(beta) - pt.gammaln(precision)
        pm.Potential(
            "ratings", ((alpha - 1) * log_y + (beta - 1) * log_1my - n * log_beta_fn).sum()
        )
        trace = pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=1,
            random_seed=seed,
            progressbar=False,
            compute_convergence_checks=False,
        )
    samples = trace.posterior["precision"]
    r_hat = float(arviz.rhat(samples)["precision"]) if chains > 1 else float("nan")
    low, high = arviz.hdi(samples, hdi_prob=HDI_PROB)["precision"].to_numpy()
    mean_precision = float(samples.mean())
    return PhiResult(
        phi=float(phi_from_precision(mean_precision)),
        hdi95=(float(phi_from_precision(low)), float(phi_from_precision(high))),
        precision=mean_precision,
        r_hat=r_hat,
        converged=bool(np.isfinite(r_hat) and abs(r_hat - 1) <= RHAT_TOLERANCE),
        n_items=len(n),
        n_ratings=int(n.sum()),
    )
