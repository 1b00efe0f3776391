"""A bundle crafted by hand or damaged, and rows a confused user sends: each gets one refusal naming its check
(CLI: exit 2, one `error:` line), never a traceback, and nothing is read past the loader's limits. The manifest
is resealed after each change (its hashes stop accidents, not an attacker: the shape checks, the size limits and
the allow-list do)."""
from __future__ import annotations

import io
import os
import zipfile

import numpy as np
import pandas as pd
import pytest
import skops.io as sio

import core.bundle as bundle_module
import core.bundle_checks as bundle_checks
from core.bundle import load_bundle, load_bundle_zip
from core.bundle_files import BundleRefused, bundle_zip
from core.cli.main import main
from core.errors import SynthBalanceError
from tests.bundle_fixtures import bundle_copy, credit_bundle, credit_run
from tests.test_bundle_trust import _manifest, _refused, _reseal


def _rows() -> pd.DataFrame:
    return pd.read_csv(credit_run() / "small_credit.csv").head(30)


def _one_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    return err[0]


# --- manifest.json: a resealed manifest of another shape ------------------------------------------------------

def _set(path: str, value):
    def change(manifest):
        *parents, last = path.split(".")
        node = manifest
        for key in parents:
            node = node[key]
        if value is KeyError:
            del node[last]
        else:
            node[last] = value
    return change


@pytest.mark.parametrize("change,check,words", [
    (_set("versions", ["scikit-learn"]), "manifest", "versions"),
    (_set("schema", KeyError), "manifest", "schema is missing"),
    (_set("schema.columns", "age,purpose"), "manifest", "schema.columns"),
    (_set("threshold.value", "0.3"), "manifest", "threshold.value"),
    (_set("threshold", [0.3]), "manifest", "threshold.value"),
    (_set("minority", KeyError), "manifest", "classes"),
    (_set("calibration", KeyError), "manifest", "calibration.after"),
], ids=["versions-list", "no-schema", "columns-text", "threshold-text", "threshold-list", "no-minority",
        "no-calibration"])
def test_a_resealed_manifest_of_another_shape_is_one_refusal(change, check, words, tmp_path, capsys):
    folder = bundle_copy(tmp_path)
    manifest = _manifest(folder)
    change(manifest)
    _reseal(folder, manifest)
    assert words in _refused(folder, check, capsys, tmp_path)


def test_a_manifest_whose_file_list_is_not_a_table_is_refused_by_hashes(tmp_path, capsys):
    folder = bundle_copy(tmp_path)
    manifest = _manifest(folder)
    _reseal(folder, manifest)
    manifest = _manifest(folder)
    manifest["files"] = sorted(manifest["files"])
    _reseal(folder, manifest, rehash_files=False)
    assert "lists no SHA-256" in _refused(folder, "hashes", capsys, tmp_path)


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000],
                         ids=["arrays", "objects"])
def test_a_deeply_nested_manifest_is_a_refusal_not_a_recursion_error(text, tmp_path, capsys):
    folder = bundle_copy(tmp_path)
    (folder / "manifest.json").write_text(text)
    assert "nests too deeply" in _refused(folder, "hashes", capsys, tmp_path)


# --- golden.csv and reference.parquet -------------------------------------------------------------------------

def _golden_lines(folder):
    return (folder / "golden.csv").read_bytes().decode().split("\r\n")


@pytest.mark.parametrize("edit", [
    lambda lines: [",".join(line.split(",")[:-1]) for line in lines],  # no probability column
    lambda lines: [lines[0], lines[1].rsplit(",", 1)[0] + ",abc", *lines[2:]],
    lambda lines: [lines[0], lines[1].rsplit(",", 1)[0] + ",", *lines[2:]],  # an empty (NaN) probability
    lambda lines: lines[:2],  # one row left: the check would re-score 1 of 20
    lambda lines: lines[:1],  # the header only
], ids=["no-probability", "text", "empty", "one-row", "header-only"])
def test_resealed_golden_rows_that_cannot_be_checked_are_refused(edit, tmp_path, capsys):
    folder = bundle_copy(tmp_path)
    (folder / "golden.csv").write_bytes("\r\n".join(edit(_golden_lines(folder))).encode())
    _reseal(folder, _manifest(folder))
    assert "golden.csv" in _refused(folder, "golden rows", capsys, tmp_path)


def _reference(folder) -> pd.DataFrame:
    return pd.read_parquet(folder / "reference.parquet")


@pytest.mark.parametrize("edit,words", [
    (lambda ref: ref.drop(columns=["truth"]), "input columns"),
    (lambda ref: ref.assign(is_synthetic=False), "input columns"),
    (lambda ref: ref[[*ref.columns[1:], ref.columns[0]]], "input columns"),
    (lambda ref: ref.assign(decision=~ref["decision"]), "decisions the threshold gives"),
    (lambda ref: ref.assign(minority_probability=ref["minority_probability"] + 2), "from 0 to 1"),
    (lambda ref: ref.assign(truth="maybe"), "among the classes"),
    (lambda ref: pd.DataFrame({"a": np.zeros(2_000_001, dtype=np.int8)}), "2,000,001 rows"),
], ids=["no-truth", "extra-column", "columns-moved", "decisions", "probabilities", "truth", "too-many-rows"])
def test_a_resealed_reference_that_monitor_could_not_trust_is_refused(edit, words, tmp_path, capsys):
    folder = bundle_copy(tmp_path)
    edit(_reference(folder)).to_parquet(folder / "reference.parquet", index=False)
    _reseal(folder, _manifest(folder))
    assert words in _refused(folder, "reference", capsys, tmp_path)


# --- model.skops ---------------------------------------------------------------------------------------------

def test_a_skops_zip_bomb_is_refused_from_its_declared_sizes_before_skops_reads_it(tmp_path, capsys, monkeypatch):
    folder = bundle_copy(tmp_path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("schema.json", b" " * (bundle_checks.MAX_MODEL_SCHEMA_BYTES + 1))  # 64 MB of spaces
    assert len(buffer.getvalue()) < 200_000  # what the bundle holds: about a thousandth of what it unpacks to
    (folder / "model.skops").write_bytes(buffer.getvalue())
    _reseal(folder, _manifest(folder))

    def unpacked(*args, **kwargs):
        raise AssertionError("skops was handed a model.skops over the loader's limits")
    monkeypatch.setattr(sio, "get_untrusted_types", unpacked)
    assert "64 MB of schema" in _refused(folder, "allow-list", capsys, tmp_path)


def test_a_type_outside_the_allow_list_nested_in_an_allowed_estimator_is_refused(tmp_path, capsys):
    import operator
    folder = bundle_copy(tmp_path)
    model = sio.loads((folder / "model.skops").read_bytes(), trusted=list(bundle_checks.ALLOWED_TYPES))
    model.estimator_.note = np.array([operator.methodcaller("__init__"), 1], dtype=object)
    (folder / "model.skops").write_bytes(sio.dumps(model))
    _reseal(folder, _manifest(folder))
    assert "operator.methodcaller" in _refused(folder, "allow-list", capsys, tmp_path)


# --- the folder and the zip ------------------------------------------------------------------------------------

def test_a_symlink_out_of_the_bundle_or_an_unlisted_file_is_refused(tmp_path, capsys):
    folder = bundle_copy(tmp_path)
    (folder / "summary.html").unlink()
    os.symlink(credit_run() / "small_credit.csv", folder / "summary.html")
    assert "not a plain file" in _refused(folder, "files", capsys, tmp_path)
    folder = bundle_copy(tmp_path / "unlisted")
    manifest = _manifest(folder)
    del manifest["files"]["summary.html"]  # a file present but not in the manifest
    _reseal(folder, manifest, rehash_files=False)
    assert "summary.html" in _refused(folder, "hashes", capsys, tmp_path)


def test_a_zip_zipfile_cannot_open_is_a_files_refusal(tmp_path, capsys):
    """A central directory naming a zip version Python's zipfile lacks raises NotImplementedError when opened."""
    zipped = bytearray(bundle_zip({p.name: p.read_bytes() for p in credit_bundle().iterdir()}))
    header = zipped.index(b"PK\x01\x02")  # the first central directory entry; its version needed is at +6
    zipped[header + 6:header + 8] = (255).to_bytes(2, "little")
    with pytest.raises(BundleRefused) as caught:
        load_bundle_zip(bytes(zipped))
    assert caught.value.check == "files"
    (tmp_path / "bundle.zip").write_bytes(bytes(zipped))
    _rows().to_csv(tmp_path / "new.csv", index=False)
    assert main(["predict", "--bundle", str(tmp_path / "bundle.zip"), "--data", str(tmp_path / "new.csv"),
                 "--out", str(tmp_path / "scored.csv")]) == 2
    assert "(files check)" in _one_error(capsys)


# --- rows to score --------------------------------------------------------------------------------------------

def test_an_infinite_number_is_one_line_naming_its_column(tmp_path, capsys):
    rows = _rows().astype({"age": float})
    rows.loc[[0, 4], "age"] = np.inf
    rows.to_csv(tmp_path / "new.csv", index=False)  # written 'inf': read back as a float column
    assert main(["predict", "--bundle", str(credit_bundle()), "--data", str(tmp_path / "new.csv"),
                 "--out", str(tmp_path / "scored.csv")]) == 2
    assert "'age' holds 2 infinite value(s)" in _one_error(capsys)
    assert not (tmp_path / "scored.csv").exists()
    bundle = load_bundle(credit_bundle())
    as_text = _rows().astype({"credit_amount": object})
    as_text.loc[1, "credit_amount"] = "-inf"  # the column path (text read as numbers)
    with pytest.raises(SynthBalanceError, match="'credit_amount' holds 1 infinite"):
        bundle.score(as_text)


def test_allowed_version_drift_travels_in_the_scored_csv_on_every_row(tmp_path, capsys):
    folder = bundle_copy(tmp_path)
    manifest = _manifest(folder)
    manifest["versions"]["scikit-learn"] = "1.4.0"
    _reseal(folder, manifest)
    out = tmp_path / "scored.csv"
    _rows().to_csv(tmp_path / "new.csv", index=False)
    assert main(["predict", "--bundle", str(folder), "--data", str(tmp_path / "new.csv"), "--out", str(out),
                 "--allow-version-drift"]) == 0
    assert "warning: version drift: scikit-learn 1.4.0" in capsys.readouterr().err
    scored = pd.read_csv(out)
    assert scored[bundle_module.SCORED_WARNING].str.contains("version drift: scikit-learn 1.4.0").all()
    assert main(["predict", "--bundle", str(credit_bundle()), "--data", str(tmp_path / "new.csv"),
                 "--out", str(tmp_path / "clean.csv")]) == 0
    assert bundle_module.SCORED_WARNING not in pd.read_csv(tmp_path / "clean.csv").columns


def test_a_crafted_model_of_allowed_types_that_cannot_score_is_refused_by_the_golden_rows(tmp_path, capsys):
    folder = bundle_copy(tmp_path)
    model = sio.loads((folder / "model.skops").read_bytes(), trusted=list(bundle_checks.ALLOWED_TYPES))
    calibrated = model.estimator_.estimator
    calibrated.method, calibrated.knots_x, calibrated.knots_y = "isotonic", None, None  # no map to apply
    (folder / "model.skops").write_bytes(sio.dumps(model))
    _reseal(folder, _manifest(folder))
    assert "could not score the golden rows" in _refused(folder, "golden rows", capsys, tmp_path)


def test_a_value_a_tree_model_cannot_read_is_one_error_not_a_traceback():
    """Tree models read float32: 1e300 is finite as a float64 but scikit-learn refuses it mid-predict."""
    from dataclasses import replace

    from sklearn.base import clone
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import FixedThresholdClassifier
    from sklearn.tree import DecisionTreeClassifier
    bundle = load_bundle(credit_bundle())
    pipeline = clone(bundle.model.estimator_.estimator.base).set_params(
        model=DecisionTreeClassifier(max_depth=3, random_state=0))
    pipeline.fit(bundle.reference[bundle.features], bundle.reference["truth"])
    tree = FixedThresholdClassifier(FrozenEstimator(pipeline), threshold=bundle.threshold,
                                    pos_label=bundle.minority).fit(bundle.reference[bundle.features],
                                                                   bundle.reference["truth"])
    rows = _rows().astype({"credit_amount": float})
    rows.loc[2, "credit_amount"] = 1e300  # scaled, still far above float32
    with pytest.raises(SynthBalanceError, match="could not score these rows: .*float32"):
        replace(bundle, model=tree).score(rows)


@pytest.mark.parametrize("module", ["core.calibration_v2", "tests.bundle_fixtures", "builtins"])
def test_a_type_named_like_ours_in_another_module_is_refused(module, tmp_path, capsys):
    """skops.io resolves '__module__' + '__class__' from the file: the allow-list matches the full dotted name,
    so 'CalibratedModel' from any other module is a type outside it (edited in schema.json by hand)."""
    folder = bundle_copy(tmp_path)
    source = zipfile.ZipFile(folder / "model.skops")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as crafted:
        for entry in source.infolist():
            raw = source.read(entry)
            if entry.filename == "schema.json":
                raw = raw.replace(b'"__module__": "core.calibration"', f'"__module__": "{module}"'.encode())
            crafted.writestr(entry, raw)
    (folder / "model.skops").write_bytes(buffer.getvalue())
    _reseal(folder, _manifest(folder))
    assert f"{module}.CalibratedModel" in _refused(folder, "allow-list", capsys, tmp_path)


def test_a_refusal_quoting_a_crafted_manifest_stays_one_short_line(tmp_path, capsys):
    folder = bundle_copy(tmp_path)
    manifest = _manifest(folder)
    manifest["versions"]["scikit-learn"] = "9" * 1_000_000  # quoted in the versions refusal
    _reseal(folder, manifest)
    line = _refused(folder, "versions", capsys, tmp_path)
    assert len(line) < 600 and line.endswith(" ...")


def test_a_level_that_looks_like_a_formula_reads_the_same_from_a_formula_safe_export():
    """'-1 to 0' is written "'-1 to 0" by every CSV export of the app (OWASP guard): scoring such a file must not
    turn a training level into an unseen one (a text that only starts with an apostrophe stays as it is)."""
    from core.bundle_schema import conform
    schema = [{"name": "balance", "kind": "categorical", "missing_allowed": False,
               "levels": ["-1 to 0", "=sum", "none"]}]
    frame = pd.DataFrame({"balance": ["'-1 to 0", "-1 to 0", "'=sum", "'none", "none"]})
    rows, notes = conform(frame, schema)
    assert list(rows["balance"]) == ["-1 to 0", "-1 to 0", "=sum", "'none", "none"]
    assert notes.unseen_levels == (("balance", 1, ("'none",)),)


@pytest.mark.parametrize("settings", [{"threshold": "auto"}, {"threshold": [0.23]}, {"threshold": float("nan")},
                                      {"response_method": "decision_function"}],
                         ids=["auto", "list", "nan", "decision-function"])
def test_a_crafted_threshold_step_is_refused_by_consistency(settings, tmp_path, capsys):
    """NaN differs from nothing by more than 1e-12 (every comparison with NaN is False): agreement is asked."""
    folder = bundle_copy(tmp_path)
    model = sio.loads((folder / "model.skops").read_bytes(), trusted=list(bundle_checks.ALLOWED_TYPES))
    model.set_params(**settings)
    (folder / "model.skops").write_bytes(sio.dumps(model))
    _reseal(folder, _manifest(folder))
    _refused(folder, "consistency", capsys, tmp_path)


def test_a_model_with_an_unfitted_estimator_inside_is_refused_by_consistency(tmp_path, capsys):
    from sklearn.linear_model import LogisticRegression
    folder = bundle_copy(tmp_path)
    model = sio.loads((folder / "model.skops").read_bytes(), trusted=list(bundle_checks.ALLOWED_TYPES))
    model.estimator = model.estimator_ = LogisticRegression()  # never fitted: it has no classes_
    (folder / "model.skops").write_bytes(sio.dumps(model))
    _reseal(folder, _manifest(folder))
    assert "classes" in _refused(folder, "consistency", capsys, tmp_path)


def test_a_file_too_large_to_be_a_bundle_is_refused_before_it_is_read(tmp_path, capsys):
    huge = tmp_path / "bundle.zip"
    with huge.open("wb") as handle:  # sparse: 500 MB declared, nothing written
        handle.truncate(500 * 1024 * 1024)
    _rows().to_csv(tmp_path / "new.csv", index=False)
    assert main(["predict", "--bundle", str(huge), "--data", str(tmp_path / "new.csv"),
                 "--out", str(tmp_path / "scored.csv")]) == 2
    line = _one_error(capsys)
    assert "(files check)" in line and "larger than a bundle may be" in line
