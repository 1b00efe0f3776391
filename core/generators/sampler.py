"""Every registry method as an imbalanced-learn sampler: `fit_resample(X, y)` returns the original rows plus
synthetic rows in the original types, so it can be a step of `imblearn.pipeline.Pipeline` inside
`sklearn.model_selection.cross_validate` and resample inside each training fold only.

A thin adapter: `__init__` only stores parameters (scikit-learn's rule, so `clone` and `set_params` work) and
`fit_resample` calls the registry's one `generate`. Anchor: imblearn/over_sampling/_random_over_sampler.py.
"""
from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import pandas as pd
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import type_of_target

from core.column_kinds import infer_column_types
from core.constraints import build_constraints
from core.errors import ConfigError
from core.generators.amount import Amount
from core.generators.density import DensityFilter
from core.generators.registry import METHOD_NAMES, generate

TARGET_COLUMN = "__synthbalance_target__"


def _frame(X) -> pd.DataFrame:
    """X as a DataFrame: a 2-D array becomes columns x0, x1, ... (numbers stay numbers)."""
    if isinstance(X, pd.DataFrame):
        if any(isinstance(dtype, pd.SparseDtype) for dtype in X.dtypes):
            raise ConfigError("Sparse columns are not supported: a generator needs the table's own values.")
        return X
    if hasattr(X, "toarray"):
        raise ConfigError("Sparse matrices are not supported: a generator needs the table's own values.")
    values = np.asarray(X)
    if values.ndim != 2:
        raise ConfigError(f"X must be 2-dimensional (rows x features); got {values.ndim} dimension(s).")
    return pd.DataFrame(values, columns=[f"x{i}" for i in range(values.shape[1])])


STRATEGY_WORDS = ("auto", "not majority", "minority", "not minority", "all")  # imbalanced-learn's, for over-sampling


def counts_for(sampling_strategy, class_counts: dict[str, int], y=None) -> dict[str, int]:
    """Synthetic rows per class, with imbalanced-learn's `sampling_strategy` meaning (over-sampling).

    Words: the classes they name grow to the majority's count: 'auto' and 'not majority' every class but the
    majority, 'minority' the smallest, 'not minority' every class but the smallest, 'all' every class (the
    majority then gets none). A float r (two classes): the minority grows to r x majority rows; a dict
    {class: rows after resampling}; a callable y -> such a dict (called with y's own labels). Our Amount is
    also accepted.
    """
    if isinstance(sampling_strategy, Amount):
        return sampling_strategy.counts(class_counts)
    if isinstance(sampling_strategy, str):
        if sampling_strategy not in STRATEGY_WORDS:
            raise ConfigError(f"sampling_strategy '{sampling_strategy}' is not supported: use one of "
                              f"{', '.join(map(repr, STRATEGY_WORDS))}, a float ratio, a dict of counts or a callable.")
        majority_count = max(class_counts.values())
        majority = max(class_counts, key=class_counts.get)
        smallest = min(class_counts, key=class_counts.get)
        named = {"auto": set(class_counts) - {majority}, "not majority": set(class_counts) - {majority},
                 "minority": {smallest}, "not minority": set(class_counts) - {smallest},
                 "all": set(class_counts)}[sampling_strategy]
        return {c: majority_count - n for c, n in class_counts.items() if c in named and n < majority_count}
    if callable(sampling_strategy):
        if y is None:
            raise ConfigError("A callable sampling_strategy needs the labels y to be called with.")
        asked = sampling_strategy(y)
        if not isinstance(asked, dict):
            raise ConfigError(f"The sampling_strategy callable returned {type(asked).__name__}; it must return a "
                              "dict {class: rows after resampling}.")
        return counts_for(asked, class_counts)
    if isinstance(sampling_strategy, dict):
        counts = {}
        for label, after in sampling_strategy.items():
            label = str(label)
            if label not in class_counts:
                raise ConfigError(f"sampling_strategy names class {label!r}, which is not in y.")
            if int(after) < class_counts[label]:
                raise ConfigError(f"sampling_strategy asks {int(after)} rows of {label!r}, fewer than the "
                                  f"{class_counts[label]} it has: an over-sampler only adds rows.")
            counts[label] = int(after) - class_counts[label]
        return {c: n for c, n in counts.items() if n > 0}
    if isinstance(sampling_strategy, (int, float)) and not isinstance(sampling_strategy, bool):
        if len(class_counts) != 2:
            raise ConfigError("A float sampling_strategy applies to two classes only; use a dict for more.")
        return Amount("ratio", float(sampling_strategy)).counts(class_counts)
    raise ConfigError(f"sampling_strategy {sampling_strategy!r} is not understood.")


def seed_from(random_state) -> int:
    """An int seed from scikit-learn's random_state: None -> 0 (never global state), an int as given, a
    numpy RandomState -> one draw from it (as scikit-learn's ensembles derive their estimators' seeds)."""
    if random_state is None:
        return 0
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    return int(random_state)


class GeneratorSampler(BaseOverSampler):
    """A registry method as an imbalanced-learn sampler.

    method: a registry name (see `python -m core methods`). params: that method's parameters (None: defaults).
    sampling_strategy: as in imbalanced-learn (its words, float ratio, dict of counts after resampling, callable) or
    an Amount.
    kinds: column kinds of X ({column: kind}); None infers them from the values. rules: row rules the synthetic
    rows must satisfy. density: an optional DensityFilter. random_state: the seed, or a numpy RandomState a
    seed is drawn from (None means 0, so results never depend on global state).

    After fitting: `sampling_strategy_` (synthetic rows per class) and `result_` (the SyntheticResult).
    """

    _parameter_constraints = {  # validated once, at fit_resample, as scikit-learn does
        "method": [StrOptions(set(METHOD_NAMES))],
        "params": [dict, None],
        "sampling_strategy": [Interval(Real, 0, 1, closed="right"), StrOptions(set(STRATEGY_WORDS)), dict, Amount,
                              callable],
        "kinds": [dict, None],
        "rules": [tuple, list],
        "bounds": [tuple, list],
        "density": [DensityFilter, None],
        "random_state": [Interval(Integral, 0, None, closed="left"), np.random.RandomState, None],
    }

    def __init__(self, method: str = "random_oversampler", params: dict | None = None, sampling_strategy="auto",
                 kinds: dict | None = None, rules: tuple = (), bounds: tuple = (),
                 density: DensityFilter | None = None, random_state: int | None = None):
        self.method = method
        self.params = params
        self.sampling_strategy = sampling_strategy
        self.kinds = kinds
        self.rules = rules
        self.bounds = bounds
        self.density = density
        self.random_state = random_state

    def fit(self, X, y):
        """Fit and resample (the rows are not kept); returns self, as imbalanced-learn's samplers do."""
        self.fit_resample(X, y)
        return self

    def fit_resample(self, X, y):
        """(X plus synthetic rows, y plus their labels): a DataFrame and a Series when X is a DataFrame,
        numpy arrays otherwise. Synthetic rows come last and get index labels after the real ones."""
        try:
            self._validate_params()
        except (ValueError, TypeError) as exc:
            raise ConfigError(str(exc)) from None
        if isinstance(X, list):  # imbalanced-learn's convention: lists in, lists out
            X_out, y_out = self.fit_resample(np.asarray(X), np.asarray(y))
            return X_out.tolist(), y_out.tolist()
        y_frame = y if isinstance(y, pd.DataFrame) else None
        y = y.iloc[:, 0].rename(y.columns[0]) if y_frame is not None and y_frame.shape[1] == 1 else y
        target_type = type_of_target(y)
        if target_type.startswith("continuous"):
            raise ConfigError(f"Unknown label type: the target looks {target_type}; a sampler needs class labels.")
        if target_type.startswith("multilabel") or target_type.endswith("multioutput"):
            raise ConfigError("Multilabel and multioutput targets are not supported: give one label per row.")
        frame = _frame(X)
        self.n_features_in_ = frame.shape[1]
        if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        labels = pd.Series(np.asarray(y).ravel() if not isinstance(y, pd.Series) else y.to_numpy())
        if len(labels) != len(frame):
            raise ConfigError(f"X has {len(frame)} rows but y has {len(labels)}.")
        if labels.isna().any():
            raise ConfigError("y has missing labels; drop those rows first.")
        features = [str(c) for c in frame.columns]
        frame = frame.set_axis(features, axis=1)
        kinds = dict(self.kinds) if self.kinds else {}
        unknown = [col for col in features if col not in kinds]  # (setdefault would infer every column's kind)
        kinds.update(infer_column_types(frame[unknown]) if unknown else {})
        seed = seed_from(self.random_state)
        train = frame.assign(**{TARGET_COLUMN: labels.astype(str).to_numpy()})
        class_counts = {str(k): int(v) for k, v in train[TARGET_COLUMN].value_counts().items()}
        if len(class_counts) < 2:
            raise ConfigError("y has a single class: there is no minority to resample.")
        counts = counts_for(self.sampling_strategy, class_counts, y)
        self.sampling_strategy_ = counts
        if not counts:  # already balanced: nothing to add
            self.result_ = None
            return (X, y)
        constraints = (build_constraints(features, list(self.rules), tuple(self.bounds))
                       if self.rules or self.bounds else None)
        result = generate(train, TARGET_COLUMN, features, kinds, counts, self.method, self.params, seed,
                          constraints, self.density)
        self.result_ = result
        synthetic = result.rows
        label_type = type(labels.iloc[0])
        by_text = {str(v): v for v in labels.unique()}  # synthetic labels back to y's own values and type
        new_labels = synthetic[TARGET_COLUMN].map(by_text)
        if isinstance(X, pd.DataFrame):
            start = (max(int(i) for i in X.index) + 1) if len(X) and pd.api.types.is_integer_dtype(X.index) \
                else len(X)
            rows = synthetic[features].set_axis(pd.RangeIndex(start, start + len(synthetic)))
            rows = rows.set_axis(list(X.columns), axis=1)
            X_out = pd.concat([X, rows.astype(X.dtypes.to_dict(), errors="ignore")])
            name = y.name if isinstance(y, pd.Series) else None
            y_out = pd.concat([pd.Series(np.asarray(y).ravel(), index=X.index, name=name),
                               pd.Series(new_labels.to_numpy(), index=rows.index, name=name)])
            y_out = y_out.astype(labels.dtype) if label_type is not str else y_out
            return X_out, y_out.to_frame() if y_frame is not None else y_out
        X_out = np.concatenate([np.asarray(X), synthetic[features].to_numpy(dtype=np.asarray(X).dtype)])
        y_in = np.asarray(y)
        y_out = np.concatenate([y_in.ravel(), new_labels.to_numpy().astype(y_in.dtype)])
        return X_out, y_out

    def _fit_resample(self, X, y):  # imbalanced-learn's hook; fit_resample above does the work
        return self.fit_resample(X, y)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # gaps are generated as gaps
        tags.input_tags.string = True  # categorical columns in DataFrames
        tags.input_tags.sparse = False
        return tags

