"""The differentially private VAE: the accountant's epsilon, noise at tiny epsilon, test-row isolation,
determinism, and clear errors. Few epochs and small classes keep the file fast."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.encoding import fit_distance_space, model_frame, to_distance_space
from core.errors import ConfigError, HeldOutLeak
from core.generators import dp
from core.generators.amount import Amount
from core.generators.registry import REGISTRY, generate
from core.pipeline import synthesize
from core.validation.privacy import exact_copy_mask, privacy_checks

FAST = {"epochs": 5}
RDP = {"accountant": "rdp"}  # faster to calibrate than the default PRV where the accountant is not under test


@pytest.fixture(scope="module")
def german(prepared):
    return prepared["german_credit"]


@pytest.fixture(scope="module")
def private_result(german):
    return synthesize(german, "dp_vae", Amount("count", 150), {**FAST, "epsilon": 1.0}, seed=5)


def test_registry_declares_a_private_generator():
    info = REGISTRY["dp_vae"]
    assert info.family == "differential privacy" and info.differentially_private
    assert not REGISTRY["ctgan"].differentially_private
    assert info.defaults()["epsilon"] == 1.0 and info.defaults()["delta"] == 0.0


def test_reported_epsilon_is_the_accountants(private_result, german):
    from opacus.accountants import PRVAccountant
    from opacus.accountants.utils import get_noise_multiplier

    guarantee = private_result.privacy
    n_minority = german.train_class_counts[german.profile.minority_class]
    assert n_minority == 210
    assert guarantee.delta == pytest.approx(1 / (10 * 210))
    assert guarantee.epsilon <= 1.0 + 1e-6 and guarantee.epsilon > 0.8  # spent close to, never above, the target
    # the same composition through a fresh accountant gives the same epsilon ...
    accountant = PRVAccountant()
    accountant.history = [(guarantee.noise_multiplier, guarantee.sample_rate, guarantee.steps)]
    assert accountant.get_epsilon(guarantee.delta) == pytest.approx(guarantee.epsilon, rel=1e-9)
    # ... and opacus' own calibration for these settings chose this noise
    assert guarantee.sample_rate == pytest.approx(1 / np.ceil(210 / 52))
    assert guarantee.steps == 5 * int(np.ceil(210 / 52))
    noise = get_noise_multiplier(target_epsilon=1.0, target_delta=guarantee.delta, sample_rate=guarantee.sample_rate,
                                 epochs=5, accountant="prv")
    assert guarantee.noise_multiplier == pytest.approx(noise)
    assert private_result.privacy.to_dict() == {"mechanism": dp.MECHANISM, "epsilon": guarantee.epsilon,
                                                "delta": guarantee.delta, "accountant": "prv (opacus)",
                                                "library": "opacus 1.6.0"}


def test_smaller_epsilon_means_more_noise(german):
    loose = synthesize(german, "dp_vae", Amount("count", 20), {"epochs": 1, "epsilon": 4.0, **RDP}, seed=5).privacy
    tight = synthesize(german, "dp_vae", Amount("count", 20), {"epochs": 1, "epsilon": 0.2, **RDP}, seed=5).privacy
    assert tight.noise_multiplier > 2 * loose.noise_multiplier
    assert tight.epsilon <= 0.2 + 1e-6 and loose.epsilon <= 4.0 + 1e-6


def test_tiny_epsilon_rows_are_no_closer_to_training_than_to_holdout(german):
    """The validation's DCR share vs holdout (0.5: no closer to training rows than to unseen ones), computed
    as validate_synthetic does, without the validation's other figures."""
    result = synthesize(german, "dp_vae", Amount("count", 300), {**FAST, "epsilon": 0.05}, seed=7)
    ds = german.dataset
    space = fit_distance_space(german.train, ds.features, ds.column_types)
    points = [to_distance_space(space, rows, ds.features, ds.column_types)
              for rows in (german.train, result.rows, german.test)]
    minority = points[0][(german.train[ds.target] == german.profile.minority_class).to_numpy()]
    exact = exact_copy_mask(model_frame(german.train, ds.features, ds.column_types),
                            model_frame(result.rows, ds.features, ds.column_types))
    privacy = privacy_checks(points[0], points[1], points[2], minority, exact, seed=7)
    assert abs(privacy.dcr_share_vs_holdout - 0.5) < 0.1
    assert privacy.exact_copies == 0


def test_only_training_rows_reach_the_model(german, monkeypatch):
    seen = []
    original = dp._train

    def spy(rows, *args, **kwargs):
        seen.append(rows.index)
        return original(rows, *args, **kwargs)

    monkeypatch.setattr(dp, "_train", spy)
    synthesize(german, "dp_vae", Amount("count", 10), {"epochs": 1, **RDP}, seed=1)
    minority = german.profile.minority_class
    assert len(seen) == 1 and set(seen[0]) == set(german.train.index[german.train[german.dataset.target] == minority])
    assert not set(seen[0]) & set(german.test.index)
    ds = german.dataset
    with pytest.raises(HeldOutLeak):
        generate(german.test, ds.target, ds.features, ds.column_types, {minority: 10}, "dp_vae", {"epochs": 1})


def test_conditional_mode_is_deterministic_and_protects_every_training_row(german):
    params = {"epochs": 1, "mode": "conditional", "epsilon": 2.0, **RDP}
    first = synthesize(german, "dp_vae", Amount("count", 40), params, seed=3)
    again = synthesize(german, "dp_vae", Amount("count", 40), params, seed=3)
    pd.testing.assert_frame_equal(first.rows, again.rows)
    assert first.privacy.epsilon == again.privacy.epsilon
    assert "all 700 training rows" in first.privacy.protects
    assert first.produced == {german.profile.minority_class: 40}
    assert first.privacy.delta == pytest.approx(1 / 7000) and first.privacy.accountant == "rdp (opacus)"
    assert first.privacy.epsilon <= 2.0 + 1e-6


def test_without_privacy_there_is_no_guarantee(german):
    result = synthesize(german, "dp_vae", Amount("count", 10), {"epochs": 1, "privacy": "none"}, seed=1)
    assert result.privacy is None
    assert any("no guarantee" in w for w in result.warnings)


def test_clear_errors(german):
    with pytest.raises(ConfigError, match="torchcsprng"):
        synthesize(german, "dp_vae", Amount("count", 10), {"epochs": 1, "secure_mode": "on"}, seed=1)
    with pytest.raises(ConfigError, match="epsilon"):
        synthesize(german, "dp_vae", Amount("count", 10), {"epsilon": 0}, seed=1)
    with pytest.raises(ConfigError, match="delta"):
        synthesize(german, "dp_vae", Amount("count", 10), {"delta": 0.5}, seed=1)


def test_time_estimate_grows_with_rows_and_epochs():
    assert dp.estimate_seconds(5000, 13, 30) > dp.estimate_seconds(200, 13, 30) > 0
    per_30_epochs = dp.estimate_seconds(200, 13, 60) - dp.estimate_seconds(200, 13, 30)
    assert per_30_epochs == pytest.approx(30 * (0.01 + 200 * 1.5e-4))
    assert dp.estimate_seconds(3500, 13, 30) == pytest.approx(1.5 + 30 * (0.01 + 3500 * 1.5e-4))  # 17.55 s
    assert dp.default_delta(210) == pytest.approx(1 / 2100)


def test_steps_outside_the_guarantee_are_named():
    assert dp.uncovered_steps([], False) == []
    notes = dp.uncovered_steps(["age"], True)
    assert notes[0].startswith("Gaps in 1 numeric column(s) were filled with medians")
    assert "turn it off for a private release" in notes[1]
