"""The one entry point to every generator: validate once, impute for generation, sample, decode to the
original units and types, enforce constraints and the density filter, and count exactly."""
from __future__ import annotations

import math
import threading
import time
from contextlib import contextmanager
from dataclasses import replace

import numpy as np
import pandas as pd

from core.constraints import Constraints, satisfied
from core.data import CONSTANT, DATETIME, IDENTIFIER, INTEGER, NUMBER_KINDS
from core.encoding import level_columns, model_frame, number_columns
from core.errors import ConfigError, DataError, GenerationError
from core.generators import copula, deep, dp, dp_guarantee, dp_vae, smote
from core.generators.base import GenerationTask, GeneratorInfo, LossReport, Progress, StopRequested, SyntheticResult
from core.generators.density import DensityFilter, fit_density
from core.split import ensure_not_held_out

REGISTRY: dict[str, GeneratorInfo] = {**smote.INFOS, copula.INFO.name: copula.INFO, **deep.INFOS, **dp.INFOS}
METHOD_NAMES = tuple(REGISTRY)
METHOD_LABELS = {name: info.label for name, info in REGISTRY.items()}  # shown in pickers
NUMBERS_ONLY_SMOTE = ("smote", "borderline_smote", "svm_smote", "adasyn", "kmeans_smote")
MAX_ROUNDS = 10


def get_info(name: str) -> GeneratorInfo:
    """The declared generator; ConfigError listing the valid names otherwise."""
    if name not in REGISTRY:
        raise ConfigError(f"Unknown method '{name}'. Choose one of: {', '.join(METHOD_NAMES)}.")
    return REGISTRY[name]


def resolve_method(name: str, n_numbers: int, n_levels: int) -> tuple[str, str | None]:
    """The method that will actually run on these columns, and a note when it differs from the one asked for.

    SMOTE on categories goes to SMOTENC (mixed) or SMOTEN (categories only), never through one-hot columns.
    """
    info = get_info(name)
    if info.categorical == "none" and n_levels:
        if name == "smote":
            routed = "smotenc" if n_numbers else "smoten"
            return routed, (f"SMOTE interpolates numbers only; this table has {n_levels} categorical "
                            f"column(s), so {REGISTRY[routed].label} was used instead.")
        raise ConfigError(f"{info.label} handles numeric columns only, and this table has {n_levels} categorical "
                          "column(s). Use SMOTE-NC, CTGAN, TVAE or the Gaussian copula, or exclude those columns.")
    if info.categorical == "mixed" and not (n_numbers and n_levels):
        routed = "smote" if n_numbers else "smoten"
        return routed, (f"SMOTE-NC needs both number and category columns; this table has "
                        f"{'no categories' if n_numbers else 'no numbers'}, so {REGISTRY[routed].label} was used.")
    if info.categorical == "only" and n_numbers:
        raise ConfigError(f"{info.label} takes categorical columns only, and this table has {n_numbers} numeric "
                          "column(s). Use SMOTE-NC for mixed tables.")
    if not n_numbers and not n_levels:
        raise DataError("No feature columns are left for generation (identifiers and constants are excluded).")
    return name, None


def _check_class_sizes(info: GeneratorInfo, train_counts: dict[str, int], counts: dict[str, int]) -> list[str]:
    warnings = []
    for label in counts:
        n = train_counts.get(label, 0)
        if n < 2:
            raise DataError(f"Class '{label}' has {n} training row{'s' if n != 1 else ''}: at least 2 are needed to "
                            "generate from (interpolation needs a neighbour). Add rows or lower the test share.")
        if n < info.min_minority_rows:
            raise DataError(f"{info.label} needs at least {info.min_minority_rows} training rows of a class; "
                            f"'{label}' has {n}. Use SMOTE or random oversampling.")
        if n < info.warn_below_rows:
            warnings.append(f"{info.label} learns from only {n} rows of '{label}': below {info.warn_below_rows} rows a "
                            "neural generator tends to memorise or collapse. SMOTE or the Gaussian copula are safer.")
    return warnings


MISSING_LEVEL = "<missing>"
MISSING_FLAG = "__missing__"


def _generation_frame(train: pd.DataFrame, target: str, numbers: list[str], levels: list[str],
                      kinds: dict[str, str]) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Features in model units with no NaN, so every generator can take them; missingness becomes data.

    A number column with gaps gets a companion level column `<col>__missing__` (generated like any category,
    so gaps follow related columns) and its gaps are filled with the median of these rows; a missing
    category becomes its own level. Returns (frame, level columns incl. companions, number columns with gaps).
    """
    frame = model_frame(train, numbers + levels, kinds)
    gaps = frame[numbers].isna().any()  # one pass over the block, not one lookup per column
    gappy = [c for c, gap in gaps.items() if gap]
    for col in gappy:
        frame[col + MISSING_FLAG] = frame[col].isna().map({True: "yes", False: "no"})
        median = frame[col].median()
        frame[col] = frame[col].fillna(0.0 if pd.isna(median) else median)
    for col in levels:
        frame[col] = frame[col].fillna(MISSING_LEVEL)
    frame[target] = train[target].astype(str).to_numpy()
    return frame, levels + [c + MISSING_FLAG for c in gappy], gappy


def _restore_gaps(decoded: pd.DataFrame, raw: pd.DataFrame, gappy: list[str]) -> pd.DataFrame:
    """Blank the number cells whose companion column says the value is missing."""
    for col in gappy:
        missing = (raw[col + MISSING_FLAG].astype(str) == "yes").to_numpy()
        if missing.any():
            decoded[col] = decoded[col].astype(float) if decoded[col].dtype.kind in "iu" else decoded[col]
            decoded.loc[missing, col] = np.nan
    return decoded


def observed_decimals(values: pd.Series, most: int = 6) -> int:
    """The fewest decimals that write every observed value exactly (at most `most`): 0.455 -> 3."""
    present = values.dropna().to_numpy(dtype=float)[:10000]
    for decimals in range(most + 1):
        if np.allclose(present, np.round(present, decimals), rtol=0, atol=1e-9):
            return decimals
    return most


def observed_limits(train: pd.DataFrame, kinds: dict[str, str],
                    numbers: pd.DataFrame | None = None) -> dict[str, tuple[float, float, int]]:
    """(min, max, decimals) of every number column of the training rows, in model units. `numbers`: those
    columns already in model units (saves converting a million rows twice)."""
    columns = [c for c in train.columns if kinds.get(c) in NUMBER_KINDS]
    if numbers is None or not set(columns) <= set(numbers.columns):
        numbers = model_frame(train, columns, kinds)
    lowest, highest = numbers[columns].min(), numbers[columns].max()
    decimals = _decimals_at_once(numbers[columns]) if len(numbers) <= 10000 else {}
    return {col: (lowest[col], highest[col], 0 if kinds[col] == INTEGER else
                  decimals[col] if col in decimals else observed_decimals(numbers[col])) for col in columns}


def _decimals_at_once(numbers: pd.DataFrame, most: int = 6) -> dict[str, int]:
    """observed_decimals of every column of a frame of at most 10,000 rows, all columns per step (a wide table
    would otherwise pay one loop per column)."""
    values = numbers.to_numpy(dtype=float)
    found = np.full(values.shape[1], most)
    open_columns = np.ones(values.shape[1], dtype=bool)
    for decimals in range(most + 1):
        with np.errstate(invalid="ignore"):
            exact = np.all(np.isnan(values) | np.isinf(values)
                           | (np.abs(values - np.round(values, decimals)) <= 1e-9), axis=0)
        found[open_columns & exact] = decimals
        open_columns &= ~exact
        if not open_columns.any():
            break
    return dict(zip(numbers.columns, found.tolist()))


def to_original_units(rows: pd.DataFrame, train: pd.DataFrame, target: str, kinds: dict[str, str],
                      limits: dict[str, tuple[float, float, int]] | None = None) -> pd.DataFrame:
    """Synthetic rows in model units back to the training frame's columns, units and dtypes.

    Numbers are clipped to the observed training range and rounded to the observed decimals; categories map back to the
    observed values; identifiers are left empty and constants keep their value.
    """
    limits = limits if limits is not None else observed_limits(train, kinds)
    numbers = _numbers_in_original_units(rows, train, target, kinds, limits)
    out = {}
    for col in train.columns:
        if col in numbers:
            out[col] = numbers[col]
            continue
        kind = kinds.get(col)
        original = train[col]
        if col == target:
            out[col] = rows[target].astype(str).to_numpy()
        elif kind == IDENTIFIER or (col not in rows.columns and kind != CONSTANT):
            out[col] = pd.Series(np.nan, index=rows.index, dtype=object if original.dtype == object else float)
        elif kind == CONSTANT:
            value = original.dropna().iloc[0] if original.notna().any() else np.nan
            out[col] = pd.Series([value] * len(rows), index=rows.index, dtype=original.dtype)
        elif kind in NUMBER_KINDS:
            low, high, decimals = limits[col]
            values = np.round(np.clip(rows[col].to_numpy(dtype=float), low, high), decimals)
            if kind == DATETIME:
                out[col] = pd.to_datetime(values, unit="s")
            else:
                out[col] = pd.Series(values, index=rows.index).astype(original.dtype)
        else:
            mapping = {str(v): v for v in original.dropna().unique()}
            values = rows[col].astype(str).map(mapping)
            can_cast = not (values.isna().any() and original.dtype.kind in "iub")
            out[col] = values.astype(original.dtype) if can_cast else values
    return pd.DataFrame(out, index=rows.index)[list(train.columns)]


def declared_ranges(constraints: Constraints, numbers: list[str]) -> dict[str, tuple[float, float]]:
    """{number column: (low, high)} from bounds that give both ends: the ranges the analyst declared (public
    under differential privacy). Several bounds on one column intersect."""
    ranges: dict[str, tuple[float, float]] = {}
    for bound in constraints.bounds:
        if bound.column in numbers and bound.low is not None and bound.high is not None:
            low, high = ranges.get(bound.column, (-math.inf, math.inf))
            ranges[bound.column] = (max(low, bound.low), min(high, bound.high))
    return ranges


def _numbers_in_original_units(rows: pd.DataFrame, train: pd.DataFrame, target: str, kinds: dict[str, str],
                               limits: dict[str, tuple[float, float, int]]) -> dict[str, pd.Series]:
    """to_original_units for the number columns (not dates) at once: clipped to the observed range, rounded to the
    observed decimals, in the training column's dtype (a wide table would pay one conversion per column)."""
    present = set(rows.columns)
    columns = [c for c in train.columns if c != target and c in present and kinds.get(c) in NUMBER_KINDS
               and kinds.get(c) != DATETIME]
    if not columns:
        return {}
    values = np.clip(rows[columns].to_numpy(dtype=float), [limits[c][0] for c in columns],
                     [limits[c][1] for c in columns])
    decimals = np.array([limits[c][2] for c in columns])
    for places in np.unique(decimals):
        values[:, decimals == places] = np.round(values[:, decimals == places], int(places))
    block = pd.DataFrame(values, index=rows.index, columns=columns)
    dtypes = dict(train.dtypes.items())
    cast = {c: dtypes[c] for c in columns if dtypes[c] != np.float64}
    block = block.astype(cast) if cast else block
    return dict(block.items())


# torch's random generator (model initialisation, CTGAN's and the VAEs' sampling noise) and its thread setting are
# process-wide. Two trainings in threads of one process (a Dask worker runs several tasks at once) would interleave
# their draws, and "same data, config and seed, same rows" would fail on a cluster. One torch job at a time per
# process; separate processes (joblib's workers, the cluster's worker processes) still run in parallel.
_TORCH_JOBS = threading.RLock()  # re-entrant: a generator that calls generate again must not wait on itself


@contextmanager
def _torch_exclusive(info: GeneratorInfo):
    """Hold the process's torch lock while a torch-based generator (neural or differentially private) works."""
    if info.slow or info.differentially_private:
        with _TORCH_JOBS:
            yield
    else:
        yield


def _fit_sampler(method: str, task: GenerationTask, classes: list[str]):
    info = REGISTRY[method]
    if info.family in ("duplication", "interpolation"):
        return smote.fit(task, method)
    if info.family == "copula":
        return copula.fit(task, classes)
    if info.differentially_private:
        return dp.fit(task, classes)
    return deep.fit(task, method, classes)


def _rows_trained_on(info: GeneratorInfo, params: dict, train_counts: dict[str, int], counts: dict[str, int]) -> str:
    """The rows a generator actually learns from: the generated classes' own rows for families that fit one model
    per class (copula, CTGAN/TVAE in per_class mode), every training row for the others."""
    if info.family == "copula" or params.get("mode") == "per_class":
        rows = sum(train_counts[c] for c in counts)
        return f"the {rows:,} training rows of class {', '.join(map(repr, counts))}"
    return f"{sum(train_counts.values()):,} training rows"


def generate(train: pd.DataFrame, target: str, features: list[str], kinds: dict[str, str],
             counts: dict[str, int], method: str, params: dict | None = None, seed: int = 42,
             constraints: Constraints | None = None, density: DensityFilter | None = None,
             progress: Progress | None = None, should_stop: StopRequested | None = None,
             on_losses: LossReport | None = None, read_before: tuple[str, ...] | list[str] = ()) -> SyntheticResult:
    """Make exactly counts[label] synthetic rows per class from the training rows (never the test part).

    Rows breaking a constraint or the density filter are dropped and regenerated (new seed per round) up to
    MAX_ROUNDS; a shortfall after that is reported in the result's warnings. read_before: steps before this call
    that read the other real rows (dp_guarantee.cleaning_steps); a private release names them among its uncovered steps.
    """
    ensure_not_held_out(train)
    info = get_info(method)
    params = info.resolve_params(params)
    counts = {str(c): int(n) for c, n in counts.items() if int(n) > 0}
    if not counts:
        raise ConfigError("No synthetic rows were asked for.")
    train_counts = {str(k): int(v) for k, v in train[target].astype(str).value_counts().items()}
    unknown = sorted(set(counts) - set(train_counts))
    if unknown:
        raise ConfigError(f"Class {unknown[0]!r} is not in the training rows of '{target}'.")
    numbers, levels = number_columns(features, kinds), level_columns(features, kinds)
    method_used, note = resolve_method(method, len(numbers), len(levels))
    used_info = REGISTRY[method_used]
    if method_used != method:
        params = used_info.resolve_params({k: v for k, v in params.items()
                                           if k in {p.name for p in used_info.params}})
    warnings = ([note] if note else []) + _check_class_sizes(used_info, train_counts, counts)
    started = time.perf_counter()
    frame, generation_levels, gappy = _generation_frame(train, target, numbers, levels, kinds)
    if gappy:
        warnings.append(f"{len(gappy)} numeric column(s) have gaps; each gap pattern was generated as a yes/no "
                        "column beside it, so synthetic rows keep missing values where real ones would.")
    if progress:
        progress(0.0, f"Fitting {used_info.label} on {_rows_trained_on(used_info, params, train_counts, counts)}")
    if gappy and method_used in NUMBERS_ONLY_SMOTE:  # companion columns are categories: SMOTE-NC takes them
        method_used, used_info = "smotenc", REGISTRY["smotenc"]
        params = used_info.resolve_params({k: v for k, v in params.items() if k == "k_neighbors"})
        warnings.append("Numeric gaps are generated as yes/no columns, so SMOTE-NC ran instead of "
                        f"{info.label}.")
    constraints = constraints or Constraints()
    private = used_info.differentially_private
    public_ranges = declared_ranges(constraints, numbers) if private else {}
    task = GenerationTask(frame=frame, target=target, numbers=numbers, levels=generation_levels, params=params,
                          seed=seed, progress=progress, should_stop=should_stop, on_losses=on_losses,
                          public_ranges=public_ranges,
                          public_levels=dp_vae.declared_levels(constraints.bounds, levels) if private else {})
    with _torch_exclusive(used_info):  # fit and sampling draw from torch's process-wide generator
        sampler = _fit_sampler(method_used, task, list(counts))
        warnings += list(getattr(sampler, "warnings", []))
        fitted_density = fit_density(density, train, target, features, kinds) if density else None
        limits = observed_limits(train, kinds, None if gappy else frame)  # gaps filled by a median stay in range
        privacy = getattr(sampler, "privacy", None)
        if private:  # decode with public ranges and precision; name what read the real rows outside DP-SGD
            limits = dp_vae.public_limits(limits, public_ranges, kinds)
            uncovered = list(read_before) + dp_guarantee.uncovered_steps(gappy, density is not None,
                                                               [c for c in numbers if c not in public_ranges])
            if privacy is not None and uncovered:
                privacy = privacy.with_uncovered(*uncovered)
                warnings.append(dp_guarantee.uncovered_note(uncovered))
            constants = [c for c in train.columns if kinds.get(c) == CONSTANT and c != target]
            if privacy is not None and constants:  # copied into every row from the real rows: say it is public
                privacy = replace(privacy, public=privacy.public + (
                    f"the one value of each constant column ({', '.join(constants)}), copied into every synthetic "
                    "row",))
        remaining, kept, rejected, dropped, acceptance = dict(counts), [], 0, 0, 1.0
        for round_index in range(MAX_ROUNDS):
            ask = {c: min(int(math.ceil(n / acceptance)), 20 * n + 100) for c, n in remaining.items() if n > 0}
            raw = sampler.sample(ask, seed + round_index)
            decoded = _restore_gaps(to_original_units(raw, train, target, kinds, limits), raw, gappy)
            valid = satisfied(decoded, constraints)
            rejected += int((~valid).sum())
            decoded = decoded.loc[valid]
            if fitted_density is not None:
                near = fitted_density.keep(decoded, target)
                dropped += int((~near).sum())
                decoded = decoded.loc[near]
            acceptance = max(0.05, min(1.0, len(decoded) / max(sum(ask.values()), 1)))
            for label in list(remaining):
                candidates = decoded.loc[decoded[target] == label]
                if len(candidates) > remaining[label]:  # a seeded subset: some samplers return rows grouped by source
                    candidates = candidates.sample(n=remaining[label], random_state=seed + round_index)
                take = candidates
                kept.append(take)
                remaining[label] -= len(take)
            if progress and used_info.slow is False:
                progress(min(1.0, 1 - sum(remaining.values()) / sum(counts.values())), "Generating rows")
            if not any(remaining.values()):
                break
    rows = pd.concat(kept, ignore_index=True) if kept else to_original_units(frame.head(0), train, target, kinds)
    if rows.empty:
        raise GenerationError(f"{used_info.label} produced no row that meets the constraints and the density "
                              f"filter ({rejected:,} broke a constraint, {dropped:,} fell among other classes). "
                              "Loosen the rules or the filter.")
    short = {c: n for c, n in remaining.items() if n > 0}
    if short:
        warnings.append("Fewer rows than asked for after " + f"{MAX_ROUNDS} rounds: " + ", ".join(
            f"'{c}' {counts[c] - n:,} of {counts[c]:,}" for c, n in short.items()) + ". Loosen the constraints or "
                        "the density filter to get the full amount.")
    if progress:
        progress(1.0, f"{len(rows):,} synthetic rows ready")
    produced = {str(c): int(n) for c, n in rows[target].value_counts().items()}
    return SyntheticResult(rows=rows, method=method, method_used=method_used, params=params, seed=seed,
                           seconds=time.perf_counter() - started, requested=counts, produced=produced,
                           rejected_by_constraints=rejected, dropped_by_density=dropped, warnings=tuple(warnings),
                           loss_history=getattr(sampler, "loss_history", pd.DataFrame()), privacy=privacy)


def catalogue() -> list[dict]:
    """Every registered method as plain values: name, label, family, library, what it takes (columns, classes),
    parameters with ranges or choices, minimum minority rows, and whether it is differentially private."""
    takes = {"none": "numeric columns only", "mixed": "numeric and categorical columns together",
             "only": "categorical columns only", "any": "numeric, categorical or mixed columns"}
    return [{"name": info.name, "label": info.label, "family": info.family, "library": info.library,
             "takes": takes[info.categorical], "categorical": info.categorical, "multiclass": info.multiclass,
             "min_minority_rows": info.min_minority_rows, "differentially_private": info.differentially_private,
             "slow": info.slow, "deterministic": info.deterministic,
             "params": [{"name": p.name, "kind": p.kind, "default": p.default, "low": p.low, "high": p.high,
                         "choices": list(p.choices), "help": p.help} for p in info.params]}
            for info in REGISTRY.values()]
