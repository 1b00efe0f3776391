"""Loading decides trust: files, hashes, versions, our allow-list, consistency, golden rows. Each refusal names its
check, and the CLI turns it into one `error:` line (exit 2)."""
from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
import skops.io as sio
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import FixedThresholdClassifier

import core.bundle_checks as bundle_checks
import core.bundle_files as bundle_files
from core.bundle import load_bundle, load_bundle_zip
from core.bundle_files import BundleRefused, bundle_zip, manifest_hash
from core.cli.main import main
from core.data import sha256_of
from tests.bundle_fixtures import bundle_copy, credit_run


def _manifest(folder):
    return json.loads((folder / "manifest.json").read_text())


def _reseal(folder, manifest, rehash_files=True):
    """Write the manifest back with fresh hashes (what an attacker or a careless edit can do)."""
    if rehash_files:
        manifest["files"] = {p.name: sha256_of(p.read_bytes()) for p in folder.iterdir()
                             if p.name != "manifest.json"}
    manifest["manifest_sha256"] = manifest_hash(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _refused(folder, check, capsys, tmp_path, *extra):
    with pytest.raises(BundleRefused) as caught:
        load_bundle(folder)
    assert caught.value.check == check
    code = main(["predict", "--bundle", str(folder), "--data", str(credit_run() / "small_credit.csv"),
                 "--out", str(tmp_path / "scored.csv"), *extra])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: ") and f"({check} check)" in err[0]
    assert not (tmp_path / "scored.csv").exists()
    return err[0]


@pytest.mark.parametrize("name", ["model.skops", "reference.parquet", "golden.csv", "model_card.md",
                                  "model_card.html", "summary.html"])
def test_a_changed_file_is_refused_by_its_hash(name, tmp_path, capsys):
    folder = bundle_copy(tmp_path)
    raw = bytearray((folder / name).read_bytes())
    raw[len(raw) // 2] ^= 0x01  # one bit
    (folder / name).write_bytes(bytes(raw))
    line = _refused(folder, "hashes", capsys, tmp_path)
    assert name in line


def test_a_changed_manifest_is_refused_by_its_own_hash(tmp_path, capsys):
    folder = bundle_copy(tmp_path)
    manifest = _manifest(folder)
    manifest["threshold"]["value"] = 0.01
    (folder / "manifest.json").write_text(json.dumps(manifest))  # not resealed
    assert "manifest.json was changed" in _refused(folder, "hashes", capsys, tmp_path)


def test_a_resealed_manifest_with_another_threshold_is_refused_by_consistency(tmp_path, capsys):
    folder = bundle_copy(tmp_path)
    manifest = _manifest(folder)
    manifest["threshold"]["value"] = 0.01
    _reseal(folder, manifest)
    assert "threshold" in _refused(folder, "consistency", capsys, tmp_path)


def test_resealed_golden_rows_that_do_not_score_back_are_refused(tmp_path, capsys):
    folder = bundle_copy(tmp_path)
    lines = (folder / "golden.csv").read_bytes().decode().split("\r\n")
    cells = lines[1].split(",")
    cells[-1] = repr(float(cells[-1]) + 1e-6)
    lines[1] = ",".join(cells)
    (folder / "golden.csv").write_bytes("\r\n".join(lines).encode())
    _reseal(folder, _manifest(folder))
    assert "golden rows" in _refused(folder, "golden rows", capsys, tmp_path)


def test_a_missing_or_extra_file_is_refused(tmp_path, capsys):
    folder = bundle_copy(tmp_path)
    (folder / "golden.csv").unlink()
    assert "missing golden.csv" in _refused(folder, "files", capsys, tmp_path)
    folder = bundle_copy(tmp_path / "again")
    (folder / "run.py").write_text("print('hello')")
    assert "unexpected 'run.py'" in _refused(folder, "files", capsys, tmp_path)


def test_another_scikit_learn_version_is_one_line_or_a_warning_when_allowed(tmp_path, capsys):
    folder = bundle_copy(tmp_path)
    manifest = _manifest(folder)
    here = manifest["versions"]["scikit-learn"]
    manifest["versions"]["scikit-learn"] = "1.4.0"
    _reseal(folder, manifest)
    line = _refused(folder, "versions", capsys, tmp_path)
    assert f"scikit-learn 1.4.0 made this bundle, {here} is installed here" in line
    bundle = load_bundle(folder, allow_version_drift=True)
    scored = bundle.score(bundle.reference[bundle.features])
    assert any("scikit-learn 1.4.0" in w for w in scored.warnings)
    out = tmp_path / "scored.csv"
    assert main(["predict", "--bundle", str(folder), "--data", str(credit_run() / "small_credit.csv"),
                 "--out", str(out), "--allow-version-drift"]) == 0
    assert "warning: version drift: scikit-learn 1.4.0" in capsys.readouterr().err and out.is_file()


class NotOnOurList(ClassifierMixin, BaseEstimator):
    """A type no bundle of ours holds (it could run anything on load)."""

    def predict_proba(self, X):
        return np.full((len(X), 2), 0.5)


def test_a_type_outside_our_allow_list_is_refused_even_when_the_bundle_trusts_it(tmp_path, capsys):
    folder = bundle_copy(tmp_path)
    original = sio.loads((folder / "model.skops").read_bytes(), trusted=list(bundle_checks.ALLOWED_TYPES))
    crafted = FixedThresholdClassifier(FrozenEstimator(NotOnOurList()), threshold=original.threshold,
                                       pos_label=original.pos_label)
    crafted.estimator_ = crafted.estimator
    crafted.estimator.estimator.classes_ = original.classes_
    (folder / "model.skops").write_bytes(sio.dumps(crafted))
    name = f"{NotOnOurList.__module__}.NotOnOurList"
    manifest = _manifest(folder)
    manifest["trusted_types"] = [name]  # the bundle "trusts" it: the loader never reads such a list
    _reseal(folder, manifest)
    line = _refused(folder, "allow-list", capsys, tmp_path)
    assert name in line


def test_the_zip_loader_reads_only_the_expected_names_within_limits(tmp_path, monkeypatch):
    folder = bundle_copy(tmp_path)
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert load_bundle_zip(bundle_zip(files)).minority == "bad"
    for bad_name in ("../model.skops", "/etc/model.skops", "sub/golden.csv", "evil.py"):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, raw in files.items():
                archive.writestr(name, raw)
            archive.writestr(bad_name, b"x")
        with pytest.raises(BundleRefused) as caught:
            load_bundle_zip(buffer.getvalue())
        assert caught.value.check == "files"
    with pytest.raises(BundleRefused, match="not a zip"):
        load_bundle_zip(b"PK not really")
    monkeypatch.setattr(bundle_files, "MAX_FILE_BYTES", 1000)  # every data file is over it now
    with pytest.raises(BundleRefused, match="unpacks larger"):
        load_bundle_zip(bundle_zip(files))
