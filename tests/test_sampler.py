"""Generators as imbalanced-learn samplers: the estimator API, determinism, imbalanced-learn's own checks, and
resampling inside training folds only."""
from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest
from imblearn.pipeline import Pipeline
from imblearn.utils import estimator_checks
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate

import core.generators.sampler as sampler_module
from core.errors import ConfigError
from core.generators.amount import Amount
from core.generators.registry import METHOD_NAMES
from core.generators.sampler import GeneratorSampler, counts_for

# imbalanced-learn's sampler checks that do not apply, and why (also in the README):
NOT_APPLICABLE = {
    "check_samplers_sparse": "sparse matrices are not tables: the generators need each column's own values",
    "check_samplers_pandas_sparse": "sparse DataFrame columns, same reason",
    "check_samplers_multiclass_ova": "one-hot (label-binarised) targets: the app takes one label column",
}
CHECKS = sorted(n for n, _ in inspect.getmembers(estimator_checks, inspect.isfunction)
                if (n.startswith("check_sampler") or n == "check_target_type") and n not in NOT_APPLICABLE)


def test_the_checks_that_do_not_apply_are_refused_with_a_reason():
    for name in NOT_APPLICABLE:
        assert hasattr(estimator_checks, name)  # they exist in the pinned imbalanced-learn
    X, y = make_classification(60, 4, weights=[0.8], random_state=0)
    from scipy import sparse
    with pytest.raises(ConfigError, match="Sparse matrices are not supported"):
        GeneratorSampler("smote").fit_resample(sparse.csr_matrix(X), y)
    with pytest.raises(ConfigError, match="Multilabel and multioutput"):
        GeneratorSampler("smote").fit_resample(X, np.eye(2)[y])


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("method", ["random_oversampler", "smote", "gaussian_copula"])
def test_imbalanced_learn_sampler_checks(method, check):
    getattr(estimator_checks, check)("GeneratorSampler", GeneratorSampler(method, random_state=0))


def test_estimator_api_and_determinism(datasets):
    ds = datasets["german_credit"]
    X, y = ds.frame[ds.features], ds.frame[ds.target]
    kinds = {c: ds.column_types[c] for c in ds.features}
    sampler = GeneratorSampler("smotenc", kinds=kinds, random_state=3)
    assert sampler.get_params()["method"] == "smotenc" and sampler.set_params(random_state=4) is sampler
    X_out, y_out = sampler.set_params(random_state=3).fit_resample(X, y)
    assert y_out.value_counts().to_dict() == {"good": 700, "bad": 700}  # 'auto': the minority up to the majority
    assert list(X_out.columns) == list(X.columns) and (X_out.dtypes == X.dtypes).all()
    assert X_out.iloc[:1000].equals(X) and X_out.index[1000] == X.index.max() + 1
    assert sampler.sampling_strategy_ == {"bad": 400} and sampler.result_.method_used == "smotenc"
    again_X, again_y = clone(sampler).fit_resample(X, y)
    assert again_X.equals(X_out) and again_y.equals(y_out)
    other_X, _ = clone(sampler).set_params(random_state=5).fit_resample(X, y)
    assert not other_X.iloc[1000:].equals(X_out.iloc[1000:])
    for column in ("purpose", "savings"):  # categories only from the observed ones
        assert set(X_out[column].iloc[1000:]) <= set(X[column])


def test_sampling_strategy_semantics():
    counts = {"a": 100, "b": 30, "c": 10}
    assert counts_for("auto", counts) == {"b": 70, "c": 90}
    assert counts_for("minority", counts) == {"c": 90}
    assert counts_for({"c": 25}, counts) == {"c": 15}
    assert counts_for(Amount("count", 5), counts) == {"b": 5, "c": 5}
    assert counts_for(0.5, {"a": 100, "b": 30}) == {"b": 20}
    with pytest.raises(ConfigError, match="only adds rows"):
        counts_for({"c": 5}, counts)
    with pytest.raises(ConfigError, match="two classes only"):
        counts_for(0.5, counts)


@pytest.mark.parametrize("method", [m for m in METHOD_NAMES if m not in ("ctgan", "tvae", "smoten", "kmeans_smote")])
def test_every_fast_method_is_a_working_sampler(method):
    X, y = make_classification(200, 4, weights=[0.85], random_state=1)
    X_out, y_out = GeneratorSampler(method, random_state=0).fit_resample(X, y)
    assert np.bincount(y_out)[1] == np.bincount(y_out)[0] and X_out.shape == (len(y_out), 4)


def test_resampling_happens_inside_each_training_fold_only(monkeypatch):
    X, y = make_classification(300, 5, weights=[0.85], random_state=2)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    seen = []
    real_generate = sampler_module.generate

    def spy(train, *args, **kwargs):
        seen.append(set(train.index))
        return real_generate(train, *args, **kwargs)

    monkeypatch.setattr(sampler_module, "generate", spy)
    folds = list(StratifiedKFold(4, shuffle=True, random_state=0).split(frame, y))
    pipeline = Pipeline([("resample", GeneratorSampler("smote", random_state=0)),
                         ("model", LogisticRegression(max_iter=500))])
    scores = cross_validate(pipeline, frame, y, cv=folds, scoring="f1")["test_score"]
    assert len(seen) == 4 and (scores > 0).all()
    for rows, (train_index, test_index) in zip(seen, folds):
        assert rows == set(train_index) and not rows & set(test_index)


@pytest.mark.parametrize("strategy", ["auto", "not majority", "minority", "not minority", "all",
                                      lambda y: {"b": 60, "c": 80}, {"c": 100}])
def test_every_sampling_strategy_imbalanced_learn_accepts_means_the_same(strategy):
    from imblearn.utils import check_sampling_strategy
    y = np.array(["a"] * 100 + ["b"] * 30 + ["c"] * 10)
    theirs = {str(k): int(v) for k, v in check_sampling_strategy(strategy, y, "over-sampling").items() if v > 0}
    ours = counts_for(strategy, {"a": 100, "b": 30, "c": 10}, y)
    assert ours == theirs
    X = pd.DataFrame({"x0": np.arange(140.0), "x1": np.arange(140.0) % 7})
    _, y_out = GeneratorSampler("random_oversampler", sampling_strategy=strategy).fit_resample(X, y)
    assert pd.Series(y_out).value_counts().to_dict() == {c: n + theirs.get(c, 0)
                                                        for c, n in {"a": 100, "b": 30, "c": 10}.items()}


def test_numpy_random_state_is_accepted_and_deterministic():
    X, y = make_classification(200, 4, weights=[0.85], random_state=1)
    first, _ = GeneratorSampler("smote", random_state=np.random.RandomState(3)).fit_resample(X, y)
    again, _ = GeneratorSampler("smote", random_state=np.random.RandomState(3)).fit_resample(X, y)
    other, _ = GeneratorSampler("smote", random_state=np.random.RandomState(4)).fit_resample(X, y)
    assert np.array_equal(first, again) and not np.array_equal(first[200:], other[200:])
    with pytest.raises(ConfigError, match="random_state"):
        GeneratorSampler("smote", random_state=np.random.default_rng(3)).fit_resample(X, y)
    with pytest.raises(ConfigError, match="returned list"):
        GeneratorSampler("smote", sampling_strategy=lambda y: [1]).fit_resample(X, y)
