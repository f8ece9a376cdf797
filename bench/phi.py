"""Benchmark: one Phi fit (PyMC NUTS) per size against alpha with its bootstrap CI on the same data.

    .venv/bin/python bench/phi.py [--items 180 1800] [--draws 1000]

Simulates statements x 10 ratings on a 5-point scale (ratings scatter around a per-statement
truth), then times, for each size, the floor (interval and ordinal alpha plus the 1,000-replicate
bootstrap CI, which the analysis computes for every dataset and field anyway), and one Phi fit
with the analysis's settings (2 chains, `--draws` tuning and draws each, seeded). The first fit in
a process also pays PyMC's import and pytensor's compile; it is timed apart. `--study` adds the
27 fits of the study (nine fields x PolitiFact 120, ABC 60 and all 180 statements).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RATINGS = 10
DOMAIN = (-2, -1, 0, 1, 2)


def simulated_counts(n_items: int, rng) -> np.ndarray:
    truth = rng.integers(0, len(DOMAIN), n_items)
    ratings = np.clip(truth[:, None] + rng.integers(-1, 2, (n_items, RATINGS)), 0, len(DOMAIN) - 1)
    return np.stack([np.bincount(r, minlength=len(DOMAIN)) for r in ratings])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, nargs="+", default=[180, 1800])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument(
        "--study",
        action="store_true",
        help="also time the study's 27 fits: nine fields x PolitiFact (120), ABC (60), all (180)",
    )
    args = parser.parse_args()

    import logging

    import pymc  # noqa: F401  (imported first: it sets its own log level on import)

    from assessments import agreement
    from assessments.agreement_phi import phi_from_counts

    logging.getLogger("pymc").setLevel(logging.ERROR)

    rng = np.random.default_rng(0)
    started = time.perf_counter()
    phi_from_counts(simulated_counts(20, rng), DOMAIN, draws=50, tune=50, seed=0)
    print(
        f"first fit in the process (import + compile, 20 items): {time.perf_counter() - started:.1f} s"
    )
    for n_items in args.items:
        counts = simulated_counts(n_items, rng)
        started = time.perf_counter()
        for level in agreement.LEVELS:
            agreement.value_count_alpha(counts, DOMAIN, level)
        agreement.bootstrap_alpha_interval(counts, DOMAIN, samples=1000, seed=0)
        floor = time.perf_counter() - started
        started = time.perf_counter()
        fit = phi_from_counts(counts, DOMAIN, draws=args.draws, tune=args.draws, seed=0)
        elapsed = time.perf_counter() - started
        print(
            f"{n_items} statements x {RATINGS}: floor (alpha + 1000-replicate bootstrap) "
            f"{floor:.3f} s; Phi {fit.phi:.4f} [{fit.hdi95[0]:.4f}, {fit.hdi95[1]:.4f}] "
            f"R-hat {fit.r_hat:.3f} in {elapsed:.1f} s = {elapsed / floor:.0f} x floor",
            flush=True,
        )
    if args.study:
        sets = [simulated_counts(n, rng) for _ in range(9) for n in (120, 60, 180)]
        started = time.perf_counter()
        for counts in sets:
            agreement.bootstrap_alpha_interval(counts, DOMAIN, samples=1000, seed=0)
        floor = time.perf_counter() - started
        started = time.perf_counter()
        for counts in sets:
            phi_from_counts(counts, DOMAIN, draws=args.draws, tune=args.draws, seed=0)
        elapsed = time.perf_counter() - started
        print(
            f"study (27 fits, 1,800 judgments x 9 fields): floor {floor:.2f} s; "
            f"Phi {elapsed:.0f} s = {elapsed / floor:.0f} x floor"
        )


if __name__ == "__main__":
    main()
