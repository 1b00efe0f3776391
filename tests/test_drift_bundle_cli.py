"""`python -m core drift --bundle BUNDLE_DIR --new FILE [--chunk-size N | --date-column COL] --json --out DIR`:
drift.json carries performance_estimate, prevalence and multivariate beside today's per-feature check; bad input is
one `error:` line and exit 2. The loader is core.bundle's (another branch): a stand-in module gives a fake bundle."""
import json
import sys
import types

import pytest

from core.cli.main import main
from tests.fake_bundle import fake_bundle, table


@pytest.fixture(scope="module")
def bundle():
    return fake_bundle(train_rows=1500, reference_rows=1000)


@pytest.fixture
def loader(bundle, monkeypatch, tmp_path):
    module = types.ModuleType("core.bundle")
    module.load_bundle = lambda directory, allow_version_drift=False: bundle
    monkeypatch.setitem(sys.modules, "core.bundle", module)
    folder = tmp_path / "bundle"
    folder.mkdir()
    return folder


def _batch(tmp_path, frame, name="batch.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_drift_bundle_writes_the_keys(loader, tmp_path, capsys):
    batch = table(1000, 21, minority_share=0.2)
    code = main(["drift", "--bundle", str(loader), "--new", str(_batch(tmp_path, batch)), "--chunk-size", "500",
                 "--json", "--out", str(tmp_path / "out")])
    assert code == 0
    report = json.loads((tmp_path / "out" / "drift.json").read_text())
    assert json.loads(capsys.readouterr().out) == report
    assert [c["rows"] for c in report["performance_estimate"]["chunks"]] == [500, 500]
    assert len(report["multivariate"]["chunks"]) == 2
    assert report["prevalence"]["estimated"] > report["prevalence"]["reference"]  # the share doubled
    assert report["features"] and report["verdict"]  # today's per-feature check is still there


def test_drift_bundle_text(loader, tmp_path, capsys):
    code = main(["drift", "--bundle", str(loader), "--new", str(_batch(tmp_path, table(600, 22))),
                 "--chunk-size", "300", "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0 and "estimated minority F1 per chunk (300 rows a chunk; reference band" in out
    assert "- rows 0-299: " in out and "- rows 300-599: " in out
    assert "Estimated minority share" in out


@pytest.mark.parametrize("extra, message", [
    (["--chunk-size", "0"], "--chunk-size must be at least 1"),
    (["--date-column", "when"], "The date column 'when' is not in the batch."),
    (["--config", "config.json"], "not both"),
])
def test_bad_settings_are_one_error_line(loader, tmp_path, capsys, extra, message):
    code = main(["drift", "--bundle", str(loader), "--new", str(_batch(tmp_path, table(100, 23))),
                 "--out", str(tmp_path / "out"), *extra])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: ") and message in err[0]


def test_missing_column_is_one_error_line(loader, tmp_path, capsys):
    code = main(["drift", "--bundle", str(loader), "--new",
                 str(_batch(tmp_path, table(100, 24).drop(columns="x2"))), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "'x2'" in err[0]


def test_no_bundle_folder_and_chunking_without_bundle(tmp_path, capsys):
    batch = _batch(tmp_path, table(100, 25))
    assert main(["drift", "--bundle", str(tmp_path / "nowhere"), "--new", str(batch), "--out",
                 str(tmp_path / "o")]) == 2
    assert "No bundle folder" in capsys.readouterr().err
    assert main(["drift", "--reference", str(batch), "--target", "label", "--new", str(batch), "--chunk-size", "10",
                 "--out", str(tmp_path / "o")]) == 2
    assert "--bundle" in capsys.readouterr().err


def test_a_real_exported_bundle_end_to_end(tmp_path, capsys):
    """From a real run and `export` (tests.bundle_fixtures): drift --bundle on the run's held-out rows, one half
    moved; the estimate per chunk is CBPE on the bundle's own probabilities and decisions."""
    from core.bundle import load_bundle
    from core.performance import estimate_metric
    from tests.bundle_fixtures import credit_bundle, held_out_rows
    rows = held_out_rows().reset_index(drop=True)
    rows.loc[len(rows) // 2:, "age"] += 25
    path = _batch(tmp_path, rows)
    half = len(rows) // 2
    code = main(["drift", "--bundle", str(credit_bundle()), "--new", str(path), "--chunk-size", str(half),
                 "--json", "--out", str(tmp_path / "out")])
    assert code == 0, capsys.readouterr().err
    report = json.loads((tmp_path / "out" / "drift.json").read_text())
    bundle = load_bundle(credit_bundle())
    scored = bundle.score(rows)
    chunks = report["performance_estimate"]["chunks"]
    assert chunks[0]["start"] == 0 and chunks[0]["end"] == half - 1
    if bundle.calibration_ok:
        assert chunks[0]["estimate"] == pytest.approx(
            estimate_metric("f1", scored.probability[:half], scored.decision[:half]), abs=1e-12)
        assert chunks[0]["realised"] is not None  # the held-out rows carry their labels
    else:
        assert report["performance_estimate"]["refused"]
    assert report["prevalence"]["reference"] == pytest.approx(
        (bundle.reference["truth"] == bundle.minority).mean())
    assert len(report["multivariate"]["chunks"]) == len(chunks) or not chunks
