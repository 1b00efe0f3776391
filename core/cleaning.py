"""Cleaning of the training part: missing values, duplicates, outliers, each with its effect per class.

Runs after the split on training rows only; the fitted imputer is then applied (transform only) to test rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from core.data import INTEGER
from core.encoding import distance_space, level_columns, model_frame, number_columns
from core.errors import ConfigError, DataError
from core.split import ensure_not_held_out

MISSING_STRATEGIES = ("none", "drop_rows", "median_mode", "knn")
DUPLICATE_STRATEGIES = ("keep", "drop_exact", "drop_conflicting")
OUTLIER_METHODS = ("none", "iqr", "isolation_forest")
OUTLIER_ACTIONS = ("flag", "remove")


@dataclass(frozen=True)
class CleaningPlan:
    """What to do to the training part. Defaults leave the data as it is."""
    missing: str = "none"
    duplicates: str = "keep"
    outliers: str = "none"
    outlier_action: str = "flag"
    knn_neighbors: int = 5
    iqr_factor: float = 1.5

    def validate(self) -> None:
        for value, allowed, what in ((self.missing, MISSING_STRATEGIES, "missing-value strategy"),
                                     (self.duplicates, DUPLICATE_STRATEGIES, "duplicate strategy"),
                                     (self.outliers, OUTLIER_METHODS, "outlier method"),
                                     (self.outlier_action, OUTLIER_ACTIONS, "outlier action")):
            if value not in allowed:
                raise ConfigError(f"Unknown {what} '{value}'. Choose one of: {', '.join(allowed)}.")
        if not 1 <= self.knn_neighbors <= 50:
            raise ConfigError("k-NN imputation needs between 1 and 50 neighbours.")


@dataclass(frozen=True)
class StepImpact:
    """One cleaning step's effect. completeness: share of feature cells present (0..1)."""
    step: str
    detail: str
    rows_before: int
    rows_after: int
    completeness_before: float
    completeness_after: float
    removed_per_class: dict[str, int]
    removed_share_per_class: dict[str, float]
    warning: str | None = None


@dataclass(frozen=True)
class CleaningResult:
    """The cleaned training rows, the impact of each step, and the fitted imputers for the test rows."""
    train: pd.DataFrame
    steps: list[StepImpact]
    plan: CleaningPlan
    exact_duplicates: int
    conflicting_duplicates: int
    outliers_flagged: dict[str, int] = field(default_factory=dict)
    number_imputer: object | None = None
    level_imputer: object | None = None
    outlier_rule: OutlierRule | None = None

    def impact_table(self) -> pd.DataFrame:
        """One row per step: rows before/after, completeness before/after, rows removed per class."""
        return pd.DataFrame([{"step": s.step, "detail": s.detail, "rows before": s.rows_before,
                              "rows after": s.rows_after, "completeness before": s.completeness_before,
                              "completeness after": s.completeness_after,
                              **{f"removed {c}": n for c, n in s.removed_per_class.items()}}
                             for s in self.steps])


def completeness(frame: pd.DataFrame, features: list[str]) -> float:
    """Share of feature cells that are present (1.0 when there are no features)."""
    return float(1 - frame[features].isna().to_numpy().mean()) if features and len(frame) else 1.0


def _impact(step: str, detail: str, before: pd.DataFrame, after: pd.DataFrame, target: str,
            features: list[str], minority: str) -> StepImpact:
    counts_before = before[target].value_counts()
    counts_after = after[target].value_counts().reindex(counts_before.index, fill_value=0)
    removed = {str(c): int(counts_before[c] - counts_after[c]) for c in counts_before.index}
    shares = {str(c): removed[str(c)] / int(counts_before[c]) for c in counts_before.index}
    others = [s for c, s in shares.items() if c != minority]
    warning = None
    if minority in shares and others and shares[minority] > max(others) and removed[minority] > 0:
        warning = (f"'{step}' removes {shares[minority]:.1%} of the minority '{minority}' rows but at most "
                   f"{max(others):.1%} of any other class: it deepens the imbalance. Prefer imputation or "
                   "flagging.")
    return StepImpact(step=step, detail=detail, rows_before=len(before), rows_after=len(after),
                      completeness_before=completeness(before, features),
                      completeness_after=completeness(after, features), removed_per_class=removed,
                      removed_share_per_class=shares, warning=warning)


def _impute(frame: pd.DataFrame, features: list[str], kinds: dict[str, str], plan: CleaningPlan):
    numbers, levels = number_columns(features, kinds), level_columns(features, kinds)
    number_imputer = level_imputer = None
    out = frame.copy()
    if numbers:
        if plan.missing == "knn":
            number_imputer = Pipeline([("scale", StandardScaler()),
                                       ("impute", KNNImputer(n_neighbors=plan.knn_neighbors,
                                                             keep_empty_features=True))])
        else:
            number_imputer = SimpleImputer(strategy="median", keep_empty_features=True)
        number_imputer.fit(model_frame(frame, numbers, kinds))
        out = apply_number_imputer(number_imputer, out, numbers, kinds)
    if levels:
        level_imputer = SimpleImputer(strategy="most_frequent", keep_empty_features=True)
        level_imputer.fit(_levels_with_nan(frame, levels))
        out[levels] = _fill_levels(level_imputer, out, levels)
    return out, number_imputer, level_imputer


def apply_number_imputer(imputer, frame: pd.DataFrame, numbers: list[str], kinds: dict[str, str]) -> pd.DataFrame:
    """Fill missing numbers with a fitted imputer (k-NN pipelines are inverted back to original units)."""
    out = frame.copy()
    matrix = model_frame(frame, numbers, kinds)
    if isinstance(imputer, Pipeline):
        scaled = imputer.named_steps["impute"].transform(imputer.named_steps["scale"].transform(matrix))
        filled = imputer.named_steps["scale"].inverse_transform(scaled)
    else:
        filled = imputer.transform(matrix)
    for i, col in enumerate(numbers):
        values = filled[:, i]
        if kinds[col] == INTEGER:
            values = np.round(values)
        if kinds[col] == "datetime":
            out[col] = out[col].where(out[col].notna(), pd.to_datetime(values, unit="s"))
        else:
            out[col] = out[col].where(out[col].notna(), values)
    return out


def _levels_with_nan(frame: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    """Category columns as objects with every gap (None or NaN) as NaN, which SimpleImputer recognises."""
    values = frame[levels].astype(object)
    return values.where(values.notna(), np.nan)


def _fill_levels(imputer: SimpleImputer, frame: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    filled = pd.DataFrame(imputer.transform(_levels_with_nan(frame, levels)), columns=levels, index=frame.index)
    return frame[levels].where(frame[levels].notna(), filled)


def fill_missing_like_train(result: CleaningResult, frame: pd.DataFrame, features: list[str],
                            kinds: dict[str, str]) -> pd.DataFrame:
    """Apply the imputers fitted on training rows to other rows (the test part): transform only, no fit."""
    out = frame
    numbers, levels = number_columns(features, kinds), level_columns(features, kinds)
    if result.number_imputer is not None and numbers:
        out = apply_number_imputer(result.number_imputer, out, numbers, kinds)
    if result.level_imputer is not None and levels:
        out = out.copy()
        out[levels] = _fill_levels(result.level_imputer, out, levels)
    return out


@dataclass(frozen=True)
class OutlierRule:
    """An outlier rule fitted on training rows, applied as is to other rows. iqr: per-number (lower, upper)
    limits; isolation_forest: the fitted space and forest."""
    method: str
    lower: pd.Series | None = None
    upper: pd.Series | None = None
    space: object | None = None
    forest: object | None = None

    def mask(self, frame: pd.DataFrame, features: list[str], kinds: dict[str, str]) -> pd.Series:
        """True for rows outside the rule (transform only: nothing is refitted)."""
        if self.method == "iqr":
            if self.lower is None or self.lower.empty:
                return pd.Series(False, index=frame.index)
            numbers = model_frame(frame, list(self.lower.index), kinds)
            return ((numbers < self.lower) | (numbers > self.upper)).any(axis=1)
        points = self.space.transform(model_frame(frame, features, kinds))
        return pd.Series(self.forest.predict(points) == -1, index=frame.index)


def _outlier_rule(frame: pd.DataFrame, features: list[str], kinds: dict[str, str], plan: CleaningPlan,
                  seed: int) -> OutlierRule:
    if plan.outliers == "iqr":
        numbers = model_frame(frame, number_columns(features, kinds), kinds)
        if numbers.empty:
            return OutlierRule("iqr")
        q1, q3 = numbers.quantile(0.25), numbers.quantile(0.75)
        spread = (q3 - q1) * plan.iqr_factor
        return OutlierRule("iqr", lower=q1 - spread, upper=q3 + spread)
    space = distance_space(features, kinds)
    points = space.fit_transform(model_frame(frame, features, kinds))
    forest = IsolationForest(contamination="auto", random_state=seed).fit(points)
    return OutlierRule("isolation_forest", space=space, forest=forest)


def clean_like_training(result: CleaningResult, frame: pd.DataFrame, target: str, features: list[str],
                        kinds: dict[str, str]) -> pd.DataFrame:
    """Other rows (the test part) through the training part's plan, transform only: rows with gaps dropped or
    filled with the training imputers, duplicates within these rows dropped, outliers removed by the rule fitted
    on training rows. For measuring against training rows like for like (nothing here is fitted)."""
    plan, out = result.plan, frame
    if plan.missing == "drop_rows":
        out = out.dropna(subset=features)
    else:
        out = fill_missing_like_train(result, out, features, kinds)
    if plan.duplicates != "keep":
        drop = out.duplicated(subset=features + [target])
        if plan.duplicates == "drop_conflicting" and features:
            drop |= out.groupby(features, dropna=False, sort=False)[target].transform("nunique") > 1
        out = out.loc[~drop]
    if plan.outliers != "none" and plan.outlier_action == "remove" and result.outlier_rule is not None and len(out):
        out = out.loc[~result.outlier_rule.mask(out, features, kinds)]
    return out


def clean_training(train: pd.DataFrame, target: str, features: list[str], kinds: dict[str, str],
                   minority: str, plan: CleaningPlan = CleaningPlan(), seed: int = 42) -> CleaningResult:
    """Apply the plan to the training part, step by step, recording each step's impact per class."""
    ensure_not_held_out(train)
    plan.validate()
    frame, steps = train, []
    key = features + [target]
    exact = int(frame.duplicated(subset=key).sum()) if features else 0
    # observed=True: over `category` columns pandas would otherwise group the product of all declared levels
    conflicting_mask = (frame.groupby(features, dropna=False, sort=False, observed=True)[target]
                        .transform("nunique") > 1 if features else pd.Series(False, index=frame.index))
    conflicting = int(conflicting_mask.sum())
    number_imputer = level_imputer = None
    if plan.missing == "drop_rows":
        after = frame.dropna(subset=features)
        steps.append(_impact("drop rows with missing values", "rows with any missing feature removed",
                             frame, after, target, features, minority))
        frame = after
    elif plan.missing in ("median_mode", "knn"):
        after, number_imputer, level_imputer = _impute(frame, features, kinds, plan)
        detail = ("numbers: median, categories: most frequent" if plan.missing == "median_mode"
                  else f"numbers: k-NN (k={plan.knn_neighbors}) on standardised values, categories: most frequent")
        steps.append(_impact("impute missing values", detail, frame, after, target, features, minority))
        frame = after
    if plan.duplicates != "keep":
        drop = frame.duplicated(subset=key)
        detail = "exact duplicate rows removed (first copy kept)"
        if plan.duplicates == "drop_conflicting":
            drop |= conflicting_mask.reindex(frame.index, fill_value=False)
            detail += "; rows whose features repeat with another label removed"
        after = frame.loc[~drop]
        steps.append(_impact("remove duplicates", detail, frame, after, target, features, minority))
        frame = after
    flagged: dict[str, int] = {}
    rule = None
    if plan.outliers != "none" and len(frame) >= 5:
        rule = _outlier_rule(frame, features, kinds, plan, seed)
        mask = rule.mask(frame, features, kinds)
        flagged = {str(c): int(n) for c, n in frame.loc[mask, target].value_counts().items()}
        method = "IQR rule" if plan.outliers == "iqr" else "IsolationForest"
        if plan.outlier_action == "remove":
            after = frame.loc[~mask]
            steps.append(_impact("remove outliers", f"{method}: {int(mask.sum())} rows removed",
                                 frame, after, target, features, minority))
            frame = after
        else:
            steps.append(_impact("flag outliers", f"{method}: {int(mask.sum())} rows flagged, none removed",
                                 frame, frame, target, features, minority))
    before = train[target].value_counts()
    left = frame[target].value_counts().reindex(before.index, fill_value=0)
    emptied = left[(left < before) & (left < 2)]  # only what cleaning removed; tiny classes are generation's concern
    if not emptied.empty:
        label = emptied.idxmin()
        raise DataError(f"Cleaning left class '{label}' with {int(emptied[label])} of {int(before[label])} training "
                        "rows. Use imputation instead of dropping rows, or keep outliers.")
    return CleaningResult(train=frame, steps=steps, plan=plan, exact_duplicates=exact,
                          conflicting_duplicates=conflicting, outliers_flagged=flagged,
                          number_imputer=number_imputer, level_imputer=level_imputer, outlier_rule=rule)
