"""Test rows shown to the analyst (the Comparison page's missed rows and new false positives) reach Streamlit's
Arrow tables without pyarrow's "Could not serialize pd.DataFrame.attrs" warning (one per table drawn filled the
server's log), and keep the held-out mark, so no fitting step takes them."""
from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pytest

from core.diagnostics import error_analysis
from core.errors import HeldOutLeak
from core.split import ensure_not_held_out


def test_shown_test_rows_convert_to_arrow_silently_and_stay_held_out(prepared):
    prep = prepared["german_credit"]
    test, target = prep.split.test, prep.dataset.target
    minority = [prep.profile.minority_class]
    truth = test[target].astype(str).isin(minority).to_numpy()
    rng = np.random.default_rng(0)
    judged = np.where(rng.random(len(test)) < 0.5, minority[0], "good")
    runs = {"augmented_tuned": SimpleNamespace(predictions=judged, scores=rng.random(len(test))),
            "threshold_tuned": SimpleNamespace(predictions=np.full(len(test), "good"), scores=np.zeros(len(test)))}
    missed, new_false = error_analysis(test, runs, target, minority)
    assert len(missed) and len(new_false) and truth.any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pyarrow's attrs warning is a UserWarning
        for shown in (missed, new_false):
            pa.Table.from_pandas(shown)  # what st.dataframe does with them
    for shown in (missed, new_false):
        with pytest.raises(HeldOutLeak):
            ensure_not_held_out(shown)
    with pytest.warns(UserWarning, match="Could not serialize pd.DataFrame.attrs"):
        pa.Table.from_pandas(test)  # the test part itself keeps its row hashes (the check needs them)
