"""The named limits of the drift verdict, each with its reason, and how the CLI's 'name=value' texts become them.

Thresholds, defaults and why (all editable, see DriftThresholds):
- psi_watch 0.10 / psi_rerun 0.25: the credit-scoring convention for the population stability index
  (Siddiqi 2006, Yurdakul 2018): below 0.1 no meaningful change, 0.1-0.25 a moderate shift, above 0.25 a
  major shift that invalidates a model built on the old population.
- missing_watch 0.05 / missing_rerun 0.10: absolute change of a column's missing share (Fisher's exact test);
  the model fills blanks as it learned on the training part, so ten points more blanks change what it sees.
- alpha 0.05: family-wise error level of the whole check. Every test (each feature's distribution and missing
  share, the same among minority rows, the prior, recall, precision) is judged on its Holm-adjusted p-value
  (Holm 1979, step-down), so two random halves of the same data give a non-stable verdict at most 5% of the time
  whatever the dependence between tests; a shift must be both significant and large.
- prior_shift_watch 0.25 / prior_shift_rerun 0.50: relative change of the minority share |new - ref| / ref.
  The synthetic amount was set for the old share; a half-again larger or smaller minority changes it.
- recall_drop_watch 0.05 / recall_drop_rerun 0.10: absolute drop of minority recall (or precision) from its
  test-time value; ten points of minority recall is the size of gain the synthetic rows are asked to bring.
  Both are judged at the deployed decision: the run's tuned threshold (the model the card's section 8 monitors).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from core.errors import ConfigError


@dataclass(frozen=True)
class DriftThresholds:
    """Named limits of the drift verdict (reasons in the module docstring and in REASONS)."""
    psi_watch: float = 0.10
    psi_rerun: float = 0.25
    missing_watch: float = 0.05
    missing_rerun: float = 0.10
    alpha: float = 0.05
    prior_shift_watch: float = 0.25
    prior_shift_rerun: float = 0.50
    recall_drop_watch: float = 0.05
    recall_drop_rerun: float = 0.10

    def check(self) -> None:
        """ConfigError when a limit is out of range or a watch limit is above its re-run limit."""
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ConfigError(f"The drift threshold '{f.name}' must be a number of 0 or more; got {value!r}.")
        if not 0 < self.alpha < 1:
            raise ConfigError(f"The drift threshold 'alpha' must be between 0 and 1; got {self.alpha}.")
        for name in ("psi", "missing", "prior_shift", "recall_drop"):
            if getattr(self, f"{name}_watch") > getattr(self, f"{name}_rerun"):
                raise ConfigError(f"The drift threshold '{name}_watch' must not be above '{name}_rerun'.")


REASONS = {
    "psi_watch": "PSI 0.1-0.25 is a moderate shift in the credit-scoring convention",
    "psi_rerun": "PSI above 0.25 is a major shift: the model was built on another population",
    "missing_watch": "a column's missing share changed by 5 points",
    "missing_rerun": "a column's missing share changed by 10 points: the model sees other inputs than it learned on",
    "alpha": "family-wise false-alarm level over every test of the check (Holm's step-down correction)",
    "prior_shift_watch": "minority share changed by a quarter of itself",
    "prior_shift_rerun": "minority share changed by half of itself: the synthetic amount no longer fits",
    "recall_drop_watch": "minority recall or precision down 5 points from test time",
    "recall_drop_rerun": "minority recall or precision down 10 points, the size of gain asked of synthetic rows",
}


def thresholds_from_pairs(pairs: list[str], base: DriftThresholds = DriftThresholds()) -> DriftThresholds:
    """DriftThresholds from 'name=value' texts (the CLI's --threshold), checked."""
    known = {f.name for f in fields(DriftThresholds)}
    values = asdict(base)
    for pair in pairs:
        name, _, text = pair.partition("=")
        if name.strip() not in known:
            raise ConfigError(f"Unknown drift threshold '{name.strip()}'. Known: {', '.join(sorted(known))}.")
        try:
            values[name.strip()] = float(text)
        except ValueError:
            raise ConfigError(f"The drift threshold '{name.strip()}' needs a number; got '{text}'.") from None
    thresholds = DriftThresholds(**values)
    thresholds.check()
    return thresholds
