"""Dashboard data shaping: stored results to chart tables, Vega-Lite specs and CSV (pure)."""

import csv
import hashlib
import hmac
import io
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

# Okabe & Ito's palette, distinguishable with the common colour-vision deficiencies.
OKABE_ITO = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
# Diverging scheme for correlations: blue-orange keeps both ends apart for red-green deficiencies.
DIVERGING_SCHEME = "blueorange"

AGGREGATION_LABELS = {
    "mean": "mean",
    "median": "median",
    "majority": "majority vote",
    "weighted_mean": "gold-weighted mean",
    "dawid_skene": "latent (Dawid-Skene)",
    "glad": "latent (GLAD)",
    "mace": "latent (MACE)",
}
PAGE_KINDS = ("instructions", "questionnaire", "statement", "final")


@dataclass
class Chart:
    """One figure: its title, text alternative, table (columns + rows) and Vega-Lite spec."""

    id: str
    title: str
    summary: str
    columns: list[str]
    rows: list[list]
    spec: dict | None = None
    note: str = ""

    @property
    def spec_id(self) -> str:
        return f"spec-{self.id}"

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "columns": self.columns,
            "rows": self.rows,
            "spec": self.spec,
            "note": self.note,
        }


def pseudonym(platform: str, platform_id: str, salt: str) -> str:
    """Return a stable pseudonymous worker id: an HMAC of the platform id, never reversible."""
    digest = hmac.new(salt.encode(), f"{platform}:{platform_id}".encode(), hashlib.sha256)
    return "W-" + digest.hexdigest()[:12]


def table_csv(columns: Sequence[str], rows: Iterable[Sequence]) -> str:
    """Return the table as CSV text (header first; None as an empty cell)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()


def _round(value, digits: int = 3):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return round(float(value), digits)


def _base_spec(title: str, description: str) -> dict:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": title,
        # vega-embed puts the description on the SVG as its aria-label.
        "description": description,
        "width": "container",
        "config": {
            "range": {"category": list(OKABE_ITO)},
            "axis": {"labelFontSize": 12, "titleFontSize": 12},
            "legend": {"labelFontSize": 12},
        },
    }


def _values(columns: Sequence[str], rows: Iterable[Sequence]) -> list[dict]:
    return [dict(zip(columns, row, strict=True)) for row in rows]


# -- progress ---------------------------------------------------------------------------------


def progress_numbers(
    *,
    collected: int,
    wanted: int,
    hits_completed: int,
    hits_wanted: int,
    reward_cents: int,
) -> dict:
    """Return the headline progress figures; cost is payment x HITs, in cents."""
    remaining_hits = max(0, hits_wanted - hits_completed)
    return {
        "collected": collected,
        "wanted": wanted,
        "percent": _round(100 * collected / wanted, 1) if wanted else None,
        "hits_completed": hits_completed,
        "hits_wanted": hits_wanted,
        "cost_so_far_cents": hits_completed * reward_cents,
        "cost_to_completion_cents": remaining_hits * reward_cents,
    }


def hits_wanted(
    *, design_capacity: int, wanted: int, statements_per_hit: int, gold_per_hit: int
) -> int:
    """Return the HITs the batch needs: its designs' capacity, else wanted / dataset items per HIT."""
    if design_capacity:
        return design_capacity
    per_hit = max(1, statements_per_hit - gold_per_hit)
    return math.ceil(wanted / per_hit)


def progress_chart(progress: dict) -> Chart:
    """Collected vs wanted judgments per dataset and expert level (stacked: collected + missing)."""
    columns = ["dataset", "expert level", "collected", "wanted", "percent"]
    rows = [
        [
            r["dataset"],
            r["level"],
            r["collected"],
            r["wanted"],
            _round(100 * r["collected"] / r["wanted"], 1) if r["wanted"] else None,
        ]
        for r in progress.get("by_level", [])
    ]
    numbers = progress.get("numbers", {})
    summary = (
        f"{numbers.get('collected', 0):,} of {numbers.get('wanted', 0):,} judgments collected"
        f" ({numbers.get('percent') or 0}%); {progress.get('active_leases', 0)} HITs in progress."
    )
    values = []
    for dataset, level, collected, wanted, _ in rows:
        values.append({"group": f"{dataset}: {level}", "part": "collected", "n": collected})
        values.append(
            {"group": f"{dataset}: {level}", "part": "missing", "n": max(0, wanted - collected)}
        )
    spec = _base_spec("Judgments collected vs wanted", summary) | {
        "data": {"values": values},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": "group", "type": "nominal", "sort": None, "title": None},
            "x": {"field": "n", "type": "quantitative", "stack": "zero", "title": "judgments"},
            "color": {
                "field": "part",
                "type": "nominal",
                "scale": {"domain": ["collected", "missing"], "range": [OKABE_ITO[0], "#D9D9D9"]},
                "title": None,
            },
            "order": {"field": "part", "sort": "ascending"},
        },
    }
    return Chart("progress", "Progress per dataset and expert level", summary, columns, rows, spec)


# -- quality funnel ---------------------------------------------------------------------------


def funnel_steps(
    *,
    previewed: int,
    entered: int,
    started: int,
    read_instructions: int,
    finished_questionnaires: int,
    submitted: int,
    passed_by_try: dict[int, int],
    failed_by_gate: dict[str, int],
    excluded: int,
    abandoned: int,
    active: int,
) -> list[dict]:
    """Return the funnel as ordered steps {step, n, kind}; kind is "flow", "pass" or "loss"."""
    steps = [
        {"step": "previewed (MTurk)", "n": previewed, "kind": "flow"},
        {"step": "entered", "n": entered, "kind": "flow"},
        {"step": "started (consented)", "n": started, "kind": "flow"},
        {"step": "read instructions", "n": read_instructions, "kind": "flow"},
        {"step": "finished questionnaires", "n": finished_questionnaires, "kind": "flow"},
        {"step": "submitted", "n": submitted, "kind": "flow"},
    ]
    for number in sorted(passed_by_try):
        steps.append(
            {"step": f"passed on try {number}", "n": passed_by_try[number], "kind": "pass"}
        )
    for gate in sorted(failed_by_gate):
        steps.append({"step": f"failed gate: {gate}", "n": failed_by_gate[gate], "kind": "loss"})
    steps += [
        {"step": "excluded (tries used up)", "n": excluded, "kind": "loss"},
        {"step": "abandoned (lease expired or returned)", "n": abandoned, "kind": "loss"},
        {"step": "in progress", "n": active, "kind": "flow"},
    ]
    return steps


def gate_failures(gate_results: Iterable[list]) -> dict[str, int]:
    """Count failed attempts per gate from stored attempt gate results."""
    counts: Counter = Counter()
    for results in gate_results:
        for result in results or []:
            if isinstance(result, dict) and not result.get("passed", True):
                counts[result.get("name") or "?"] += 1
    return dict(counts)


def page_kind(key: str) -> str | None:
    """Return the kind of a HIT page key (instructions, q-<slug>, statement-<n>, final)."""
    if key == "instructions" or key == "final":
        return key
    if key.startswith("q-"):
        return "questionnaire"
    if key.startswith("statement-"):
        return "statement"
    return None


def median_times(durations: Iterable[tuple[str, float]]) -> dict[str, float | None]:
    """Return the median seconds per page kind from (page key, seconds) pairs."""
    by_kind: dict[str, list[float]] = {kind: [] for kind in PAGE_KINDS}
    for key, seconds in durations:
        kind = page_kind(key)
        if kind is not None and seconds is not None and seconds >= 0:
            by_kind[kind].append(seconds)
    return {kind: _round(statistics.median(v), 1) if v else None for kind, v in by_kind.items()}


def funnel_chart(funnel: dict) -> Chart:
    steps = funnel.get("steps", [])
    times = funnel.get("median_times", {})
    columns = ["step", "workers", "kind"]
    rows = [[s["step"], s["n"], s["kind"]] for s in steps]
    started = next((s["n"] for s in steps if s["step"].startswith("started")), 0)
    passed = sum(s["n"] for s in steps if s["kind"] == "pass")
    summary = f"{started:,} workers started, {passed:,} passed the quality gates."
    timed = [f"{kind} {seconds} s" for kind, seconds in times.items() if seconds is not None]
    if timed:
        summary += " Median time per page: " + ", ".join(timed) + "."
    spec = _base_spec("Quality funnel", summary) | {
        "data": {"values": _values(["step", "n", "kind"], [r[:3] for r in rows])},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": "step", "type": "nominal", "sort": None, "title": None},
            "x": {"field": "n", "type": "quantitative", "title": "workers"},
            "color": {
                "field": "kind",
                "type": "nominal",
                "scale": {
                    "domain": ["flow", "pass", "loss"],
                    "range": [OKABE_ITO[0], OKABE_ITO[2], OKABE_ITO[5]],
                },
                "title": None,
            },
        },
    }
    note = (
        "Previews count browsers that opened the MTurk preview; entries count workers who reached "
        "the consent page; each visitor counts once."
    )
    return Chart("funnel", "Quality funnel", summary, columns, rows, spec, note=note)


def step_times_chart(funnel: dict) -> Chart:
    times = funnel.get("median_times", {})
    columns = ["page kind", "median seconds"]
    rows = [[kind, times.get(kind)] for kind in PAGE_KINDS]
    summary = "Median time on each kind of page: " + (
        ", ".join(f"{k} {v} s" for k, v in rows if v is not None) or "no pages timed yet"
    )
    timed = [{"kind": k, "seconds": v} for k, v in rows if v is not None]
    spec = _base_spec("Median time per step", summary) | {
        "data": {"values": timed},
        "mark": {"type": "bar", "tooltip": True, "color": OKABE_ITO[4]},
        "encoding": {
            "x": {"field": "kind", "type": "nominal", "sort": list(PAGE_KINDS), "title": None},
            "y": {"field": "seconds", "type": "quantitative", "title": "median seconds"},
        },
    }
    return Chart(
        "step-times", "Median time per step", summary, columns, rows, spec if timed else None
    )


# -- crowd vs expert --------------------------------------------------------------------------


def crowd_expert_boxes(results: Iterable[dict], level_labels: dict[str, list[str]]) -> Chart:
    """Box plots of the aggregated crowd label per expert level, from stored five-number summaries.

    `results` hold dataset, aggregation, field and by_level ({ordinal: five numbers}). The chart
    has selects for the aggregation and the field, faceted by dataset.
    """
    columns = ["dataset", "aggregation", "field", "level", "n", "min", "q1", "median", "q3", "max"]
    rows = []
    aggregations: list[str] = []
    fields: list[str] = []
    for result in results:
        if result["aggregation"] not in aggregations:
            aggregations.append(result["aggregation"])
        if result["field"] not in fields:
            fields.append(result["field"])
        labels = level_labels.get(result["dataset"], [])
        for ordinal, box in sorted((result.get("by_level") or {}).items(), key=lambda i: int(i[0])):
            if not box:
                continue
            index = int(ordinal)
            label = labels[index] if index < len(labels) else str(index)
            rows.append(
                [
                    result["dataset"],
                    result["aggregation"],
                    result["field"],
                    f"{index} {label}",
                    box["n"],
                    *(_round(box[k]) for k in ("min", "q1", "median", "q3", "max")),
                ]
            )
    default_aggregation = "mean" if "mean" in aggregations else (aggregations or [""])[0]
    default_field = fields[0] if fields else ""
    datasets = sorted({r[0] for r in rows})
    summary = (
        f"Crowd label ({default_aggregation} of {default_field}) by expert level for "
        f"{', '.join(datasets) or 'no dataset yet'}: "
        + "; ".join(
            f"{r[0]} {r[3]} median {r[7]}"
            for r in rows
            if r[1] == default_aggregation and r[2] == default_field
        )
    )
    controls = [
        {
            "name": "aggregation",
            "label": "Aggregation",
            "options": [[a, AGGREGATION_LABELS.get(a, a)] for a in aggregations],
            "value": default_aggregation,
        },
        {
            "name": "field",
            "label": "Field",
            "options": [[f, f] for f in fields],
            "value": default_field,
        },
    ]
    params = [
        {
            "name": control["name"],
            "value": control["value"],
            "bind": {
                "input": "select",
                "options": [o[0] for o in control["options"]],
                "labels": [o[1] for o in control["options"]],
                "name": control["label"] + " ",
            },
        }
        for control in controls
        if control["options"]
    ]
    layer_encoding = {
        "x": {"field": "level", "type": "ordinal", "title": "expert level", "sort": None},
    }
    spec = _base_spec("Crowd vs expert", summary) | {
        "data": {"values": _values(columns, rows)},
        "params": params,
        "transform": [
            {"filter": "datum.aggregation == aggregation && datum.field == field"},
        ],
        "facet": {"column": {"field": "dataset", "type": "nominal", "title": None}},
        "resolve": {"scale": {"x": "independent"}},
        "spec": {
            "width": 260,
            "encoding": layer_encoding,
            "layer": [
                {
                    "mark": {"type": "rule", "color": "#555"},
                    "encoding": {
                        "y": {"field": "min", "type": "quantitative", "title": "crowd label"},
                        "y2": {"field": "max"},
                    },
                },
                {
                    "mark": {"type": "bar", "size": 22, "color": OKABE_ITO[4], "tooltip": True},
                    "encoding": {
                        "y": {"field": "q1", "type": "quantitative"},
                        "y2": {"field": "q3"},
                    },
                },
                {
                    "mark": {"type": "tick", "size": 22, "thickness": 2, "color": "#000"},
                    "encoding": {"y": {"field": "median", "type": "quantitative"}},
                },
            ],
        },
    }
    del spec["width"]
    return Chart(
        "crowd-expert",
        "Crowd vs expert: aggregated crowd label per expert level",
        summary,
        columns,
        rows,
        spec,
        note="Boxes: quartiles; whiskers: minimum to maximum; black tick: median. "
        "Choose the aggregation and the field under the chart.",
    )


def correlation_table(results: Iterable[dict]) -> Chart:
    """Correlation of each aggregation of each field with the expert label, per dataset."""
    columns = [
        "dataset",
        "aggregation",
        "field",
        "n",
        "pearson",
        "pearson p",
        "spearman",
        "spearman p",
        "kendall",
        "kendall p",
        "binary accuracy",
    ]
    rows = [
        [
            r["dataset"],
            r["aggregation"],
            r["field"],
            r["n"],
            *(
                _round(r.get(k), 4)
                for k in (
                    "pearson",
                    "pearson_p",
                    "spearman",
                    "spearman_p",
                    "kendall",
                    "kendall_p",
                    "accuracy",
                )
            ),
        ]
        for r in results
    ]
    summary = f"{len(rows)} correlations of crowd aggregates with expert labels."
    return Chart("correlations", "Crowd vs expert correlations", summary, columns, rows)


# -- agreement --------------------------------------------------------------------------------


def agreement_chart(results: Iterable[dict], field_order: Sequence[str]) -> Chart:
    """Krippendorff's alpha per field with 95% bootstrap intervals, interval and ordinal."""
    columns = [
        "dataset",
        "field",
        "measure",
        "alpha",
        "ci low",
        "ci high",
        "statements",
        "judgments",
    ]
    rows = []
    for r in results:
        for measure in ("interval", "ordinal"):
            rows.append(
                [
                    r["dataset"],
                    r["field"],
                    measure,
                    _round(r.get(f"alpha_{measure}")),
                    _round(r.get(f"{measure}_ci_low")),
                    _round(r.get(f"{measure}_ci_high")),
                    r["n_statements"],
                    r["n_judgments"],
                ]
            )
    rows.sort(key=lambda row: (row[0], _order(field_order, row[1]), row[2]))
    shown = [r for r in rows if r[3] is not None]
    summary = "Krippendorff's alpha per field: " + (
        "; ".join(f"{r[0]} {r[1]} {r[2]} {r[3]}" for r in shown[:12]) or "not computed yet"
    )
    spec = _base_spec("Agreement (Krippendorff's alpha, 95% CI)", summary) | {
        "data": {"values": _values(columns, shown)},
        "facet": {"row": {"field": "dataset", "type": "nominal", "title": None}},
        "spec": {
            "width": 520,
            "encoding": {
                "y": {
                    "field": "field",
                    "type": "nominal",
                    "sort": list(field_order),
                    "title": None,
                },
                "yOffset": {"field": "measure"},
                "color": {"field": "measure", "type": "nominal", "title": "alpha"},
            },
            "layer": [
                {
                    "mark": {"type": "rule"},
                    "encoding": {
                        "x": {"field": "ci low", "type": "quantitative", "title": "alpha"},
                        "x2": {"field": "ci high"},
                    },
                },
                {
                    "mark": {"type": "point", "filled": True, "size": 60, "tooltip": True},
                    "encoding": {"x": {"field": "alpha", "type": "quantitative"}},
                },
            ],
        },
    }
    del spec["width"]
    return Chart("agreement", "Agreement per field", summary, columns, rows, spec)


def _order(order: Sequence[str], value: str) -> int:
    return order.index(value) if value in order else len(order)


# -- dimension structure ----------------------------------------------------------------------


def heatmap_chart(matrix: dict, field_order: Sequence[str], *, title: str, chart_id: str) -> Chart:
    """Heatmap of a {field: {field: r}} correlation matrix."""
    names = [f for f in field_order if f in matrix] + [f for f in matrix if f not in field_order]
    columns = ["field", *names]
    rows = [[row, *(_round(matrix[row].get(col)) for col in names)] for row in names]
    long = [
        {"row": row, "column": col, "r": _round(matrix[row].get(col))}
        for row in names
        for col in names
    ]
    strongest = sorted(
        (c for c in long if c["row"] < c["column"] and c["r"] is not None),
        key=lambda c: -abs(c["r"]),
    )[:3]
    summary = f"Correlations between {len(names)} fields. Strongest: " + (
        "; ".join(f"{c['row']} and {c['column']} r={c['r']}" for c in strongest) or "none"
    )
    spec = _base_spec(title, summary) | {
        "data": {"values": long},
        "width": 420,
        "height": 420,
        "encoding": {
            "x": {"field": "column", "type": "nominal", "sort": names, "title": None},
            "y": {"field": "row", "type": "nominal", "sort": names, "title": None},
        },
        "layer": [
            {
                "mark": {"type": "rect", "tooltip": True},
                "encoding": {
                    "color": {
                        "field": "r",
                        "type": "quantitative",
                        "scale": {"scheme": DIVERGING_SCHEME, "domain": [-1, 1]},
                        "title": "r",
                    }
                },
            },
            {
                "mark": {"type": "text", "fontSize": 10},
                "encoding": {
                    "text": {"field": "r", "type": "quantitative", "format": ".2f"},
                    "color": {
                        "condition": {"test": "abs(datum.r) > 0.6", "value": "white"},
                        "value": "black",
                    },
                },
            },
        ],
    }
    return Chart(chart_id, title, summary, columns, rows, spec)


def pca_chart(pca: dict | None) -> Chart:
    """Explained variance per principal component, with the loadings as the table."""
    if not pca:
        return Chart("pca", "Principal components", "Not enough data yet.", ["component"], [])
    ratios = pca["explained_variance_ratio"]
    fields = list(pca["components"][0]) if pca["components"] else []
    columns = ["component", "explained variance", *fields]
    rows = [
        [f"PC{i + 1}", _round(ratio), *(_round(comp[f]) for f in fields)]
        for i, (ratio, comp) in enumerate(zip(ratios, pca["components"], strict=True))
    ]
    summary = (
        f"Principal components of the per-statement means of {len(fields)} fields "
        f"({pca['n']} statements): "
        + ", ".join(f"{r[0]} explains {round(100 * r[1], 1)}%" for r in rows[:3])
    )
    spec = _base_spec("Principal components: explained variance", summary) | {
        "data": {"values": [{"component": r[0], "share": r[1]} for r in rows]},
        "mark": {"type": "bar", "tooltip": True, "color": OKABE_ITO[2]},
        "encoding": {
            "x": {"field": "component", "type": "ordinal", "sort": None, "title": None},
            "y": {
                "field": "share",
                "type": "quantitative",
                "axis": {"format": "%"},
                "title": "explained variance",
            },
        },
    }
    return Chart("pca", "Principal components", summary, columns, rows, spec)


# -- learning effect --------------------------------------------------------------------------


def learning_chart(by_position: dict) -> Chart:
    """Mean absolute error (normalised truth vs expert) and median time by position in the HIT."""
    columns = ["position", "mean absolute error", "median seconds", "judgments"]
    rows = [
        [int(position), _round(entry.get("mae")), _round(entry.get("median_time_s"), 1), entry["n"]]
        for position, entry in sorted(by_position.items(), key=lambda item: int(item[0]))
    ]
    summary = "Error and time by position in the HIT: " + (
        "; ".join(f"position {r[0]} error {r[1]}, {r[2]} s" for r in rows) or "no data yet"
    )
    values = []
    for position, mae, seconds, _ in rows:
        values.append({"position": position, "measure": "mean absolute error", "value": mae})
        values.append({"position": position, "measure": "median seconds", "value": seconds})
    spec = _base_spec("Learning effect", summary) | {
        "data": {"values": values},
        "facet": {"row": {"field": "measure", "type": "nominal", "title": None}},
        "resolve": {"scale": {"y": "independent"}},
        "spec": {
            "width": 520,
            "height": 140,
            "mark": {"type": "line", "point": True, "tooltip": True},
            "encoding": {
                "x": {"field": "position", "type": "ordinal", "title": "position in the HIT"},
                "y": {"field": "value", "type": "quantitative", "title": None},
                "color": {"field": "measure", "type": "nominal", "legend": None},
            },
        },
    }
    del spec["width"]
    note = "Error: |crowd truth label - expert label|, both scaled to [0, 1]; gold left out."
    return Chart("learning", "Learning effect", summary, columns, rows, spec, note=note)


# -- search behaviour -------------------------------------------------------------------------


def domain_of(url: str) -> str:
    """Return the host of `url` without a leading www. ("" when there is none)."""
    host = (urlsplit(url.strip()).hostname or "") if url else ""
    return host[4:] if host.startswith("www.") else host


def top_domains(urls: Iterable[str], limit: int = 15) -> list[tuple[str, int]]:
    """Return the most common evidence domains with their counts."""
    counts = Counter(domain_of(u) for u in urls if u)
    counts.pop("", None)
    return counts.most_common(limit)


def queries_histogram(per_pair: Iterable[int], judged_pairs: int) -> list[tuple[str, int]]:
    """Return how many statement pages had 0, 1, 2, ... queries (5+ pooled)."""
    counts: Counter = Counter()
    searched = 0
    for n in per_pair:
        counts["5+" if n >= 5 else str(n)] += 1
        searched += 1
    counts["0"] += max(0, judged_pairs - searched)
    return [(k, counts[k]) for k in ("0", "1", "2", "3", "4", "5+")]


def search_charts(search: dict) -> list[Chart]:
    histogram = search.get("queries_per_statement", [])
    hist_summary = "Queries per statement page: " + ", ".join(f"{k}: {n}" for k, n in histogram)
    queries = Chart(
        "search-queries",
        "Queries per statement page",
        hist_summary,
        ["queries", "statement pages"],
        [list(r) for r in histogram],
        _base_spec("Queries per statement page", hist_summary)
        | {
            "data": {"values": [{"queries": k, "pages": n} for k, n in histogram]},
            "mark": {"type": "bar", "tooltip": True, "color": OKABE_ITO[0]},
            "encoding": {
                "x": {"field": "queries", "type": "ordinal", "sort": None},
                "y": {"field": "pages", "type": "quantitative", "title": "statement pages"},
            },
        },
    )
    blocked = search.get("blocked", {})
    blocked_rows = [
        ["queries", blocked.get("queries", 0)],
        ["queries with hidden results", blocked.get("queries_with_blocked", 0)],
        ["results hidden by the blocklist", blocked.get("results_hidden", 0)],
        ["results withheld (judge the statement itself)", blocked.get("results_withheld", 0)],
        ["failed queries", blocked.get("failed", 0)],
    ]
    blocked_table = Chart(
        "search-blocked",
        "Results hidden by the blocklist",
        f"{blocked.get('results_hidden', 0):,} results hidden in "
        f"{blocked.get('queries_with_blocked', 0):,} of {blocked.get('queries', 0):,} queries.",
        ["measure", "count"],
        blocked_rows,
    )
    domains = search.get("top_domains", [])
    domain_summary = "Most used evidence domains: " + (
        ", ".join(f"{d} ({n})" for d, n in domains[:5]) or "none yet"
    )
    domain_chart = Chart(
        "search-domains",
        "Top evidence domains",
        domain_summary,
        ["domain", "judgments"],
        [list(r) for r in domains],
        _base_spec("Top evidence domains", domain_summary)
        | {
            "data": {"values": [{"domain": d, "n": n} for d, n in domains]},
            "mark": {"type": "bar", "tooltip": True, "color": OKABE_ITO[1]},
            "encoding": {
                "y": {"field": "domain", "type": "nominal", "sort": "-x", "title": None},
                "x": {"field": "n", "type": "quantitative", "title": "judgments citing it"},
            },
        },
    )
    missing = search.get("no_evidence", [])
    missing_chart = Chart(
        "search-no-evidence",
        "Statements where workers found no evidence",
        f"{len(missing)} statements had judgments without an evidence URL.",
        ["statement", "judgments without evidence", "judgments"],
        [list(r) for r in missing],
    )
    return [queries, blocked_table, domain_chart, missing_chart]


# -- workers ----------------------------------------------------------------------------------

WORKER_COLUMNS = [
    ("pseudonym", "worker"),
    ("platform", "platform"),
    ("status", "status"),
    ("tries", "tries"),
    ("time_s", "time (s)"),
    ("gold_accuracy", "gold correct"),
    ("crt_correct", "CRT correct"),
    ("crowd_mae", "distance to crowd"),
    ("n_judgments", "judgments"),
    ("is_blocked", "blocked"),
]


def gold_correct(gold_truth: str, value: float, midpoint: float) -> bool:
    """A gold answer is right when it lies on the gold statement's side of the scale's middle."""
    return value > midpoint if gold_truth == "high" else value < midpoint


def worker_gold_accuracy(rows: Iterable[tuple[int, str, float]], midpoint: float) -> dict:
    """Return {worker: (share correct, n)} from (worker, gold_truth, truth value) rows."""
    tally: dict[int, list[int]] = {}
    for worker, truth, value in rows:
        if value is None:
            continue
        entry = tally.setdefault(worker, [0, 0])
        entry[0] += gold_correct(truth, value, midpoint)
        entry[1] += 1
    return {w: (right / n, n) for w, (right, n) in tally.items()}


def worker_crowd_distance(
    rows: Iterable[tuple[int, int, float]], crowd: dict[int, float]
) -> dict[int, tuple[float, int]]:
    """Return {worker: (mean |value - crowd mean|, n)} from (worker, statement, value) rows."""
    tally: dict[int, list[float]] = {}
    for worker, statement, value in rows:
        reference = crowd.get(statement)
        if reference is None or value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        entry = tally.setdefault(worker, [0.0, 0])
        entry[0] += abs(value - reference)
        entry[1] += 1
    return {w: (total / n, int(n)) for w, (total, n) in tally.items()}
