"""One suite for every registered generator (schema, dtypes, exact counts, labels, ranges, determinism),
then the behaviour particular to amounts, small classes, routing, constraints, the density filter and CTGAN."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.neighbors import NearestNeighbors

from core.constraints import build_constraints
from core.data import validate_dataset
from core.encoding import fit_distance_space, to_distance_space
from core.errors import ConfigError, DataError, GenerationCancelled
from core.generators.amount import Amount
from core.generators.density import DensityFilter
from core.generators.registry import REGISTRY, generate
from core.pipeline import prepare, synthesize
from core.reading import read_table

DEEP = {"epochs": 2, "batch_size": 100}


def numeric_dataset():
    """600 rows, 5 numeric features (one integer), 12% minority: for the numbers-only samplers."""
    x, y = make_classification(n_samples=600, n_features=5, n_informative=3, n_redundant=0, weights=[0.88],
                               class_sep=1.5, random_state=0)
    frame = pd.DataFrame(x.round(4), columns=[f"f{i}" for i in range(5)])
    frame["f4"] = (frame["f4"] * 10).round().astype(int)
    frame["label"] = np.where(y == 1, "rare", "common")
    return validate_dataset(read_table(frame.to_csv(index=False).encode(), "numeric.csv"), "label")


@pytest.fixture(scope="module")
def numeric_prepared():
    return prepare(numeric_dataset(), seed=3)


@pytest.fixture(scope="module")
def categorical_prepared(datasets):
    ds = datasets["german_credit"]
    keep = [c for c in ds.frame.columns if ds.column_types[c] in ("categorical", "boolean")]
    loaded = read_table(ds.frame[keep].to_csv(index=False).encode(), "cats.csv")
    return prepare(validate_dataset(loaded, "credit_risk"), seed=3)


@pytest.fixture(scope="module")
def small_credit_prepared(small_credit):
    """The 300-row German credit sample (mixed column types; 147 good and 63 bad training rows), split as
    `prepared` splits the full samples: for the contract and the neural generators' paths."""
    return prepare(small_credit, test_size=0.3, seed=42)


def prepared_for(method, numeric_prepared, categorical_prepared, mixed_prepared):
    info = REGISTRY[method]
    if info.categorical == "none":
        return numeric_prepared
    if info.categorical == "only":
        return categorical_prepared
    return mixed_prepared


@pytest.mark.parametrize("method", list(REGISTRY))
def test_generator_contract(method, numeric_prepared, categorical_prepared, small_credit_prepared):
    prep = prepared_for(method, numeric_prepared, categorical_prepared, small_credit_prepared)
    params = DEEP if REGISTRY[method].family in ("GAN", "VAE") else None
    amount = Amount("count", 120)
    result = synthesize(prep, method, amount, params, seed=11)
    rows, train, target = result.rows, prep.train, prep.dataset.target
    minority = prep.profile.minority_class
    assert result.method_used == method
    assert list(rows.columns) == list(train.columns)
    assert rows.dtypes.astype(str).to_dict() == train.dtypes.astype(str).to_dict()
    assert len(rows) == 120 and set(rows[target]) == {minority}
    assert result.produced == {minority: 120}
    for col in prep.dataset.features:
        kind = prep.dataset.column_types[col]
        if kind in ("categorical", "boolean"):
            assert set(rows[col].dropna()) <= set(train[col].dropna()), col
        else:
            assert rows[col].min() >= train[col].min() and rows[col].max() <= train[col].max(), col
            if kind == "integer":
                assert (rows[col] == rows[col].round()).all(), col
    again = synthesize(prep, method, amount, params, seed=11)
    if REGISTRY[method].deterministic:  # same seed, same rows
        pd.testing.assert_frame_equal(rows, again.rows)
    else:  # declared otherwise (DP-SGD's noise never comes from the published seed): the same seed differs
        assert REGISTRY[method].differentially_private and not rows.equals(again.rows)
    other = synthesize(prep, method, amount, params, seed=12)
    assert not rows.equals(other.rows)


def test_ratio_tops_up_to_the_majority(prepared):
    prep = prepared["abalone19"]
    assert prep.train_class_counts == {"negative": 2899, "positive": 22}
    amount = Amount("ratio", 1.0)
    assert amount.counts(prep.train_class_counts) == {"positive": 2877}
    assert amount.describe(prep.train_class_counts)[1] == "'positive': 22 real + 2,877 synthetic = 2,899"
    assert Amount("ratio", 0.5).counts(prep.train_class_counts) == {"positive": 1428}
    result = synthesize(prep, "smotenc", amount)
    assert result.produced == {"positive": 2877}


def test_amount_errors():
    with pytest.raises(ConfigError, match="at most 1.0"):
        Amount("ratio", 1.5).counts({"a": 10, "b": 2})
    with pytest.raises(ConfigError, match="no class needs new rows"):
        Amount("ratio", 0.1).counts({"a": 10, "b": 5})


def test_smote_on_mixed_data_runs_as_smotenc_and_numbers_only_methods_refuse(prepared):
    prep = prepared["german_credit"]
    result = synthesize(prep, "smote", Amount("count", 50))
    assert result.method_used == "smotenc" and "SMOTE-NC was used instead" in result.warnings[0]
    with pytest.raises(ConfigError, match="numeric columns only"):
        synthesize(prep, "adasyn", Amount("count", 50))


def test_tiny_classes():
    rows = "".join(f"{i},{i % 5},{'maj' if i < 40 else 'min'}\n" for i in range(43))
    ds = validate_dataset(read_table(("x,z,y\n" + rows).encode(), "tiny.csv"), "y")
    train = ds.frame  # 3 minority rows: k_neighbors drops to 2 and SMOTE still works
    result = generate(train, "y", ds.features, ds.column_types, {"min": 10}, "smote")
    assert result.produced == {"min": 10}
    with pytest.raises(DataError, match="has 1 training row"):
        generate(train.iloc[:41], "y", ds.features, ds.column_types, {"min": 10}, "smote")
    with pytest.raises(DataError, match="at least 10 training rows"):
        generate(train, "y", ds.features, ds.column_types, {"min": 10}, "ctgan", DEEP)


def test_neural_generator_warns_on_a_small_minority(prepared):
    result = synthesize(prepared["abalone19"], "tvae", Amount("count", 30), DEEP)
    assert any("only 22 rows of 'positive'" in w for w in result.warnings)


def test_constraints_are_met_and_rejections_counted(prepared):
    prep = prepared["german_credit"]
    constraints = build_constraints(list(prep.train.columns), ["age >= 30", "duration_months <= 36"])
    result = synthesize(prep, "gaussian_copula", Amount("count", 200), constraints=constraints)
    assert len(result.rows) == 200
    assert result.rows["age"].min() >= 30 and result.rows["duration_months"].max() <= 36
    assert result.rejected_by_constraints > 50  # about half the bad-risk applicants are under 30


def test_density_filter_keeps_rows_among_their_own_class(prepared):
    prep = prepared["german_credit"]
    rule = DensityFilter(k=5, max_other_share=0.4)
    result = synthesize(prep, "smotenc", Amount("count", 100), density=rule)
    assert result.dropped_by_density > 0 and len(result.rows) == 100
    ds = prep.dataset
    space = fit_distance_space(prep.train, ds.features, ds.column_types)
    neighbours = NearestNeighbors(n_neighbors=5).fit(to_distance_space(space, prep.train, ds.features,
                                                                       ds.column_types))
    _, index = neighbours.kneighbors(to_distance_space(space, result.rows, ds.features, ds.column_types))
    labels = prep.train[ds.target].to_numpy()
    assert ((labels[index] != "bad").mean(axis=1) <= 0.4).all()


def test_missing_values_are_generated_where_real_rows_have_them(prepared):
    result = synthesize(prepared["hypothyroid"], "gaussian_copula", Amount("count", 500))
    rows = result.rows
    assert rows["TBG"].isna().mean() > 0.9  # TBG is measured for 2% of hypothyroid patients
    assert rows.loc[rows["TBG_measured"] == "n", "TBG"].isna().mean() > 0.9


def test_ctgan_reports_progress_per_epoch_and_is_reproducible(small_credit_prepared):
    prep = small_credit_prepared
    calls = []
    params = {"epochs": 3, "batch_size": 100}
    live = []
    first = synthesize(prep, "ctgan", Amount("count", 40), params, seed=5, progress=lambda f, m: calls.append((f, m)),
                       on_losses=lambda history: live.append(len(history)))
    assert live == [1, 2, 3]  # the loss table grows by one epoch per call
    rows = prep.train_class_counts["bad"]  # 63: the minority's own rows, not the 210 training rows
    assert (rows, len(prep.train)) == (63, 210)
    assert calls[0][1] == f"Fitting CTGAN on the {rows:,} training rows of class 'bad'"
    assert calls[1][1] == f"CTGAN: training on the {rows:,} rows of class 'bad' (3 epochs)"
    epochs = [m for _, m in calls if ": epoch" in m]
    assert [m.split(",")[0] for m in epochs] == [f"CTGAN class 'bad' ({rows:,} rows): epoch {i} of 3"
                                                 for i in (1, 2, 3)]
    assert all(" s per epoch, " in m for m in epochs)
    # the first epochs carry the setup: no countdown until it is steady (no jump from minutes to seconds)
    assert [m.endswith("time left shown once 3 epochs are timed") for m in epochs] == [True, True, False]
    assert epochs[-1].endswith("about 0 s left")
    assert calls[-1][0] == 1.0
    assert list(first.loss_history["Epoch"]) == [0, 1, 2]
    second = synthesize(prep, "ctgan", Amount("count", 40), params, seed=5)
    pd.testing.assert_frame_equal(first.rows, second.rows)


def test_ctgan_cancel_and_time_budget(small_credit_prepared):
    prep = small_credit_prepared
    with pytest.raises(GenerationCancelled):
        synthesize(prep, "ctgan", Amount("count", 10), {"epochs": 50, "batch_size": 100}, should_stop=lambda: True)
    result = synthesize(prep, "tvae", Amount("count", 10), {"epochs": 500, "batch_size": 100,
                                                            "time_budget_s": 0.5})
    assert len(result.rows) == 10
    assert any("Training stopped after" in w for w in result.warnings)


def test_ctgan_conditional_mode_gives_the_asked_class(small_credit_prepared):
    result = synthesize(small_credit_prepared, "ctgan", Amount("count", 30),
                        {"epochs": 2, "batch_size": 100, "mode": "conditional"})
    assert result.produced == {"bad": 30}


def test_parameter_validation():
    with pytest.raises(ConfigError, match="'k_neighbors' must be between 1 and 50"):
        REGISTRY["smote"].resolve_params({"k_neighbors": 0})
    with pytest.raises(ConfigError, match="has no parameter 'depth'"):
        REGISTRY["smote"].resolve_params({"depth": 3})
    with pytest.raises(ConfigError, match="Unknown method"):
        generate(pd.DataFrame({"y": ["a", "b"]}), "y", [], {}, {"a": 1}, "magic")


def test_every_parameter_has_a_label_and_help_and_choices_only_for_choices():
    for info in REGISTRY.values():
        for spec in info.params:
            assert spec.label and spec.label != spec.name, (info.name, spec.name)
            assert len(spec.help) > 15, (info.name, spec.name)
            assert bool(spec.choices) == (spec.kind == "choice"), (info.name, spec.name)  # help no longer lands there
    assert REGISTRY["ctgan"].params[2].display == "Time budget (seconds)"


def test_training_clock_calibrates_on_timed_epochs():
    from core.generators.deep import TrainingClock, format_seconds
    now = [0.0]
    clock = TrainingClock("ctgan", 10, {"a": 200, "b": 1000}, 500, now=lambda: now[0])
    clock.start_group("a")
    now[0] = 3.0
    clock.epoch_done(1)  # nothing timed yet: the first epoch, setup included, stands for every epoch
    assert clock.seconds_left(1) == pytest.approx(3.0 * 9 + 3.0 * 2 * 10)
    now[0] = 3.5
    clock.epoch_done(2)  # 0.5 s per epoch; the first epoch held 2.5 s of setup
    assert (clock.seconds_per_epoch, clock.setup_seconds) == (pytest.approx(0.5), pytest.approx(2.5))
    # 'a': 8 epochs x 0.5 s; 'b' (1000 rows, 2 steps per epoch): 2.5 s setup + 10 epochs x 1.0 s
    assert clock.seconds_left(2) == pytest.approx(4.0 + 12.5)
    clock.start_group("b")
    assert clock.seconds_per_epoch == pytest.approx(1.0)  # carried over per training step
    assert (format_seconds(42.4), format_seconds(200)) == ("42 s", "3 min 20 s")


def test_first_estimate_matches_the_measured_runs():
    from core.estimates import FIRST_USE_S
    from core.generators.deep import estimate_seconds
    # German credit's 210 training minority rows, 20 columns, the default 100 epochs: 22 s measured on the
    # Generation page with the first use's imports (7 December 2026); the estimate within a factor of 1.5
    assert 22 / 1.5 < estimate_seconds("ctgan", 210, 20, 100) + FIRST_USE_S["ctgan"] < 22 * 1.5
