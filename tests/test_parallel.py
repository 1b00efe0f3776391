"""Every task of the one parallel path runs with one BLAS thread, here, in joblib's workers and on a cluster, so a
fold's figures do not depend on where it ran (a thread count can change the order of floating-point sums)."""
from __future__ import annotations

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from core.parallel import parallel_map


def blas_threads(_item) -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_tasks_run_on_one_blas_thread_and_the_setting_comes_back():
    """Here (the CLI's main thread) the limit is set per task and restored; joblib's workers and Dask's nanny
    workers start at one thread; the app's server starts at one (serve.py, tested in test_architecture)."""
    if not blas_threads(0):
        pytest.skip("no BLAS library loaded")
    with threadpool_limits(limits=2):  # a process allowed two threads (the suite itself runs at one)
        assert set(blas_threads(0)) == {2}
        assert parallel_map(blas_threads, [0, 1], n_jobs=1) == [[1] * len(blas_threads(0))] * 2
        assert set(blas_threads(0)) == {2}  # restored once the work is done
