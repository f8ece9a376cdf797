"""Expert and answer scales: the known expert scales, validation and normalisation (pure)."""

from collections.abc import Sequence

# PolitiFact's six levels, least to most true. PolitiFact now calls barely-true "mostly-false";
# the study and LIAR keep "barely-true", so that is the label stored.
POLITIFACT_LEVELS = ("pants-on-fire", "false", "barely-true", "half-true", "mostly-true", "true")
# RMIT ABC Fact Check verdicts grouped into three ordered levels, as in the study.
ABC_LEVELS = ("negative", "in-between", "positive")

KNOWN_EXPERT_SCALES = {"politifact": POLITIFACT_LEVELS, "abc": ABC_LEVELS}

# LIAR / LIAR-PLUS spell two labels differently from PolitiFact's site.
LIAR_LABEL_ALIASES = {"pants-fire": "pants-on-fire", "mostly-false": "barely-true"}

# The study's 5-point agreement scale, values -2..2 as in dimensions.json.
AGREEMENT_5 = (
    (-2, "Completely Disagree"),
    (-1, "Disagree"),
    (0, "Neither Agree Nor Disagree"),
    (1, "Agree"),
    (2, "Completely Agree"),
)


def scale_errors(levels: object) -> list[str]:
    """Return what is wrong with an answer scale given as [{"value": int, "label": str}, ...]."""
    if not isinstance(levels, list) or len(levels) < 2:
        return ["a scale needs a list of at least two levels"]
    errors = []
    values = []
    for index, level in enumerate(levels):
        if not isinstance(level, dict):
            errors.append(f"level {index}: must be an object with value and label")
            continue
        value, label = level.get("value"), level.get("label")
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"level {index}: value must be an integer")
        else:
            values.append(value)
        if not isinstance(label, str) or not label.strip():
            errors.append(f"level {index}: label must be a non-empty string")
    if values != sorted(set(values)):
        errors.append("level values must be strictly increasing")
    return errors


def scale_values(levels: Sequence[dict]) -> list[int]:
    """Return the numeric values of a scale, in order."""
    return [level["value"] for level in levels]


def normalise(value: float, low: float, high: float) -> float:
    """Map value from [low, high] to [0, 1]; used to pool scales of different lengths."""
    if high <= low:
        raise ValueError("high must be greater than low")
    return (value - low) / (high - low)
