"""Krippendorff's alpha from per-unit value counts, with seeded bootstrap intervals (pure)."""

from collections.abc import Sequence

import krippendorff
import numpy as np

LEVELS = ("interval", "ordinal")


def value_count_alpha(counts: np.ndarray, domain: Sequence[int], level: str) -> float | None:
    """Return alpha for `counts` (units x values, columns in `domain` order), None if undefined.

    The counts are what the `krippendorff` package takes as `value_counts`; alpha is undefined when
    no unit has two values or every value is the same (zero expected disagreement).
    """
    counts = np.asarray(counts)
    if counts.size == 0 or (counts.sum(axis=1) < 2).all():
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        value = krippendorff.alpha(
            value_counts=counts, value_domain=list(domain), level_of_measurement=level
        )
    return float(value) if np.isfinite(value) else None


def unit_coincidences(counts: np.ndarray) -> np.ndarray:
    """Return each unit's contribution to the coincidence matrix, flattened (units x V*V).

    Alpha's coincidence matrix is the sum of these rows, so a bootstrap replicate is a weighted sum
    (weights = how often each unit was drawn) and never needs a worker x unit matrix.
    """
    counts = np.asarray(counts, dtype=np.float64)
    n_units, n_values = counts.shape
    pairable = counts.sum(axis=1)
    outer = counts[:, :, None] * counts[:, None, :]
    outer[:, np.arange(n_values), np.arange(n_values)] -= counts
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = outer / np.maximum(pairable - 1, 1)[:, None, None]
    scaled[pairable < 2] = 0.0
    return scaled.reshape(n_units, n_values * n_values)


def coincidence_alpha(coincidences: np.ndarray, domain: Sequence[int], level: str) -> np.ndarray:
    """Return alpha for each coincidence matrix in `coincidences` (R x V x V); NaN if undefined.

    The same formula as `krippendorff.alpha`, vectorised over bootstrap replicates.
    """
    o = np.asarray(coincidences, dtype=np.float64)
    domain = np.asarray(domain, dtype=np.float64)
    n_values = len(domain)
    n_v = o.sum(axis=1)  # R x V
    total = n_v.sum(axis=1)  # R
    with np.errstate(divide="ignore", invalid="ignore"):
        e = (n_v[:, :, None] * n_v[:, None, :] - n_v[:, :, None] * np.eye(n_values)) / (total - 1)[
            :, None, None
        ]
        if level == "interval":
            d = np.broadcast_to((domain[:, None] - domain[None, :]) ** 2, o.shape)
        elif level == "ordinal":
            # d(c, k) = (sum of n_g for g between c and k, inclusive, - (n_c + n_k) / 2) ** 2
            cumulative = np.concatenate([np.zeros((len(o), 1)), np.cumsum(n_v, axis=1)], axis=1)
            idx = np.arange(n_values)
            low, high = np.minimum.outer(idx, idx), np.maximum.outer(idx, idx)
            between = cumulative[:, high + 1] - cumulative[:, low]
            d = (between - (n_v[:, :, None] + n_v[:, None, :]) / 2) ** 2
        else:
            raise ValueError(f"unsupported level of measurement {level!r}")
        alpha = 1 - (o * d).sum(axis=(1, 2)) / (e * d).sum(axis=(1, 2))
    return alpha


def bootstrap_alpha_intervals(
    counts_by_field: Sequence[np.ndarray],
    domains: Sequence[Sequence[int]],
    *,
    samples: int,
    seed: int,
    confidence: float = 0.95,
    levels: Sequence[str] = LEVELS,
    chunk: int = 50,
) -> list[dict[str, tuple[float, float] | None]]:
    """Return a percentile interval per field and level, resampling units with replacement.

    All fields share the same unit draws (the units are the rows of every count matrix), so the
    intervals of one dataset come from one set of replicates; `seed` makes them reproducible.
    """
    n_units = counts_by_field[0].shape[0] if counts_by_field else 0
    results: list[dict[str, tuple[float, float] | None]] = [
        dict.fromkeys(levels) for _ in counts_by_field
    ]
    if n_units == 0 or samples < 1:
        return results
    unit_rows = [unit_coincidences(counts) for counts in counts_by_field]
    rng = np.random.default_rng(seed)
    alphas = {(f, level): [] for f in range(len(counts_by_field)) for level in levels}
    for start in range(0, samples, chunk):
        size = min(chunk, samples - start)
        draws = rng.integers(0, n_units, size=(size, n_units))
        offsets = (np.arange(size) * n_units)[:, None]
        weights = np.bincount((draws + offsets).ravel(), minlength=size * n_units)
        weights = weights.reshape(size, n_units).astype(np.float64)
        for f, rows in enumerate(unit_rows):
            n_values = len(domains[f])
            o = (weights @ rows).reshape(size, n_values, n_values)
            for level in levels:
                alphas[f, level].append(coincidence_alpha(o, domains[f], level))
    tail = (1 - confidence) / 2 * 100
    for (f, level), chunks in alphas.items():
        values = np.concatenate(chunks)
        values = values[np.isfinite(values)]
        if len(values):
            low, high = np.percentile(values, [tail, 100 - tail])
            results[f][level] = (float(low), float(high))
    return results
