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


def _million_rows_file(path, frame) -> int:
    """A 1,000,000-row CSV of the frame's first 10 rows repeated (bytes joined: seconds, not a pandas write)."""
    text = frame.head(10).to_csv(index=False)
    header, rows = text.split("\n", 1)
    path.write_bytes((header + "\n" + rows * 100_000).encode())
    return path.stat().st_size


def test_a_million_rows_lacking_a_column_are_refused_from_the_header(tmp_path, capsys, monkeypatch):
    """The header is read first: a 1,000,000-row file (about 100 MB) lacking a model column is refused in the
    full check's words with no row read (read_path is never called) and a bounded peak of Python memory (the
    whole-file read held the file's bytes: over 100 MB). The bundle is loaded before the measure (its bounded
    reads ask for MAX_FILE_BYTES at once, which tracemalloc counts whatever the file's size)."""
    import time
    import tracemalloc

    import core.bundle
    import core.cli.deploy
    bundle = load_bundle(credit_bundle())
    monkeypatch.setattr(core.bundle, "load_bundle_path", lambda *a, **k: bundle)
    size = _million_rows_file(tmp_path / "new.csv", _rows().drop(columns=["age"]))
    assert size > 80 * 1024 * 1024
    read = []
    monkeypatch.setattr(core.cli.deploy, "read_path", lambda *a, **k: read.append(a) or pytest.fail("rows read"))
    tracemalloc.start()
    started = time.perf_counter()
    try:
        code = main(["predict", "--bundle", str(credit_bundle()), "--data", str(tmp_path / "new.csv"),
                     "--out", str(tmp_path / "scored.csv")])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    seconds = time.perf_counter() - started
    assert code == 2 and read == []
    line = _one_error(capsys)
    with pytest.raises(SynthBalanceError) as full:  # the same words as the full check on the whole rows
        load_bundle(credit_bundle()).score(_rows().drop(columns=["age"]))
    assert line == f"error: {full.value}"
    assert peak < 40 * 1024 * 1024, f"peak {peak / 2**20:.0f} MB"
    assert seconds < 60  # generous on a loaded machine: the whole-file read took 23 s on 1,000,000 rows
    assert not (tmp_path / "scored.csv").exists()


def test_the_header_check_answers_only_what_the_full_read_would(tmp_path):
    """head_columns gives the full read's column names for a big CSV and a Parquet file, and None where the head
    alone cannot say (a small file, a non-ASCII header) so the full read decides."""
    import numpy as np

    from core.reading import HEAD_BYTES, head_columns, read_path
    rows = _rows()
    filler = pd.concat([rows] * (2 * HEAD_BYTES // len(rows.to_csv(index=False))), ignore_index=True)
    filler.to_csv(tmp_path / "big.csv", sep=";", index=False)
    assert head_columns(tmp_path / "big.csv") == list(read_path(tmp_path / "big.csv").frame.columns)
    filler.rename(columns={"age": "âge"}).to_csv(tmp_path / "accent.csv", index=False)
    assert head_columns(tmp_path / "accent.csv") is None
    rows.to_csv(tmp_path / "small.csv", index=False)
    assert head_columns(tmp_path / "small.csv") is None
    noise = np.random.default_rng(0)
    filler.assign(**{f"pad{i}": noise.random(len(filler)) for i in range(12)}).to_parquet(tmp_path / "big.parquet")
    assert (tmp_path / "big.parquet").stat().st_size > HEAD_BYTES
    assert head_columns(tmp_path / "big.parquet") == list(read_path(tmp_path / "big.parquet").frame.columns)


def test_the_scored_file_has_the_bytes_of_the_whole_text_write(tmp_path, capsys):
    """predict streams its CSV in chunks; the file equals what it wrote before (to_csv_text of the scored table
    through the cell-by-cell formula rule, written at once) on a mixed file: formulas, missing values, levels."""
    from core.bundle import scored_table
    from core.reading import read_path
    from tests.test_export_speed import cell_by_cell_csv
    rows = _rows()
    rows.loc[0, "purpose"] = "=HYPERLINK(\"http://x\")"
    rows.loc[1, "checking_status"] = None
    rows.loc[2, "telephone"] = "-1 to 0"
    rows = pd.concat([rows] * 5, ignore_index=True)
    assert _predict(tmp_path, rows) == 0
    table = read_path(tmp_path / "new.csv")
    scored = load_bundle(credit_bundle()).score(table.frame)
    expected = cell_by_cell_csv(scored_table(table.frame, scored), table.column_types)
    assert (tmp_path / "scored.csv").read_bytes() == expected.encode()
