"""Crowd aggregation and the study's analyses on in-memory judgments (pure: no ORM).

Inputs are a judgments frame (one row per judgment: `statement`, `worker`, `position`, `time_s`
and one float column per field slug, NaN when missing) and a statements frame indexed by statement
id (`external_id`, `dataset`, `expert_level` ordinal or NaN, `n_levels`, `is_gold`, `gold_truth`).
"""

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import special, stats

from . import agreement, agreement_phi
from .field_specs import FieldSpec

ALL_DATASETS = "all"
LATENT_METHODS = ("dawid_skene", "glad", "mace")
# Workers with no gold judgment get the prior weight: Laplace's rule with no evidence.
PRIOR_WEIGHT = 0.5


@dataclass(frozen=True)
class Options:
    """What to include and how to compute; stored per batch so every run is reproducible."""

    include_gold: bool = False
    bootstrap_samples: int = 1000
    seed: int = 0
    latent_methods: tuple[str, ...] = ("dawid_skene", "glad")
    folds: int = 5
    prediction: bool = True
    # Classifiers such as SVC scale quadratically with the statements; larger batches are
    # predicted on a seeded sample stratified by dataset and expert level.
    prediction_max_statements: int = 5000
    # crowd-kit's EM models take minutes per field at a few hundred thousand judgments; above
    # this size the latent estimates are skipped so a recompute stays within the task time limit.
    latent_max_judgments: int = 100_000
    # Phi (Checco et al. 2017) is an MCMC fit per dataset and field, seconds to minutes each:
    # opt-in, with the reference's 1,000 posterior draws per chain by default.
    phi: bool = False
    phi_draws: int = 1000
    # 27 fits (nine fields x two datasets and "all") take minutes at the study's 1,800 judgments
    # and grow with the statements; above this Phi is skipped so a recompute stays within the
    # task time limit (analysis_report --phi in a shell has none).
    phi_max_judgments: int = 5000


@dataclass
class Analysis:
    """Everything one full recompute produces."""

    per_statement: pd.DataFrame
    agreement: dict = field(default_factory=dict)
    crowd_vs_expert: dict = field(default_factory=dict)
    field_correlations: dict = field(default_factory=dict)
    by_position: dict = field(default_factory=dict)
    prediction: dict = field(default_factory=dict)
    n_judgments: int = 0


# -- per statement and field ------------------------------------------------------------------


def value_counts(codes: np.ndarray, values: np.ndarray, domain: Sequence[int], n_units: int):
    """Return a units x values count matrix from unit codes (0..n_units-1) and values.

    Missing values (NaN) are skipped; a value outside `domain` raises ValueError.
    """
    values = np.asarray(values, dtype=float)
    present = ~np.isnan(values)
    codes, values = np.asarray(codes)[present], values[present].astype(np.int64)
    lookup = {v: i for i, v in enumerate(domain)}
    index = np.searchsorted(np.asarray(domain), values)
    index = np.clip(index, 0, len(domain) - 1)
    if not (np.asarray(domain)[index] == values).all():
        bad = sorted(set(values.tolist()) - set(lookup))
        raise ValueError(f"values {bad} are not on the scale {list(domain)}")
    flat = codes * len(domain) + index
    return np.bincount(flat, minlength=n_units * len(domain)).reshape(n_units, len(domain))


def count_summary(counts: np.ndarray, domain: Sequence[int]) -> dict[str, np.ndarray]:
    """Return n, mean, median, sample sd (ddof=1) and majority per unit from its value counts.

    The median of an even number of values is the mean of the two middle ones (as numpy). The
    majority is the most frequent value; ties go to the value nearest the mean, then the lower.
    """
    counts = np.asarray(counts, dtype=np.int64)
    vals = np.asarray(domain, dtype=float)
    n = counts.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = counts @ vals / n
        squares = counts @ (vals**2)
        sd = np.sqrt(np.maximum(squares - n * mean**2, 0) / (n - 1))
    sd[n < 2] = np.nan
    cumulative = np.cumsum(counts, axis=1)
    lower = np.argmax(cumulative > ((n - 1) // 2)[:, None], axis=1)
    upper = np.argmax(cumulative > (n // 2)[:, None], axis=1)
    median = (vals[lower] + vals[upper]) / 2
    top = counts == counts.max(axis=1, keepdims=True)
    distance = np.where(top, np.abs(vals[None, :] - np.nan_to_num(mean)[:, None]), np.inf)
    # Round away float noise so that "equally near" ties really tie and go to the lower value.
    majority = vals[np.argmin(np.round(distance, 9), axis=1)]
    empty = n == 0
    for array in (mean, median, majority):
        array[empty] = np.nan
    return {"n": n, "mean": mean, "median": median, "sd": sd, "majority": majority}


def gold_weights(judgments: pd.DataFrame, statements: pd.DataFrame, truth: FieldSpec):
    """Return each worker's weight: Laplace-smoothed share of gold statements answered right.

    A gold answer is right when the truth field is above the scale midpoint for a "high" gold
    statement and below it for a "low" one; weight = (right + 1) / (gold answered + 2), so a
    worker without gold judgments weighs PRIOR_WEIGHT.
    """
    gold_truth = statements["gold_truth"]
    statement = judgments["statement"].to_numpy()
    answer = judgments[truth.slug].to_numpy(dtype=float)
    mask = np.isin(statement, statements.index[gold_truth.isin(["high", "low"])]) & ~np.isnan(
        answer
    )
    high = np.isin(statement[mask], statements.index[gold_truth == "high"])
    right = np.where(high, answer[mask] > truth.midpoint, answer[mask] < truth.midpoint)
    # Plain arrays, not a pandas groupby: this runs on every completed assignment.
    codes, workers = pd.factorize(judgments["worker"].to_numpy())
    n_right = np.bincount(codes[mask], weights=right, minlength=len(workers))
    n_gold = np.bincount(codes[mask], minlength=len(workers))
    weights = np.where(n_gold > 0, (n_right + 1) / (n_gold + 2), PRIOR_WEIGHT)
    return pd.Series(weights, index=pd.Index(workers), dtype=float)


def statement_aggregates(
    judgments: pd.DataFrame, fields: Sequence[FieldSpec], weights: pd.Series
) -> pd.DataFrame:
    """Return one row per (statement, field) with n, mean, median, sd, majority, the gold-weighted
    mean and the histogram, for the statements present in `judgments`.

    The histogram is columns `count_0`, `count_1`, ... (counts per scale value in scale order)
    plus `width`, the field's scale length; columns past a row's width hold -1.
    """
    statement_ids, codes = np.unique(judgments["statement"].to_numpy(), return_inverse=True)
    n_units = len(statement_ids)
    worker_weight = judgments["worker"].map(weights).fillna(PRIOR_WEIGHT).to_numpy()
    parts: dict[str, list] = {}
    widest = max((len(spec.domain) for spec in fields), default=0)
    for spec in fields:
        values = judgments[spec.slug].to_numpy(dtype=float)
        counts = value_counts(codes, values, spec.domain, n_units)
        summary = count_summary(counts, spec.domain)
        present = ~np.isnan(values)
        weight_sum = np.bincount(codes[present], worker_weight[present], minlength=n_units)
        weighted = np.bincount(
            codes[present], worker_weight[present] * values[present], minlength=n_units
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            summary["weighted_mean"] = weighted / weight_sum
        keep = summary["n"] > 0
        summary["statement"] = statement_ids
        summary["field"] = np.full(n_units, spec.slug, dtype=object)
        summary["width"] = np.full(n_units, len(spec.domain))
        for i in range(widest):
            column = counts[:, i] if i < len(spec.domain) else np.full(n_units, -1)
            summary[f"count_{i}"] = column.astype(np.int32)
        for key, array in summary.items():
            parts.setdefault(key, []).append(array[keep])
    columns = ["statement", "field", "n", "mean", "median", "sd", "majority", "weighted_mean"]
    columns += ["width", *(f"count_{i}" for i in range(widest))]
    # Concatenate column by column and keep each array as its own block (copy=False): at 900k
    # rows a consolidating copy would double the frame at the run's peak memory.
    return pd.DataFrame(
        {key: np.concatenate(parts.pop(key)) if parts else [] for key in columns}, copy=False
    )


def histograms(rows: pd.DataFrame, width: int) -> np.ndarray:
    """Return the count matrix (rows x width) of aggregate rows of fields with `width` values."""
    return rows[[f"count_{i}" for i in range(width)]].to_numpy(dtype=np.int64)


def latent_labels(
    tasks: np.ndarray, workers: np.ndarray, labels: np.ndarray, method: str, seed: int = 0
) -> pd.Series:
    """Return crowd-kit's latent label per task, the scale values taken as categories."""
    from crowdkit.aggregation import GLAD, MACE, DawidSkene

    frame = pd.DataFrame({"task": tasks, "worker": workers, "label": labels})
    frame = frame.dropna().astype({"label": np.int64})
    if frame.empty:
        return pd.Series(dtype=float)
    model = {
        "dawid_skene": lambda: DawidSkene(n_iter=100),
        "glad": lambda: GLAD(n_iter=100, silent=True),
        "mace": lambda: MACE(n_restarts=1, n_iter=50, random_state=seed),
    }[method]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit_predict(frame).astype(float)


# -- crowd vs expert --------------------------------------------------------------------------


def correlations(x: np.ndarray, y: np.ndarray) -> dict:
    """Return Pearson, Spearman and Kendall tau-b with two-sided p-values (None if undefined).

    The same statistics and p-values as scipy's pearsonr, spearmanr and kendalltau (tau-b,
    asymptotic p-value when there are ties). Crowd aggregates and expert levels take few distinct
    values, so Spearman and Kendall are computed from the x-by-y contingency table of those values:
    linear in the statements instead of scipy's several sorts per call.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    result = {"n": len(x)}
    names = ("pearson", "spearman", "kendall")
    if not (len(x) >= 3 and np.ptp(x) > 0 and np.ptp(y) > 0):
        return result | {key: None for name in names for key in (name, f"{name}_p")}
    x_codes, x_counts = _value_codes(x)
    y_codes, y_counts = _value_codes(y)
    result["pearson"], result["pearson_p"] = _pearson(x, y)
    # Spearman's rho is Pearson's r of the average ranks, and its t-test p-value is Pearson's.
    ranks = (_mid_ranks(x_counts)[x_codes], _mid_ranks(y_counts)[y_codes])
    result["spearman"], result["spearman_p"] = _pearson(*ranks)
    if len(x_counts) * len(y_counts) > 4_000_000 or (x_counts.max() == 1 and y_counts.max() == 1):
        # Many distinct values on both sides, or none tied (scipy then may use its exact test).
        statistic, p = stats.kendalltau(x, y)
    else:
        statistic, p = _kendall_tau_b(x_codes, y_codes, len(x_counts), len(y_counts))
    result["kendall"], result["kendall_p"] = _number(statistic), _number(p)
    return result


def _value_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each value's index among the sorted distinct values, and how often each occurs."""
    # Hashing then sorting only the distinct values: far cheaper than sorting every value.
    codes, _ = pd.factorize(values, sort=True)
    return codes, np.bincount(codes)


def _pearson(x: np.ndarray, y: np.ndarray) -> tuple[float | None, float | None]:
    """Pearson's r and its two-sided p-value (t-test, n - 2 degrees of freedom), as scipy's."""
    x, y = x - x.mean(), y - y.mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        # Plain reductions rather than BLAS dot: OpenBLAS threads spin on a busy machine.
        r = np.clip((x * y).sum() / np.sqrt((x * x).sum() * (y * y).sum()), -1.0, 1.0)
        dof = len(x) - 2
        t = r * np.sqrt(dof / ((1.0 + r) * (1.0 - r)))
    return _number(r), _number(2 * special.stdtr(dof, -abs(t)))


def _mid_ranks(counts: np.ndarray) -> np.ndarray:
    """Return the 1-based average rank of each distinct value from its count (scipy's "average")."""
    upper = np.cumsum(counts)
    return upper - (counts - 1) / 2.0


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Return 1-based average ranks of `values` (no NaN), as scipy.stats.rankdata."""
    codes, counts = _value_codes(np.asarray(values, dtype=float))
    return _mid_ranks(counts)[codes]


def _kendall_tau_b(x_codes, y_codes, n_x: int, n_y: int) -> tuple[float, float]:
    """Kendall's tau-b and its asymptotic two-sided p-value from value codes (scipy's formulas)."""
    size = len(x_codes)
    table = np.bincount(x_codes * n_y + y_codes, minlength=n_x * n_y).reshape(n_x, n_y)
    # Discordant pairs: for each cell, the cells with a larger x and a smaller y.
    larger_x = np.cumsum(table[::-1], axis=0)[::-1]
    larger_x = np.vstack([larger_x[1:], np.zeros((1, n_y), dtype=larger_x.dtype)])
    below = np.cumsum(larger_x, axis=1)
    below = np.hstack([np.zeros((n_x, 1), dtype=below.dtype), below[:, :-1]])
    dis = int((table * below).sum())

    def ties(counts):
        counts = counts.astype(np.int64)
        return (
            int((counts * (counts - 1) // 2).sum()),
            int((counts * (counts - 1.0) * (counts - 2)).sum()),
            int((counts * (counts - 1.0) * (2 * counts + 5)).sum()),
        )

    ntie = ties(table.ravel())[0]
    xtie, x0, x1 = ties(table.sum(axis=1))
    ytie, y0, y1 = ties(table.sum(axis=0))
    tot = size * (size - 1) // 2
    if xtie == tot or ytie == tot:
        return np.nan, np.nan
    con_minus_dis = tot - xtie - ytie + ntie - 2 * dis
    tau = min(1.0, max(-1.0, con_minus_dis / np.sqrt(tot - xtie) / np.sqrt(tot - ytie)))
    m = size * (size - 1.0)
    var = (
        (m * (2 * size + 5) - x1 - y1) / 18 + (2 * xtie * ytie) / m + x0 * y0 / (9 * m * (size - 2))
    )
    z = con_minus_dis / np.sqrt(var)
    return tau, float(2 * stats.norm.sf(abs(z)))


def five_numbers(values: np.ndarray) -> dict | None:
    """Return min, quartiles (linear interpolation) and max of the non-missing values."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if not len(values):
        return None
    q = np.percentile(values, [0, 25, 50, 75, 100])
    return dict(zip(("min", "q1", "median", "q3", "max"), map(float, q), strict=True)) | {
        "n": len(values)
    }


def expert_true(expert_normalised: np.ndarray) -> np.ndarray:
    """Binary expert truth: above the middle of the expert scale.

    PolitiFact's half-true and higher count as true; ABC's in-between sits exactly on the middle
    and counts as not true.
    """
    return np.asarray(expert_normalised, dtype=float) > 0.5


def binary_accuracy(crowd: np.ndarray, midpoint: float, expert_normalised: np.ndarray):
    """Share of statements where crowd > midpoint agrees with `expert_true`; None if none."""
    crowd, expert = np.asarray(crowd, dtype=float), np.asarray(expert_normalised, dtype=float)
    keep = ~(np.isnan(crowd) | np.isnan(expert))
    if not keep.any():
        return None
    return float(np.mean((crowd[keep] > midpoint) == expert_true(expert[keep])))


# -- structure, learning effect, prediction ---------------------------------------------------


def correlation_matrix(frame: pd.DataFrame, method: str = "pearson") -> dict:
    """Return pairwise-complete correlations as {field: {field: r}} (None where undefined)."""
    if len(frame) < 2:  # undefined: numpy would warn about zero degrees of freedom
        return {row: {col: None for col in frame.columns} for row in frame.columns}
    if frame.notna().all().all():
        # Without missing values pairwise-complete is plain: one BLAS call instead of pandas'
        # per-pair loop, which matters at a million judgments.
        data = frame.to_numpy(dtype=float, copy=method == "spearman")
        if method == "spearman":
            for column in range(data.shape[1]):
                data[:, column] = average_ranks(data[:, column])
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.corrcoef(data, rowvar=False)
        matrix = pd.DataFrame(np.atleast_2d(values), index=frame.columns, columns=frame.columns)
    else:
        matrix = frame.corr(method=method)
    return {
        row: {col: _number(matrix.loc[row, col]) for col in matrix.columns} for row in matrix.index
    }


def pca_summary(frame: pd.DataFrame) -> dict | None:
    """Return explained variance ratios and loadings of the standardised complete rows."""
    from sklearn.decomposition import PCA

    complete = frame.dropna()
    spread = complete.std(ddof=0)
    complete = complete.loc[:, spread > 0]
    if len(complete) < 2 or complete.shape[1] < 2:
        return None
    standardised = (complete - complete.mean()) / complete.std(ddof=0)
    pca = PCA().fit(standardised.to_numpy())
    return {
        "n": len(complete),
        "explained_variance_ratio": [float(v) for v in pca.explained_variance_ratio_],
        "components": [
            dict(zip(complete.columns, map(float, component), strict=True))
            for component in pca.components_
        ],
    }


def position_summary(
    positions: np.ndarray, errors: np.ndarray, times: np.ndarray
) -> dict[int, dict]:
    """Return mean absolute error, median time and n per position."""
    frame = pd.DataFrame({"position": positions, "error": errors, "time": times})
    result = {}
    for position, group in frame.groupby("position", sort=True):
        result[int(position)] = {
            "mae": _number(group["error"].abs().mean()),
            "median_time_s": _number(group["time"].median()),
            "n": int(group["error"].notna().sum()),
        }
    return result


CLASSIFIERS = ("random_forest", "logistic_regression", "adaboost", "naive_bayes", "svc")


def _classifier(name: str):
    from sklearn.ensemble import AdaBoostClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.svm import SVC

    # study.md's released parameters. max_features "auto" meant "sqrt" for classifiers and was
    # removed in scikit-learn 1.3; SAMME.R was removed in 1.6, so AdaBoost runs SAMME (its only
    # algorithm now, hence not passed).
    return {
        "random_forest": lambda: RandomForestClassifier(
            n_estimators=100, criterion="gini", max_features="sqrt", random_state=0
        ),
        "logistic_regression": lambda: LogisticRegression(C=1.0, solver="lbfgs", max_iter=100),
        "adaboost": lambda: AdaBoostClassifier(n_estimators=50, learning_rate=1.0, random_state=0),
        "naive_bayes": lambda: GaussianNB(var_smoothing=1e-9),
        "svc": lambda: SVC(C=1.0, kernel="rbf", gamma="scale"),
    }[name]()


def prediction_scores(features: np.ndarray, target: np.ndarray, *, folds: int, seed: int):
    """Cross-validate the five classifiers and a majority-class baseline.

    Stratified k-fold (shuffled with `seed`); k is lowered to the smallest class size, and None is
    returned when fewer than two classes or fewer than two members per class are available.
    """
    from sklearn.dummy import DummyClassifier
    from sklearn.model_selection import StratifiedKFold, cross_validate

    features, target = np.asarray(features, dtype=float), np.asarray(target)
    _, class_sizes = np.unique(target, return_counts=True)
    k = min(folds, int(class_sizes.min()) if len(class_sizes) else 0)
    if len(class_sizes) < 2 or k < 2:
        return None
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    models = {name: _classifier(name) for name in CLASSIFIERS}
    models["baseline"] = DummyClassifier(strategy="most_frequent")
    result = {}
    for name, model in models.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = cross_validate(
                model, features, target, cv=splitter, scoring=("accuracy", "f1_macro")
            )
        result[name] = {
            "accuracy": float(scores["test_accuracy"].mean()),
            "macro_f1": float(scores["test_f1_macro"].mean()),
        }
    result["folds"] = k
    result["n"] = len(target)
    return result


# -- the whole batch --------------------------------------------------------------------------


def analyse(
    judgments: pd.DataFrame,
    statements: pd.DataFrame,
    fields: Sequence[FieldSpec],
    truth: FieldSpec,
    options: Options,
) -> Analysis:
    """Run every analysis of study.md section 10 on the included judgments.

    Gold statements give worker weights but are left out of everything else unless
    `options.include_gold` (they are control items with no expert label).
    """
    weights = gold_weights(judgments, statements, truth)
    if not options.include_gold:
        judgments = judgments[~judgments["statement"].map(statements["is_gold"]).astype(bool)]
    per_statement = statement_aggregates(judgments, fields, weights)
    slugs = [spec.slug for spec in fields]
    analysis = Analysis(per_statement=per_statement, n_judgments=len(judgments))
    if per_statement.empty:
        return analysis

    latent_methods = options.latent_methods
    if len(judgments) > options.latent_max_judgments:
        latent_methods = ()
    for method in latent_methods:
        per_statement[method] = np.nan
        for spec in fields:
            labels = latent_labels(
                judgments["statement"].to_numpy(),
                judgments["worker"].to_numpy(),
                judgments[spec.slug].to_numpy(),
                method,
                options.seed,
            )
            rows = per_statement["field"] == spec.slug
            per_statement.loc[rows, method] = per_statement.loc[rows, "statement"].map(labels)

    info = statements.reindex(per_statement["statement"].unique())
    groups = {
        name: info.index[info["dataset"] == name] for name in sorted(info["dataset"].unique())
    }
    if len(groups) > 1:
        groups[ALL_DATASETS] = info.index
    by_field = {
        spec.slug: per_statement[per_statement["field"] == spec.slug].set_index("statement")
        for spec in fields
    }
    if len(judgments) > options.phi_max_judgments:
        options = replace(options, phi=False)
    analysis.agreement = _agreement(by_field, fields, groups, options)
    aggregations = ["mean", "median", "majority", "weighted_mean", *latent_methods]
    analysis.crowd_vs_expert = _crowd_vs_expert(by_field, info, fields, groups, aggregations)

    means = per_statement.pivot(index="statement", columns="field", values="mean").reindex(
        columns=slugs
    )
    analysis.field_correlations = {
        "pearson": correlation_matrix(judgments[slugs], "pearson"),
        "spearman": correlation_matrix(judgments[slugs], "spearman"),
        "aggregates": {
            "pearson": correlation_matrix(means, "pearson"),
            "spearman": correlation_matrix(means, "spearman"),
        },
        "pca": pca_summary(means),
    }
    analysis.by_position = _by_position(judgments, statements, truth)
    analysis.prediction = _prediction(means, info, truth, groups, options)
    return analysis


def _expert_normalised(info: pd.DataFrame) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        return info["expert_level"] / (info["n_levels"] - 1)


def _agreement(by_field, fields, groups, options) -> dict:
    result = {}
    for dataset, ids in groups.items():
        result[dataset] = {}
        for spec in fields:
            rows = by_field[spec.slug]
            counts = histograms(rows[rows.index.isin(ids)], len(spec.domain))
            patterns, frequency = agreement.count_patterns(counts)
            ci = agreement.bootstrap_alpha_interval(
                patterns,
                spec.domain,
                samples=options.bootstrap_samples,
                seed=options.seed,
                frequency=frequency,
            )
            alpha = {
                level: agreement.value_count_alpha(patterns, spec.domain, level, frequency)
                for level in ("interval", "ordinal")
            }
            result[dataset][spec.slug] = alpha | {
                "interval_ci95": list(ci["interval"]) if ci["interval"] else None,
                "ordinal_ci95": list(ci["ordinal"]) if ci["ordinal"] else None,
                "n_statements": len(counts),
                "n_judgments": int(counts.sum()),
            }
            if options.phi:
                result[dataset][spec.slug] |= _phi(counts, spec.domain, options)
    return result


def _phi(counts, domain, options) -> dict:
    fit = agreement_phi.phi_from_counts(
        counts, domain, draws=options.phi_draws, tune=options.phi_draws, seed=options.seed
    )
    if fit is None:
        return {"phi": None, "phi_hdi95": None, "phi_r_hat": None}
    # One chain or constant draws leave R-hat undefined; stored as null, never NaN.
    r_hat = fit.r_hat if np.isfinite(fit.r_hat) else None
    return {"phi": fit.phi, "phi_hdi95": list(fit.hdi95), "phi_r_hat": r_hat}


def _crowd_vs_expert(by_field, info, fields, groups, aggregations) -> dict:
    expert = _expert_normalised(info).to_numpy(dtype=float)
    level = info["expert_level"].to_numpy(dtype=float)
    # Align every field's aggregates with `info` once; datasets are then boolean masks.
    aligned = {spec.slug: by_field[spec.slug].reindex(info.index) for spec in fields}
    result = {}
    for dataset, ids in groups.items():
        mask = info.index.isin(ids)
        # Pooled datasets have scales of different lengths: compare on [0, 1].
        target = expert[mask] if dataset == ALL_DATASETS else level[mask]
        levels = sorted(np.unique(level[mask][~np.isnan(level[mask])]))
        result[dataset] = {}
        for aggregation in aggregations:
            result[dataset][aggregation] = {}
            for spec in fields:
                crowd = aligned[spec.slug][aggregation].to_numpy(dtype=float)[mask]
                entry = correlations(crowd, target)
                entry["accuracy"] = binary_accuracy(crowd, spec.midpoint, expert[mask])
                if dataset != ALL_DATASETS:
                    entry["by_level"] = {
                        str(int(value)): five_numbers(crowd[level[mask] == value])
                        for value in levels
                    }
                result[dataset][aggregation][spec.slug] = entry
    return result


def _by_position(judgments, statements, truth) -> dict:
    info = statements[["expert_level", "n_levels"]].reindex(judgments["statement"])
    expert = _expert_normalised(info).to_numpy(dtype=float)
    crowd = truth.normalise(judgments[truth.slug].to_numpy(dtype=float))
    labelled = ~np.isnan(expert)
    return position_summary(
        judgments["position"].to_numpy()[labelled],
        (crowd - expert)[labelled],
        judgments["time_s"].to_numpy(dtype=float)[labelled],
    )


def _prediction(means, info, truth, groups, options) -> dict:
    dimensions = [c for c in means.columns if c != truth.slug]
    frame = means[dimensions].join(info[["dataset", "expert_level", "n_levels"]]).dropna()
    result: dict = {}
    if not options.prediction:
        return result
    if len(frame) > options.prediction_max_statements:
        frame = frame.groupby(["dataset", "expert_level"], group_keys=False).sample(
            frac=options.prediction_max_statements / len(frame), random_state=options.seed
        )
        result["sampled_statements"] = len(frame)
    if dimensions and len(frame):
        # Pooled over datasets the label scales differ, so the pooled target is the binary truth.
        pooled = prediction_scores(
            frame[dimensions].to_numpy(),
            expert_true(_expert_normalised(frame)).astype(int),
            folds=options.folds,
            seed=options.seed,
        )
        result.update(pooled or {})
        result["target"] = "expert label above the middle of its scale (binary)"
        result["by_dataset"] = {}
        for dataset in groups:
            if dataset == ALL_DATASETS:
                continue
            subset = frame[frame["dataset"] == dataset]
            result["by_dataset"][dataset] = prediction_scores(
                subset[dimensions].to_numpy(),
                subset["expert_level"].astype(int).to_numpy(),
                folds=options.folds,
                seed=options.seed,
            )
    return result


def _number(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None
