"""Monitor on a deployed bundle (core.monitor, core.multivariate): the refusal without calibration, the drift.json
keys, the domain classifier on a shifted chunk, and bad batches refused in one sentence."""
import json

import numpy as np
import pytest

from core.errors import DataError
from core.monitor import CONCEPT_DRIFT_NOTE, monitor_batch, monitor_dict, reference_dataset
from core.multivariate import separate
from core.performance import NOT_CALIBRATED
from tests.fake_bundle import fake_bundle, table


@pytest.fixture(scope="module")
def bundle():
    return fake_bundle(train_rows=1500, reference_rows=1000)


@pytest.fixture(scope="module")
def shifted(bundle):
    """First 600 rows as the reference was drawn, next 600 with x1 moved by 1.5 (covariate shift), labelled."""
    batch = table(1200, 11)
    batch.loc[600:, "x1"] += 1.5
    return monitor_batch(bundle, batch, "batch.csv", chunk_size=600)


def test_drift_json_keys_as_the_issue_lists(shifted):
    report = json.loads(json.dumps(monitor_dict(shifted)))  # plain JSON
    performance = report["performance_estimate"]
    assert performance["metric"] == "minority_f1"
    assert [set(c) >= {"start", "end", "rows", "estimate", "ci_low", "ci_high", "realised"}
            for c in performance["chunks"]] == [True, True]
    assert [(c["start"], c["end"], c["rows"]) for c in performance["chunks"]] == [(0, 599, 600), (600, 1199, 600)]
    assert set(report["prevalence"]) >= {"reference", "estimated", "ci_low", "ci_high", "suggested_threshold"}
    assert [set(c) >= {"start", "end", "auc"} for c in report["multivariate"]["chunks"]] == [True, True]
    assert performance["note"] == CONCEPT_DRIFT_NOTE


def test_realised_beside_the_estimate_when_the_batch_has_labels(shifted, bundle):
    assert shifted.labelled and all(c.realised is not None for c in shifted.f1.chunks)
    unlabelled = monitor_batch(bundle, table(600, 12).drop(columns="label"), chunk_size=600)
    assert not unlabelled.labelled and unlabelled.f1.chunks[0].realised is None


def test_domain_classifier_flags_the_shifted_chunk_only(shifted):
    first, second = shifted.multivariate.chunks
    assert not first.flagged and first.auc < 0.6
    assert second.flagged and second.auc > 0.7
    assert second.top_features[0][0] == "x1"  # the feature that moved separates most
    assert shifted.flags[1]  # a flagged chunk is flagged on the timeline


def test_refuses_to_estimate_when_the_calibration_check_failed():
    uncalibrated = fake_bundle(train_rows=1500, reference_rows=1000, calibration_ok=False)
    result = monitor_batch(uncalibrated, table(600, 13), chunk_size=600)
    assert result.performance == () and result.refused == NOT_CALIBRATED
    report = monitor_dict(result)["performance_estimate"]
    assert report["chunks"] == [] and report["refused"] == NOT_CALIBRATED


def test_same_seed_same_figures(bundle):
    batch = table(600, 14)
    one, two = (monitor_dict(monitor_batch(bundle, batch, chunk_size=600)) for _ in range(2))
    assert one == two


@pytest.mark.parametrize("change, settings, message", [
    (lambda b: b.drop(columns="x2"), {}, "x2"),
    (lambda b: b.iloc[:0], {}, "no rows"),
    (lambda b: b, {"date_column": "when"}, "when"),
    (lambda b: b.assign(when="soon"), {"date_column": "when"}, "read as dates"),
    (lambda b: b, {"chunk_size": 0}, "at least 1"),
])
def test_bad_batches_get_one_sentence(bundle, change, settings, message):
    with pytest.raises(DataError, match=message):
        monitor_batch(bundle, change(table(100, 15)), **settings)


def test_date_chunks(bundle):
    batch = table(400, 16).assign(when=np.repeat(["2024-01-10", "2024-02-10"], 200))
    result = monitor_batch(bundle, batch, date_column="when")
    assert [c.period for c in result.chunks] == ["2024-01", "2024-02"]


def test_reference_rows_as_a_dataset_for_the_per_feature_check(bundle):
    dataset = reference_dataset(bundle)
    assert dataset.target == "label" and list(dataset.features) == ["x1", "x2", "colour"]


def test_separation_of_a_copy_is_near_half():
    rows = table(800, 17)
    auc, p_value, _ = separate(rows.iloc[:400], rows.iloc[400:], ["x1", "x2", "colour"])
    assert 0.4 < auc < 0.6 and p_value > 0.01


def test_the_advice_is_never_applied_to_the_estimated_decision(bundle):
    """The page's promise: the suggested threshold is advice; CBPE judges the deployed decision (bundle.threshold)."""
    from core.performance import estimate_metric
    batch = table(600, 18, minority_share=0.3)
    result = monitor_batch(bundle, batch, chunk_size=600)
    assert result.prevalence.moved and result.prevalence.suggested_threshold != bundle.threshold
    probability = bundle.score(batch).probability
    assert result.f1.chunks[0].estimate == estimate_metric("f1", probability, probability >= bundle.threshold)
