"""How many synthetic rows each class gets: by a target ratio to the majority or by an absolute count."""
from __future__ import annotations

from dataclasses import dataclass

from core.errors import ConfigError


@dataclass(frozen=True)
class Amount:
    """rule 'ratio': each smaller class grows to ratio x majority rows; rule 'count': n rows per smaller class."""
    rule: str = "ratio"
    value: float = 1.0

    def counts(self, train_counts: dict[str, int]) -> dict[str, int]:
        """Synthetic rows to make per class (classes already at the goal get none)."""
        if not train_counts:
            raise ConfigError("There are no training rows to count.")
        majority = max(train_counts.values())
        smaller = {c: n for c, n in train_counts.items() if n < majority}
        if self.rule == "ratio":
            if not 0 < self.value <= 1.0:
                raise ConfigError(f"The ratio must be above 0 and at most 1.0 (minority : majority after "
                                  f"augmentation); got {self.value}.")
            wanted = {c: int(round(self.value * majority)) - n for c, n in smaller.items()}
            counts = {c: w for c, w in wanted.items() if w > 0}
            if not counts:
                raise ConfigError(f"At a ratio of {self.value} no class needs new rows: every class already has at "
                                  f"least {self.value:.0%} of the majority's {majority:,} rows. Raise the ratio.")
            return counts
        if self.rule == "count":
            if self.value != int(self.value) or not 1 <= self.value <= 1_000_000:
                raise ConfigError(f"The count must be a whole number from 1 to 1,000,000; got {self.value}.")
            return {c: int(self.value) for c in smaller}
        raise ConfigError(f"Unknown amount rule '{self.rule}': use 'ratio' or 'count'.")

    def describe(self, train_counts: dict[str, int]) -> list[str]:
        """The arithmetic per class, e.g. '32 real + 4,110 synthetic = 4,142'."""
        counts = self.counts(train_counts)
        rule = (f"each smaller class grows to {self.value:g} x the majority's {max(train_counts.values()):,} rows"
                if self.rule == "ratio" else f"{int(self.value):,} synthetic rows for each smaller class")
        lines = [f"Rule: {rule}."]
        for label, n in counts.items():
            real = train_counts[label]
            lines.append(f"'{label}': {real:,} real + {n:,} synthetic = {real + n:,}")
        return lines
