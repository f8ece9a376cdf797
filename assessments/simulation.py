"""The simulated crowd's noise model: worker profiles and their answers (pure, seeded).

A simulated worker has a skill (the standard deviation of their answer noise on the 5-point
scale, drawn uniformly from 0.4 to 1.5), a bias (added to every answer, normal with sd 0.3) and
a speed (median seconds per statement page, log-normal around 25 s). A share of workers (15% by
default) is careless: they answer uniformly at random, spend about a second per page and so fail
the minimum-time and gold gates; on each retry a careless worker turns careful with probability
one half. Careful workers answer a statement at its expert level mapped onto the scale
(least true -> -2, most true -> +2; gold HIGH -> +2, LOW -> -2) plus bias and noise, rounded and
clipped; the other fields follow the truth field with their own noise, so they correlate as in
the study. CRT items are right with probability 0.6 for careful workers.
"""

from dataclasses import dataclass

import numpy as np

CARELESS_SHARE = 0.15
CRT_CORRECT = 0.6


@dataclass
class WorkerProfile:
    skill: float
    bias: float
    seconds_per_page: float
    careless: bool


def worker_profile(rng: np.random.Generator, careless_share: float = CARELESS_SHARE):
    """Draw one worker's profile."""
    return WorkerProfile(
        skill=float(rng.uniform(0.4, 1.5)),
        bias=float(rng.normal(0, 0.3)),
        seconds_per_page=float(rng.lognormal(np.log(25), 0.4)),
        careless=bool(rng.random() < careless_share),
    )


def statement_centre(*, level: int | None, n_levels: int, gold_truth: str) -> float:
    """Return where a perfect worker puts a statement on the -2..+2 scale."""
    if gold_truth:
        return 2.0 if gold_truth == "high" else -2.0
    if level is None or n_levels < 2:
        return 0.0
    return -2.0 + 4.0 * level / (n_levels - 1)


def statement_answers(
    rng: np.random.Generator,
    profile: WorkerProfile,
    *,
    centre: float,
    fields: list[tuple[str, list[int]]],
) -> dict[str, int]:
    """Return one value per (field slug, scale values); the first field is the truth field."""
    answers = {}
    truth = None
    for index, (slug, values) in enumerate(fields):
        low, high = min(values), max(values)
        if profile.careless:
            value = float(rng.choice(values))
        elif index == 0:
            truth = centre + profile.bias + rng.normal(0, profile.skill)
            value = truth
        else:
            value = (truth if truth is not None else centre) + rng.normal(0, 0.8)
        answers[slug] = int(np.clip(np.rint(value), low, high))
    return answers


def page_seconds(rng: np.random.Generator, profile: WorkerProfile) -> float:
    """Return the time spent on one page."""
    if profile.careless:
        return float(rng.uniform(0.3, 1.2))
    return float(max(3.0, rng.lognormal(np.log(profile.seconds_per_page), 0.5)))
