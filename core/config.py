"""The whole run as one serialisable config, with the package versions it ran under."""
from __future__ import annotations

import json
import platform
import re
from dataclasses import asdict, dataclass, field, fields
from importlib import metadata

import numpy as np

from core.cleaning import CleaningPlan
from core.constraints import ColumnBound
from core.data import COLUMN_KINDS
from core.errors import ConfigError
from core.evaluation import Targets
from core.generators.amount import Amount
from core.generators.density import DensityFilter
from core.models import CLASSIFIERS
from core.validation.verdict import Thresholds, thresholds_from_dict

PINNED = ("streamlit", "pandas", "numpy", "plotly", "scikit-learn", "imbalanced-learn", "ctgan", "rdt",
          "umap-learn", "scipy", "torch")
MAX_REPEATS = 30
MAX_SEED = 2**31 - 1  # numpy and scikit-learn take seeds up to 2**32 - 1; repeats add their index to the seed
MAX_WORK = 10_000_000  # repeats x rows x methods a run may ask for; lifted with the CLI's --max-work


class ConfigFieldErrors(ConfigError):
    """Several bad fields of a config: `problems` holds one line per field (the CLI prints each as `error: ...`)."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class FieldSpec:
    """What one config field must hold: its JSON types, a range for numbers, the words a message uses."""
    types: tuple[type, ...]
    says: str
    low: float | None = None
    high: float | None = None
    optional: bool = False  # null allowed


_TEXT, _NUMBER, _WHOLE, _FLAG, _OBJECT, _LIST = (str,), (int, float), (int,), (bool,), (dict,), (list, tuple)
# declared once: config_from_dict checks every field against this before building anything
CONFIG_SCHEMA: dict[str, FieldSpec] = {
    "target": FieldSpec(_TEXT, "a column name (text)"),
    "method": FieldSpec(_TEXT, "a method name (text)"),
    "data": FieldSpec(_TEXT, "a file name (text)"),
    "data_sha256": FieldSpec(_TEXT, "the data file's SHA-256 (text)"),
    "column_types": FieldSpec(_OBJECT, "an object {column: kind}"),
    "cleaning": FieldSpec(_OBJECT, "an object"),
    "test_size": FieldSpec(_NUMBER, "a number from 0.1 to 0.5", 0.1, 0.5),
    "seed": FieldSpec(_WHOLE, f"a whole number from 0 to {MAX_SEED}", 0, MAX_SEED),
    "amount": FieldSpec(_OBJECT, "an object {rule, value}"),
    "params": FieldSpec(_OBJECT, "an object"),
    "rules": FieldSpec(_LIST, "a list of rules (text)"),
    "bounds": FieldSpec(_LIST, "a list of {column, low, high, allowed}"),
    "density": FieldSpec(_OBJECT, "an object {k, max_other_share} or null", optional=True),
    "drop_copies": FieldSpec(_FLAG, "true or false"),
    "thresholds": FieldSpec(_OBJECT, "an object", optional=True),
    "classifier": FieldSpec(_TEXT, f"one of {', '.join(CLASSIFIERS)}"),
    "repeats": FieldSpec(_WHOLE, f"a whole number from 1 to {MAX_REPEATS}", 1, MAX_REPEATS),
    "targets": FieldSpec(_OBJECT, "an object {minority_f1_gain}"),
    "sensitive_attribute": FieldSpec(_TEXT, "a column name (text) or null", optional=True),
    "validation": FieldSpec(_FLAG, "true or false"),
    "card_notes": FieldSpec(_OBJECT, "an object {field: text}"),
    "margin": FieldSpec(_NUMBER, "a minority F1 difference from 0 to below 1", 0.0, 0.999999),
}
_SECTIONS = {"cleaning": CleaningPlan, "amount": Amount, "targets": Targets, "density": DensityFilter}


def _shown(value) -> str:
    text = json.dumps(value) if not isinstance(value, (dict, list)) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _field_problem(name: str, value, spec: FieldSpec) -> str | None:
    """One line saying what is wrong with a field's value, or None."""
    if value is None:
        return None if spec.optional else f"'{name}' must be {spec.says}; got null."
    # JSON true/false are Python bools, which are also ints: a flag is never a number, nor a number a flag
    fits = isinstance(value, spec.types) and (bool in spec.types or not isinstance(value, bool))
    if spec.types == _WHOLE and isinstance(value, float) and not isinstance(value, bool) and value.is_integer():
        fits = True  # 7.0 is the whole number 7
    if not fits:
        return f"'{name}' must be {spec.says}; got {_shown(value)} ({_json_kind(value)})."
    if spec.low is not None and not spec.low <= value <= spec.high:
        return f"'{name}' must be {spec.says}; got {_shown(value)}."
    return None


def _json_kind(value) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {str: "text", int: "number", float: "number", dict: "object", list: "list"}.get(type(value), "value")


def _section_problems(name: str, value: dict, section: type) -> list[str]:
    """Every field of a section (cleaning, amount, targets, density) typed like its default."""
    known = {f.name: f for f in fields(section)}
    problems = [f"'{name}.{key}' is not a setting of '{name}'; it has: {', '.join(known)}."
                for key in value if key not in known]
    for key, spec in known.items():
        if key not in value:
            continue
        default = spec.default
        kind = _FLAG if isinstance(default, bool) else _WHOLE if isinstance(default, int) else \
            _NUMBER if isinstance(default, float) else _TEXT
        says = {_FLAG: "true or false", _WHOLE: "a whole number", _NUMBER: "a number", _TEXT: "text"}[kind]
        problem = _field_problem(f"{name}.{key}", value[key], FieldSpec(kind, says))
        if problem:
            problems.append(problem)
    return problems


def config_problems(data: dict) -> list[str]:
    """One line per field of a config's JSON form whose type or range is wrong (empty: the types are right)."""
    problems = []
    for name, spec in CONFIG_SCHEMA.items():
        if name not in data:
            continue
        problem = _field_problem(name, data[name], spec)
        if problem:
            problems.append(problem)
        elif name in _SECTIONS and isinstance(data[name], dict):
            problems.extend(_section_problems(name, data[name], _SECTIONS[name]))
    if isinstance(data.get("rules"), (list, tuple)) and not all(isinstance(r, str) for r in data["rules"]):
        problems.append("'rules' must be a list of rules (text), e.g. [\"age >= 18\"].")
    kinds = data.get("column_types")
    if isinstance(kinds, dict) and not all(isinstance(v, str) for v in kinds.values()):
        problems.append(f"'column_types' must map column names to a kind ({', '.join(COLUMN_KINDS)}).")
    return problems


def check_work(config: RunConfig, rows: int, methods: int = 1, limit: int = MAX_WORK) -> None:
    """Refuse a run that asks for more than `limit` row-fits (repeats x rows x methods) before it starts."""
    work = config.repeats * rows * methods
    if work > limit:
        raise ConfigError(f"The run asks for {config.repeats} repeats x {rows:,} rows x {methods} method(s) = "
                          f"{work:,} row-fits, over the cap of {limit:,}. Lower the repeats, use a stratified "
                          f"sample of the rows, or lift the cap with --max-work {work}.")


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides a run's figures, apart from the data itself (identified by its SHA-256).

    What the user kept travels here, so every page and command that evaluates judges the rows the user validated
    and downloaded: bounds (narrowed ranges and allowed levels), rules, density (filter), drop_copies (exact and
    near copies of training rows removed after generation) and thresholds (the validation verdict's limits).
    Build it with `build_run_config`, the one function the pages and the CLI share.
    """
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
    bounds: tuple[ColumnBound, ...] = ()
    density: DensityFilter | None = None
    drop_copies: bool = False
    thresholds: Thresholds = Thresholds()
    classifier: str = "logreg"
    repeats: int = 5
    targets: Targets = Targets()
    sensitive_attribute: str | None = None
    validation: bool = True
    card_notes: dict = field(default_factory=dict)  # the model card's analyst fields (core.card_notes.CARD_FIELDS)
    margin: float = 0.0  # the race's margin in favour of no synthetic rows (minority F1; the analyst's, default 0)

    def check(self) -> None:
        """Refuse settings no run can use (the method is checked where it is run: no-generation strategies
        and generators are both names here)."""
        bad_kinds = sorted(k for k, v in self.column_types.items() if v not in COLUMN_KINDS)
        if bad_kinds:
            raise ConfigError(f"Unknown column kind for {', '.join(bad_kinds)}; kinds are: {', '.join(COLUMN_KINDS)}.")
        if self.classifier not in CLASSIFIERS:
            raise ConfigError(f"Unknown classifier '{self.classifier}'. Choose one of: {', '.join(CLASSIFIERS)}.")
        if not 1 <= self.repeats <= MAX_REPEATS:
            raise ConfigError(f"Repeats must be between 1 and {MAX_REPEATS}; got {self.repeats}.")
        if not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"The seed must be a whole number from 0 to {MAX_SEED}; got {self.seed}.")
        if not isinstance(self.card_notes, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                            for k, v in self.card_notes.items()):
            raise ConfigError("'card_notes' must map model card field names to text.")
        if not 0 <= self.margin < 1:
            raise ConfigError(f"The margin is a minority F1 difference from 0 to below 1; got {self.margin}.")

    def to_dict(self) -> dict:
        out = asdict(self)
        out["rules"] = list(self.rules)
        out["bounds"] = [{**b, "allowed": None if b["allowed"] is None else list(b["allowed"])} for b in out["bounds"]]
        out["thresholds"] = self.thresholds.to_dict()
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
    problems = config_problems(data)
    if problems:
        raise ConfigFieldErrors(problems)
    try:
        values = {k: v for k, v in data.items() if k in known}
        values["seed"] = int(values.get("seed", 42))
        values["repeats"] = int(values.get("repeats", 5))
        values["test_size"] = float(values.get("test_size", 0.3))
        values["cleaning"] = CleaningPlan(**values.get("cleaning", {}))
        values["amount"] = Amount(**values.get("amount", {}))
        values["targets"] = Targets(**values.get("targets", {}))
        values["density"] = DensityFilter(**values["density"]) if values.get("density") else None
        values["rules"] = tuple(values.get("rules", ()))
        values["bounds"] = tuple(_bound(b) for b in values.get("bounds", ()))
        values["thresholds"] = thresholds_from_dict(values.get("thresholds"))
        values["column_types"] = dict(values.get("column_types") or {})
        config = RunConfig(**values)
    except (TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"The config has a malformed section: {exc}.") from None
    config.cleaning.validate()
    config.check()
    return config


def parse_levels(column: str, text: str) -> ColumnBound:
    """A category column's declared public levels ('a, b, c': comma-separated, spaces around each trimmed) as a
    bound with `allowed` (RunConfig.bounds): under differential privacy the generator encodes exactly these levels
    (core.generators.dp_vae.declared_levels); undeclared columns' levels are read from the rows (not covered)."""
    levels = tuple(dict.fromkeys(level.strip() for level in str(text).split(",") if level.strip()))
    if not str(column).strip() or not levels:
        raise ConfigError(f"Declared levels need a column and at least one level, e.g. 'colour=red,blue'; got "
                          f"'{column}={text}'.")
    return ColumnBound(column=str(column).strip(), allowed=levels)


def _bound(value) -> ColumnBound:
    """A ColumnBound from itself or its JSON form {column, low, high, allowed}."""
    if isinstance(value, ColumnBound):
        return value
    allowed = value.get("allowed")
    return ColumnBound(column=str(value["column"]), low=None if value.get("low") is None else float(value["low"]),
                       high=None if value.get("high") is None else float(value["high"]),
                       allowed=None if allowed is None else tuple(allowed))


def build_run_config(target: str, method: str | None = None, *, data: str = "", data_sha256: str = "",
                     generation: dict | None = None, column_types: dict | None = None,
                     cleaning: CleaningPlan = CleaningPlan(), test_size: float = 0.3, seed: int = 42,
                     amount: Amount | dict | None = None, params: dict | None = None,
                     rules: list[str] | tuple[str, ...] | None = None, bounds: list | tuple | None = None,
                     density: DensityFilter | dict | None = None, drop_copies: bool | None = None,
                     thresholds: Thresholds | dict | None = None, classifier: str = "logreg", repeats: int = 5,
                     targets: Targets = Targets(), sensitive_attribute: str | None = None,
                     validation: bool = True, margin: float = 0.0) -> RunConfig:
    """The one way pages and the CLI build a RunConfig, checked.

    generation: the record of the rows the user kept, as the Generation page stores it: method, amount
    {rule, value}, params, constraints {rules, bounds}, density {k, max_other_share} or None, copies_dropped.
    A keyword given explicitly (not None) overrides the record; a field in neither keeps RunConfig's default.
    """
    kept = generation or {}
    constraints = kept.get("constraints") or {}
    amount = amount if amount is not None else kept.get("amount")
    density = density if density is not None else kept.get("density")
    config = RunConfig(
        target=target, method=method or kept.get("method") or "", data=data, data_sha256=data_sha256,
        column_types=dict(column_types or {}), cleaning=cleaning, test_size=float(test_size), seed=int(seed),
        amount=Amount(**amount) if isinstance(amount, dict) else (amount or Amount()),
        params=dict(params if params is not None else kept.get("params") or {}),
        rules=tuple(r for r in (rules if rules is not None else constraints.get("rules", ())) if str(r).strip()),
        bounds=tuple(_bound(b) for b in (bounds if bounds is not None else constraints.get("bounds", ()))),
        density=DensityFilter(**density) if isinstance(density, dict) else density,
        drop_copies=bool(drop_copies if drop_copies is not None else kept.get("copies_dropped", False)),
        thresholds=(thresholds_from_dict(thresholds) if isinstance(thresholds, dict)
                    else thresholds or Thresholds()),
        classifier=classifier, repeats=int(repeats), targets=targets, sensitive_attribute=sensitive_attribute,
        validation=validation, margin=float(margin))
    if not config.method:
        raise ConfigError("The run needs a method: generate synthetic rows first, or name one.")
    config.check()
    return config


MAX_CONFIG_DEPTH = 32  # a saved config nests 4 levels; json.loads recurses once per level (RecursionError)
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def json_depth(text: str) -> int:
    """How deeply the JSON text nests objects and lists, counted from its brackets outside strings (a linear scan,
    no recursion), so a config nested 100,000 levels deep is refused before json.loads recurses into it."""
    brackets = np.frombuffer(_JSON_STRING.sub("", text).encode("utf-8", errors="replace"), dtype=np.uint8)
    steps = np.isin(brackets, (ord("["), ord("{"))).astype(np.int64) - np.isin(brackets, (ord("]"), ord("}")))
    return int(np.cumsum(steps).max(initial=0))


def read_config(text: str) -> RunConfig:
    """Parse config JSON text (JSON only: nothing in it is executed); nesting deeper than MAX_CONFIG_DEPTH is
    refused in one line."""
    depth = json_depth(text)
    if depth > MAX_CONFIG_DEPTH:
        raise ConfigError(f"The config nests {depth:,} levels deep, over the {MAX_CONFIG_DEPTH} a config can have. "
                          "Use a config saved by the app or by `python -m core run`.")
    try:
        return config_from_dict(json.loads(text))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"The config is not valid JSON ({exc.msg} at line {exc.lineno}).") from None
    except RecursionError:
        raise ConfigError(f"The config nests deeper than the {MAX_CONFIG_DEPTH} levels a config can have. Use a "
                          "config saved by the app or by `python -m core run`.") from None


def config_json(config: RunConfig) -> str:
    return json.dumps(config.to_dict(), indent=2)


def versions(names: tuple[str, ...] = PINNED) -> dict[str, str]:
    """Python and the installed version of each named package (default: every pinned one)."""
    found = {"python": platform.python_version()}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found
