"""Every file in tests/data/bad/ gives a specific outcome, the same in core, the CLI and the app:
a clear error for what cannot be used, a correct load (and generation) for what is only awkward."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.__main__ import main
from core.data import (
    DATETIME,
    IDENTIFIER,
    LARGE_TABLE_ROWS,
    is_large,
    read_path,
    read_table,
    stratified_sample,
    validate_dataset,
)
from core.errors import SynthBalanceError
from core.export import to_csv_text
from core.pipeline import augmented, prepare, synthesize
from tests.apptest_helpers import errors, metrics, open_app

BAD = Path(__file__).resolve().parent / "data" / "bad"
LOAD_ERRORS = {  # file -> (target, words the message must contain)
    "empty.csv": ("label", "The file is empty"),
    "header_only.csv": ("label", "header but no data rows"),
    "binary.csv": ("label", "binary bytes"),
    "one_column.csv": ("label", "Only one column was found"),
    "duplicated_names.csv": ("label", "Column names appear more than once: 'age'"),
    "no_target.csv": ("label", "The target column 'label' is not in the file"),
    "one_class.csv": ("label", "has only one class ('no')"),
    "minority_1.csv": ("label", "Class 'yes' of 'label' has a single row"),
    "mixed_numbers_text.csv": ("label", "Column 'income' mixes numbers and text"),
    "infinities.csv": ("label", "Column 'income' holds 1 infinite values"),
}
GENERATION_ERRORS = {"minority_2.csv": ("label", "Class 'yes' has 1 training row")}
AWKWARD = {  # file -> target; each also has a check below
    "minority_3.csv": "label", "semicolon_decimal_comma.csv": "label", "utf16.csv": "label",
    "float_target.csv": "label", "five_classes.csv": "label", "datetime_column.csv": "label",
    "high_cardinality_text.csv": "label", "odd_names.csv": "<script>alert(1)</script>",
    "formula_cells.csv": "label", "wide_200_columns.csv": "label"}


def test_every_file_is_covered():
    assert {p.name for p in BAD.glob("*.csv")} == set(LOAD_ERRORS) | set(GENERATION_ERRORS) | set(AWKWARD)


@pytest.mark.parametrize("name", sorted(LOAD_ERRORS))
def test_core_refuses_with_a_specific_message(name):
    target, words = LOAD_ERRORS[name]
    with pytest.raises(SynthBalanceError) as caught:
        validate_dataset(read_path(BAD / name), target)
    assert words in str(caught.value)


@pytest.mark.parametrize("name", sorted(GENERATION_ERRORS))
def test_generation_refuses_with_a_specific_message(name):
    target, words = GENERATION_ERRORS[name]
    prepared = prepare(validate_dataset(read_path(BAD / name), target))
    with pytest.raises(SynthBalanceError, match=words):
        synthesize(prepared, "smote")


def generated(name: str, method: str = "smote"):
    dataset = validate_dataset(read_path(BAD / name), AWKWARD[name])
    prepared = prepare(dataset)
    return dataset, prepared, synthesize(prepared, method)


def test_awkward_files_load_and_generate():
    ds, prep, result = generated("minority_3.csv")
    assert prep.train_class_counts["yes"] == 2 and result.produced["yes"] == prep.train_class_counts["no"] - 2
    ds, _, _ = generated("semicolon_decimal_comma.csv")
    assert ds.column_types["income"] == "numeric" and any("decimal commas" in n for n in ds.notes)
    ds, _, _ = generated("utf16.csv")
    assert any("utf-16" in n for n in ds.notes) and len(ds.frame) == 60
    ds, _, result = generated("float_target.csv")
    assert set(ds.class_counts.index) == {"0", "1"} and set(result.rows["label"]) == {"1"}
    ds, prep, result = generated("five_classes.csv")
    assert prep.profile.is_multiclass and prep.profile.minority_classes == ["b", "c", "d", "e"]
    assert set(result.produced) == {"b", "c", "d", "e"}
    ds, prep, result = generated("datetime_column.csv")
    assert ds.column_types["opened"] == DATETIME
    assert result.rows["opened"].between(prep.train["opened"].min(), prep.train["opened"].max()).all()
    ds, _, result = generated("high_cardinality_text.csv")
    assert ds.column_types["comment"] == IDENTIFIER and "comment" not in ds.features
    assert result.rows["comment"].isna().all()
    ds, prep, result = generated("wide_200_columns.csv")
    assert len(ds.features) == 199 and result.produced["yes"] > 0


def test_odd_column_names_survive_generation_and_export():
    ds, prep, result = generated("odd_names.csv", "smotenc")
    header = to_csv_text(result.rows, ds.column_types).splitlines()[0]
    assert header == 'credit amount,"quote""d",emoji \U0001F600,<script>alert(1)</script>'


def test_formula_cells_are_neutralised_in_exports():
    ds, prep, result = generated("formula_cells.csv", "random_oversampler")
    exported = pd.read_csv(io.StringIO(to_csv_text(augmented(prep, result), ds.column_types)))
    region = exported["region"].astype(str)
    assert not region.str.match(r"^[=+\-@]").any()
    assert set(region) >= {"'=cmd|' /C calc'!A0", "'+SUM(1,2)", "'@HYPERLINK(1)", "'-2+3", "plain"}


@pytest.mark.parametrize("name", sorted(LOAD_ERRORS))
def test_cli_exits_2_with_one_line(name, capsys):
    target, words = LOAD_ERRORS[name]
    assert main(["analyze", "--data", str(BAD / name), "--target", target]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and words in err and err.count("\n") == 1


def test_cli_generation_error_and_awkward_success(tmp_path, capsys):
    assert main(["generate", "--data", str(BAD / "minority_2.csv"), "--target", "label", "--method", "smote",
                 "--out", str(tmp_path / "a")]) == 2
    assert "Class 'yes' has 1 training row" in capsys.readouterr().err
    for name, target in AWKWARD.items():
        assert main(["analyze", "--data", str(BAD / name), "--target", target]) == 0, name


@pytest.mark.parametrize("name", sorted(LOAD_ERRORS))
def test_app_shows_the_message_and_keeps_working(name):
    target, words = LOAD_ERRORS[name]
    at = open_app()
    at.radio(key="w_source").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value((name, (BAD / name).read_bytes(), "text/csv")).run()
    assert not at.exception
    table = at.session_state["table"]
    if table.name == name:  # the file itself loaded; the problem is the target the analyst picks
        target_box = next(s for s in at.selectbox if s.label.startswith("Target column"))
        if target not in target_box.options:  # a missing column cannot be picked in the app
            assert name == "no_target.csv" and at.session_state["target"] in target_box.options
            return
        target_box.set_value(target).run()
        assert not at.exception
    else:
        assert table.name == "german_credit.csv"  # refused: the previous table is still loaded
    assert any(words in e for e in errors(at)), errors(at)


@pytest.mark.parametrize("name", sorted(AWKWARD))
def test_app_loads_awkward_files(name):
    at = open_app()
    at.radio(key="w_source").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value((name, (BAD / name).read_bytes(), "text/csv")).run()
    assert not at.exception
    assert at.session_state["table"].name == name
    assert not errors(at), errors(at)


def test_large_file_is_offered_a_stratified_sample():
    rng = np.random.default_rng(0)
    rows = 250_000
    frame = pd.DataFrame({"a": rng.normal(size=rows).round(3), "b": rng.integers(0, 9, rows),
                          "label": np.where(rng.random(rows) < 0.01, "rare", "common")})
    raw = frame.to_csv(index=False).encode()
    table = read_table(raw, "big.csv")
    assert is_large(table)
    sample = stratified_sample(table, "label", seed=1)
    assert abs(len(sample.frame) - LARGE_TABLE_ROWS) <= 2
    share = (frame["label"] == "rare").mean()
    assert (sample.frame["label"] == "rare").mean() == pytest.approx(share, abs=0.0005)
    at = open_app()
    at.radio(key="w_source").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value(("big.csv", raw, "text/csv")).run()
    assert not at.exception and any("250,000 rows" in w.value for w in at.warning)
    at.button(key="use_sample").click().run()
    assert not at.exception
    assert metrics(at)["Rows"] == f"{len(sample.frame) - 0:,}" or metrics(at)["Rows"].startswith("200,0")
    assert not any("250,000 rows" in w.value for w in at.warning)
