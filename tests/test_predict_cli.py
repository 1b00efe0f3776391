"""`python -m core predict`: the schema is checked first (a missing column or another type: exit 2, one line),
unseen levels and values outside the training range are counted and named, and the CSV is formula-safe."""
from __future__ import annotations

import pandas as pd
import pytest

from core.bundle import load_bundle
from core.cli.main import main
from core.errors import SynthBalanceError
from tests.bundle_fixtures import credit_bundle, credit_run


def _rows() -> pd.DataFrame:
    return pd.read_csv(credit_run() / "small_credit.csv").head(30)


def _predict(tmp_path, frame, *extra):
    frame.to_csv(tmp_path / "new.csv", index=False)
    return main(["predict", "--bundle", str(credit_bundle()), "--data", str(tmp_path / "new.csv"),
                 "--out", str(tmp_path / "scored.csv"), *extra])


def _one_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    return err[0]


def test_a_missing_column_is_one_line(tmp_path, capsys):
    assert _predict(tmp_path, _rows().drop(columns=["age", "purpose"])) == 2
    line = _one_error(capsys)
    assert "lacks 2 column(s)" in line and "'purpose'" in line and "'age'" in line
    assert not (tmp_path / "scored.csv").exists()


def test_another_type_is_one_line(tmp_path, capsys):
    rows = _rows().astype({"credit_amount": object})
    rows.loc[3, "credit_amount"] = "a lot"
    assert _predict(tmp_path, rows) == 2
    line = _one_error(capsys)
    assert "'credit_amount' should hold numbers" in line and "'a lot'" in line


def test_unseen_levels_and_out_of_range_values_are_counted_and_named(tmp_path, capsys):
    rows = _rows()
    rows.loc[[0, 1], "purpose"] = "space travel"
    rows.loc[2, "age"] = 150
    assert _predict(tmp_path, rows) == 0
    err = capsys.readouterr().err
    assert "schema: 'purpose': 2 row(s) with a level not seen in training ('space travel')" in err
    assert "schema: 'age': 0 row(s) below and 1 above the training range" in err
    scored = load_bundle(credit_bundle()).score(rows)
    assert scored.schema.unseen_levels == (("purpose", 2, ("space travel",)),)
    assert ("age", 0, 1) in scored.schema.out_of_range
    assert scored.probability.shape == (30,) and scored.decision.dtype == bool


def test_the_scored_csv_is_formula_safe(tmp_path, capsys):
    rows = _rows()
    rows.loc[0, "purpose"] = "=HYPERLINK(\"http://x\")"
    assert _predict(tmp_path, rows) == 0
    text = (tmp_path / "scored.csv").read_text()
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_the_bundle_score_refuses_a_missing_column_before_scoring():
    bundle = load_bundle(credit_bundle())
    with pytest.raises(SynthBalanceError, match="lacks 1 column"):
        bundle.score(_rows().drop(columns=["age"]))


@pytest.mark.parametrize("extra,words", [(["--engine", "onnx"], "holds no model.onnx"),
                                         (["--engine", "tflite"], "invalid choice")])
def test_an_engine_it_cannot_use_is_one_line(tmp_path, capsys, extra, words):
    assert _predict(tmp_path, _rows(), *extra) == 2
    assert words in _one_error(capsys)


def test_no_bundle_there_is_one_line(tmp_path, capsys):
    assert main(["predict", "--bundle", str(tmp_path / "none"), "--data", str(tmp_path / "x.csv"),
                 "--out", str(tmp_path / "s.csv")]) == 2
    assert "(files check)" in _one_error(capsys)


def test_export_without_a_run_folder_is_one_line(tmp_path, capsys):
    assert main(["export", "--run", str(tmp_path), "--out", str(tmp_path / "b")]) == 2
    assert "has no config.json" in _one_error(capsys)


def test_predict_takes_the_zipped_bundle(tmp_path, capsys):
    from core.bundle_files import bundle_zip
    zipped = tmp_path / "bundle.zip"
    zipped.write_bytes(bundle_zip({p.name: p.read_bytes() for p in credit_bundle().iterdir()}))
    _rows().to_csv(tmp_path / "new.csv", index=False)
    assert main(["predict", "--bundle", str(zipped), "--data", str(tmp_path / "new.csv"),
                 "--out", str(tmp_path / "scored.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "scored.csv")) == 30


def test_conform_counts_by_hand():
    """Numbers as one block (all-number schema) and the column path (levels): missing values where training had
    none, values outside the range, unseen levels, and a whole number written 2.0 that is the level '2'."""
    import numpy as np

    from core.bundle_schema import conform
    numbers = [{"name": "a", "kind": "numeric", "missing_allowed": False, "min": 0.0, "max": 10.0},
               {"name": "b", "kind": "integer", "missing_allowed": True, "min": 1.0, "max": 3.0}]
    frame = pd.DataFrame({"a": [-1.0, 5.0, np.nan, 11.0, 12.0], "b": [1, 2, 3, 4, np.nan], "extra": list("vwxyz")})
    rows, notes = conform(frame, numbers)
    assert list(rows.columns) == ["a", "b"] and rows.shape == (5, 2)
    assert notes.out_of_range == (("a", 1, 2), ("b", 0, 1)) and notes.unexpected_missing == (("a", 1),)
    levels = [*numbers, {"name": "c", "kind": "categorical", "missing_allowed": False, "levels": ["1", "2"]}]
    rows, notes = conform(frame.assign(c=[1.0, 2.0, 2.0, 7.0, np.nan]), levels)
    assert list(rows.columns) == ["a", "b", "c"] and list(rows["c"].iloc[:3]) == ["1", "2", "2"]
    assert notes.unseen_levels == (("c", 1, ("7.0",)),) and ("c", 1) in notes.unexpected_missing
