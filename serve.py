"""Start the app (`make run`): `streamlit run app.py` in this process, with the libraries the first page needs
already imported.

Streamlit runs app.py only when a browser session starts, so without this the first visitor waits while numpy,
pandas and plotly load (about 1.2 s of the 1.9 s first run on this 2-core machine). Here they load while the
server starts, before it answers. The heavy optional libraries (torch, ctgan, opacus, umap, dask) stay out: the
pages that need them import them. Arguments are passed on to `streamlit run`, e.g. `python serve.py
--server.port 8502`.
"""
from __future__ import annotations

import sys
from pathlib import Path

from core.parallel import start_at_one_thread  # light: os, threading and core.errors

# One BLAS / OpenMP thread, as on Dask workers and in joblib's workers, so the app computes as the command line
# and a cluster do (a thread count can change a library's sums; core.parallel.one_thread_per_task). Set before numpy
# loads: OpenBLAS takes a later limit only from the main thread, and pages run in other threads.
start_at_one_thread()

APP = Path(__file__).resolve().parent / "app.py"
FIRST_PAGE = ("numpy", "pandas", "plotly.graph_objects", "core.data", "core.reading", "core.samples", "core.text")


def warm() -> None:
    """Import what the Data page, the first screen, needs; streamlit's one-time check for being run from a REPL
    (inspect.stack over every frame, about 0.3 s on the first element drawn) is settled: this is `streamlit run`."""
    import importlib

    for name in FIRST_PAGE:
        importlib.import_module(name)
    import streamlit.delta_generator as delta_generator

    delta_generator._use_warning_has_been_displayed = True


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(APP.parent))
    warm()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(APP), *argv]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
