"""Krippendorff's alpha from per-unit value counts, with seeded bootstrap intervals (pure)."""

from collections.abc import Sequence

import numpy as np

LEVELS = ("interval", "ordinal")


def value_count_alpha(
    counts: np.ndarray, domain: Sequence[int], level: str, frequency: np.ndarray | None = None
) -> float | None:
    """Return alpha for `counts` (units x values, columns in `domain` order), None if undefined.

    The counts are what the `krippendorff` package takes as `value_counts`; alpha is undefined when
    no unit has two values or every value is the same (zero expected disagreement). With
    `frequency`, the rows of `counts` are distinct patterns occurring that often (`count_patterns`).
    """
    counts = np.asarray(counts)
    if counts.size == 0 or (counts.sum(axis=1) < 2).all():
        return None
    if frequency is None:
        counts, frequency = count_patterns(counts)
    # krippendorff.alpha's formula on the coincidence matrix, which sums over the few hundred
    # distinct count patterns instead of every unit.
    o = np.asarray(frequency, dtype=np.float64) @ unit_coincidences(counts)
    n_values = len(domain)
    value = coincidence_alpha(o.reshape(1, n_values, n_values), domain, level)[0]
    return float(value) if np.isfinite(value) else None


def count_patterns(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the distinct rows of `counts` and how often each occurs, most frequent first."""
    counts = np.asarray(counts)
    radix = int(counts.max()) + 1 if counts.size else 1
    if radix ** counts.shape[1] < 2**62:
        # One integer key per count row (mixed radix) makes finding the patterns a 1-D unique.
        keys = counts.astype(np.int64) @ (radix ** np.arange(counts.shape[1], dtype=np.int64))
        _, first, frequency = np.unique(keys, return_index=True, return_counts=True)
        patterns = counts[first]
    else:
        patterns, frequency = np.unique(counts, axis=0, return_counts=True)
    # Most frequent first: numpy's multinomial draws category by category, and the rare patterns
    # at the end then have little left to share out.
    order = np.argsort(-frequency, kind="stable")
    return patterns[order], frequency[order]


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


def bootstrap_alpha_interval(
    counts: np.ndarray,
    domain: Sequence[int],
    *,
    samples: int,
    seed: int,
    confidence: float = 0.95,
    levels: Sequence[str] = LEVELS,
    frequency: np.ndarray | None = None,
) -> dict[str, tuple[float, float] | None]:
    """Return a percentile interval per level from `samples` resamples of the units (seeded).

    Units with the same value counts contribute the same coincidences, so a resample is fully
    described by how often each distinct count pattern is drawn: a multinomial draw over the
    patterns, weighted by their frequencies. This is exactly resampling units with replacement,
    at a cost that depends on the number of patterns (at most a few hundred on a 5-point scale
    with 10 judgments per unit), not on the number of units. With `frequency`, the rows of
    `counts` are already the patterns (`count_patterns`).
    """
    counts = np.asarray(counts)
    result: dict[str, tuple[float, float] | None] = dict.fromkeys(levels)
    if counts.shape[0] == 0 or samples < 1:
        return result
    patterns = counts
    if frequency is None:
        patterns, frequency = count_patterns(counts)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(int(frequency.sum()), frequency / frequency.sum(), size=samples)
    n_values = len(domain)
    o = (draws.astype(np.float64) @ unit_coincidences(patterns)).reshape(
        samples, n_values, n_values
    )
    tail = (1 - confidence) / 2 * 100
    for level in levels:
        alphas = coincidence_alpha(o, domain, level)
        alphas = alphas[np.isfinite(alphas)]
        if len(alphas):
            low, high = np.percentile(alphas, [tail, 100 - tail])
            result[level] = (float(low), float(high))
    return result
