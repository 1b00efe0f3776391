"""The bundled real datasets (UCI, CC BY 4.0): names, default targets, loading. Light on imports, so the
first screen can show a sample before the heavier modules load."""
from __future__ import annotations

from pathlib import Path

from core.data import LoadedTable
from core.errors import DataError
from core.reading import read_path

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"
SAMPLES = {  # file name -> (title, target)
    "german_credit.csv": ("German credit (finance, mixed types)", "credit_risk"),
    "hypothyroid.csv": ("Hypothyroid (healthcare, missing values)", "diagnosis"),
    "abalone19.csv": ("Abalone 19 rings (extreme imbalance, 32 minority rows)", "rings_19"),
}
DEFAULT_SAMPLE = "german_credit.csv"


def load_sample(file_name: str) -> LoadedTable:
    """One of the bundled real datasets."""
    if file_name not in SAMPLES:
        raise DataError(f"No bundled sample is named '{file_name}'. Samples: {', '.join(SAMPLES)}.")
    return read_path(SAMPLE_DIR / file_name)
