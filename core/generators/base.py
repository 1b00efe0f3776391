"""The generator contract: declared capabilities and parameters, a fitted sampler, and the result value."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import pandas as pd

from core.errors import ConfigError

Progress = Callable[[float, str], None]
StopRequested = Callable[[], bool]
LossReport = Callable[[pd.DataFrame], None]  # per-epoch losses so far (columns class, Epoch, loss names)


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: its type ('int', 'float', 'choice'), default, allowed range, help, choices and the label
    the app shows (the name is what configs and the CLI use).

    help comes before choices so that ParamSpec(name, kind, default, low, high, "help text") puts the text in
    help: number parameters are declared that way in the registry modules."""
    name: str
    kind: str
    default: object
    low: float | None = None
    high: float | None = None
    help: str = ""
    choices: tuple = ()
    label: str = ""
    format: str = ""  # how a number field shows its value (printf style, e.g. "%.1e" for tiny values); "" default
    step: float = 0.0  # a number field's +/- step; 0: the app's default

    @property
    def display(self) -> str:
        """The human label, or the name when none was declared."""
        return self.label or self.name

    def __post_init__(self):
        if isinstance(self.choices, str):  # ParamSpec(name, kind, default, low, high, "help"): the help, not choices
            object.__setattr__(self, "help", self.choices)
            object.__setattr__(self, "choices", ())

    def check(self, value: object, method: str) -> object:
        """The value converted to the declared type; ConfigError when it is out of range."""
        if self.kind == "choice":
            if value not in self.choices:
                raise ConfigError(f"{method}: '{self.name}' must be one of {', '.join(map(str, self.choices))}; "
                                  f"got {value!r}.")
            return value
        try:
            number = int(value) if self.kind == "int" else float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{method}: '{self.name}' must be a number; got {value!r}.") from None
        if self.kind == "int" and float(value) != number:
            raise ConfigError(f"{method}: '{self.name}' must be a whole number; got {value!r}.")
        if (self.low is not None and number < self.low) or (self.high is not None and number > self.high):
            raise ConfigError(f"{method}: '{self.name}' must be between {self.low:g} and {self.high:g}; "
                              f"got {number:g}.")
        return number


DP_FAMILY = "differential privacy"


@dataclass(frozen=True)
class GeneratorInfo:
    """What a generator is and what it can take; the advisor and the pages decide from these fields.

    categorical: 'none' (numbers only), 'mixed' (numbers and categories), 'only' (categories only),
    'any' (all three). min_minority_rows: below it the method refuses; warn_below_rows: below it, a warning.
    """
    name: str
    label: str
    family: str
    library: str
    categorical: str
    params: tuple[ParamSpec, ...]
    summary: str
    pros: str
    limits: str
    multiclass: bool = True
    min_minority_rows: int = 2
    warn_below_rows: int = 0
    slow: bool = False
    deterministic: bool = True
    cost: str = "low"
    tuning: str = "low"

    @property
    def differentially_private(self) -> bool:
        """True for generators whose training carries an (epsilon, delta) guarantee."""
        return self.family == DP_FAMILY

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params}

    def resolve_params(self, given: dict | None) -> dict:
        """Defaults overlaid with the given values, each checked against its declared range."""
        given = dict(given or {})
        unknown = sorted(set(given) - {p.name for p in self.params})
        if unknown:
            raise ConfigError(f"{self.name} has no parameter {', '.join(map(repr, unknown))}. "
                              f"Its parameters: {', '.join(p.name for p in self.params) or 'none'}.")
        return {p.name: p.check(given.get(p.name, p.default), self.name) for p in self.params}


@dataclass(frozen=True)
class GenerationTask:
    """What a family needs to fit: training rows in model units (numbers as float, levels as str, no NaN).

    frame: the feature columns plus the target column. counts: synthetic rows wanted per class label.
    """
    frame: pd.DataFrame
    target: str
    numbers: list[str]
    levels: list[str]
    params: dict
    seed: int
    progress: Progress | None = None
    should_stop: StopRequested | None = None
    on_losses: LossReport | None = None
    public_ranges: dict = field(default_factory=dict)  # {number column: (low, high)} the analyst declared public
    public_levels: dict = field(default_factory=dict)  # {category column: levels} the analyst declared public


@dataclass(frozen=True)
class PrivacyGuarantee:
    """The (epsilon, delta) differential-privacy guarantee of a trained generator and of the rows released from it.

    epsilon / delta: the guarantee under replace-one (substitution) adjacency, the one that matches class row
    counts being public (see core/generators/dp.py): epsilon is twice what the library's accountant spent under
    add/remove adjacency (accountant_epsilon at accountant_delta), by group privacy; delta is at most the target.
    protects: which rows the guarantee covers. public: what the guarantee treats as public (not paid for from
    the budget). uncovered: the steps after (or around) training that read the real rows outside the mechanism;
    the released rows carry the guarantee only when there is none (release_covered). secure_mode: the library's
    cryptographically secure noise. Per-class models on disjoint rows compose in parallel: the largest epsilon
    (and its settings) is reported.
    """
    mechanism: str
    epsilon: float
    delta: float
    accountant: str
    library: str
    target_epsilon: float
    noise_multiplier: float
    protects: str
    public: tuple[str, ...] = ()
    secure_mode: bool = False
    sample_rate: float = 0.0  # Poisson sampling rate of each step (expected batch / rows)
    steps: int = 0  # noisy steps taken; with noise_multiplier and sample_rate, what the accountant composed
    adjacency: str = "replace-one"
    accountant_epsilon: float = 0.0  # add/remove epsilon the accountant reports for (noise, rate, steps)
    accountant_delta: float = 0.0  # the delta it was asked at
    uncovered: tuple[str, ...] = ()  # steps that read the real rows outside the mechanism (core.generators.dp)

    @property
    def release_covered(self) -> bool:
        """True when nothing outside DP-SGD read the real rows, so the released rows carry the guarantee."""
        return not self.uncovered

    def with_uncovered(self, *steps: str) -> PrivacyGuarantee:
        """The same guarantee with more steps named as outside it (each named once, in order)."""
        return replace(self, uncovered=tuple(dict.fromkeys(self.uncovered + tuple(steps))))

    def to_dict(self) -> dict:
        """The `generation.privacy` block of results.json."""
        return {"mechanism": self.mechanism, "epsilon": self.epsilon, "delta": self.delta,
                "accountant": self.accountant, "library": self.library, "adjacency": self.adjacency,
                "target_epsilon": self.target_epsilon, "noise_multiplier": self.noise_multiplier,
                "sample_rate": self.sample_rate, "steps": self.steps,
                "accountant_epsilon": self.accountant_epsilon, "accountant_delta": self.accountant_delta,
                "protects": self.protects, "public": list(self.public),
                "release_covered": self.release_covered, "uncovered_steps": list(self.uncovered)}


@dataclass(frozen=True)
class SyntheticResult:
    """Synthetic rows only (same columns and dtypes as the training frame, target filled) and how they came.

    rejected_by_constraints / dropped_by_density: rows generated and thrown away (not in `rows`).
    loss_history: per-epoch losses for neural generators (columns class, epoch, loss names), else empty.
    """
    rows: pd.DataFrame
    method: str
    method_used: str
    params: dict
    seed: int
    seconds: float
    requested: dict[str, int]
    produced: dict[str, int]
    rejected_by_constraints: int = 0
    dropped_by_density: int = 0
    warnings: tuple[str, ...] = ()
    loss_history: pd.DataFrame = field(default_factory=pd.DataFrame)
    privacy: PrivacyGuarantee | None = None  # set by differentially private generators only

    @property
    def n_synthetic(self) -> int:
        return len(self.rows)
