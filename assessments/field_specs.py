"""An answer field as the analysis sees it: slug, ordered scale values, level of measurement."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FieldSpec:
    """An answer field: its slug, scale values in order and level of measurement."""

    slug: str
    domain: tuple[int, ...]
    measurement: str = "interval"

    @property
    def midpoint(self) -> float:
        return (self.domain[0] + self.domain[-1]) / 2

    def normalise(self, values):
        """Map scale values to [0, 1] so fields and expert scales of any length compare."""
        return (np.asarray(values, dtype=float) - self.domain[0]) / (
            self.domain[-1] - self.domain[0]
        )
