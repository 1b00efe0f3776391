"""The whole run as one serialisable config, with the package versions it ran under."""
from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field, fields
from importlib import metadata

from core.cleaning import CleaningPlan
from core.errors import ConfigError
from core.evaluation import Targets
from core.generators.amount import Amount
from core.generators.density import DensityFilter
from core.models import CLASSIFIERS

PINNED = ("streamlit", "pandas", "numpy", "plotly", "scikit-learn", "imbalanced-learn", "ctgan", "rdt",
          "umap-learn", "scipy", "torch")
MAX_REPEATS = 30


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides a run's figures, apart from the data itself (identified by its SHA-256)."""
    target: str
    method: str
    data: str = ""
    data_sha256: str = ""
    column_types: dict = field(default_factory=dict)
    cleaning: CleaningPlan = CleaningPlan()
    test_size: float = 0.3
    seed: int = 42
    amount: Amount = Amount()
    params: dict = field(default_factory=dict)
    rules: tuple[str, ...] = ()
    density: DensityFilter | None = None
    classifier: str = "logreg"
    repeats: int = 5
    targets: Targets = Targets()
    sensitive_attribute: str | None = None
    validation: bool = True
    card_notes: dict = field(default_factory=dict)  # the model card's analyst fields (core.report.CARD_FIELDS)

    def check(self) -> None:
        if self.classifier not in CLASSIFIERS:
            raise ConfigError(f"Unknown classifier '{self.classifier}'. Choose one of: {', '.join(CLASSIFIERS)}.")
        if not 1 <= self.repeats <= MAX_REPEATS:
            raise ConfigError(f"Repeats must be between 1 and {MAX_REPEATS}; got {self.repeats}.")
        if not isinstance(self.card_notes, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                            for k, v in self.card_notes.items()):
            raise ConfigError("'card_notes' must map model card field names to text.")

    def to_dict(self) -> dict:
        out = asdict(self)
        out["rules"] = list(self.rules)
        out["versions"] = versions()
        return out


def config_from_dict(data: dict) -> RunConfig:
    """Rebuild a RunConfig from its JSON form (the `versions` block is informative and ignored)."""
    if not isinstance(data, dict) or "target" not in data or "method" not in data:
        raise ConfigError("This is not a SynthBalance run config: it needs at least 'target' and 'method'.")
    known = {f.name for f in fields(RunConfig)}
    unknown = sorted(set(data) - known - {"versions"})
    if unknown:
        raise ConfigError(f"The config has unknown keys: {', '.join(unknown)}.")
    try:
        values = {k: v for k, v in data.items() if k in known}
        values["cleaning"] = CleaningPlan(**values.get("cleaning", {}))
        values["amount"] = Amount(**values.get("amount", {}))
        values["targets"] = Targets(**values.get("targets", {}))
        values["density"] = DensityFilter(**values["density"]) if values.get("density") else None
        values["rules"] = tuple(values.get("rules", ()))
        config = RunConfig(**values)
    except TypeError as exc:
        raise ConfigError(f"The config has a malformed section: {exc}.") from None
    config.cleaning.validate()
    config.check()
    return config


def read_config(text: str) -> RunConfig:
    """Parse config JSON text (JSON only: nothing in it is executed)."""
    try:
        return config_from_dict(json.loads(text))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"The config is not valid JSON ({exc.msg} at line {exc.lineno}).") from None


def config_json(config: RunConfig) -> str:
    return json.dumps(config.to_dict(), indent=2)


def versions() -> dict[str, str]:
    """Python and every pinned package's installed version."""
    found = {"python": platform.python_version()}
    for name in PINNED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found
