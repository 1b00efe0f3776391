"""Our code and package versions on a Dask cluster: the fingerprint and zip of the `core` package shipped to the
scheduler and every worker (Client.upload_file; the scheduler deserialises the task graph, so it needs `core` too),
a cluster that already runs another version of our code refused, and the versions of the packages that decide a
figure compared with ours, at connect time (Client.get_versions) and inside every task (a worker that joined
later).
"""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import socket
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

from core.errors import ClusterError

if TYPE_CHECKING:  # dask is imported lazily: only a cluster run pays for it
    from distributed import Client

CODE_KEY = ("synthbalance", "core_sha256")  # scheduler metadata: the fingerprint of the code shipped there
# The packages whose version decides a figure (and how pickles of their objects read): the cluster must have ours.
CHECKED_PACKAGES = ("scikit-learn", "imbalanced-learn", "numpy", "pandas", "torch", "ctgan")
CORE_DIR = Path(__file__).resolve().parent


def code_fingerprint(package: Path = CORE_DIR) -> str:
    """SHA-256 of our package's Python files (relative path and bytes, in path order): the code a cluster runs."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package.parent).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def code_zip(folder: Path, fingerprint: str, package: Path = CORE_DIR) -> Path:
    """A zip of our package's Python files, importable as `core` once on sys.path (what Client.upload_file does)."""
    path = folder / f"synthbalance_core_{fingerprint[:12]}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for source in sorted(package.rglob("*.py")):
            archive.write(source, source.relative_to(package.parent).as_posix())
    return path


def _our_version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)  # looked up at call time: the version this process sees
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.lru_cache(maxsize=None)
def _versions_here(packages: tuple[str, ...]) -> dict[str, str | None]:
    """The versions of `packages` in this process (a worker's installed packages do not change while it runs)."""
    return {package: _our_version(package) for package in packages}


def check_versions_here(expected: Mapping[str, str | None]) -> None:
    """Raise ClusterError when this process (a worker running one of our tasks) has other versions of the
    packages that decide a figure than the machine that sent the task (`expected`, package -> version).

    Checked inside every task, so a worker that joined after the connect-time check runs nothing of ours."""
    here = _versions_here(tuple(sorted(expected)))
    problems = [f"{package} is {here[package] or 'not installed'} there, ours is {ours or 'none'}"
                for package, ours in sorted(expected.items()) if here[package] != ours]
    if problems:
        try:
            from distributed import get_worker

            where = f"The Dask worker {get_worker().address}"
        except (ImportError, ValueError):
            where = "A Dask worker"
        raise ClusterError(f"{where} has other package versions than this machine: {'; '.join(problems[:3])}"
                           f"{' (and more)' if len(problems) > 3 else ''}. It ran none of the work. "
                           "Install requirements.txt on every machine of the cluster.")


def version_mismatches(versions: Mapping, packages: Sequence[str] = CHECKED_PACKAGES) -> list[str]:
    """One sentence per package whose version on the scheduler or a worker differs from ours.

    versions: what Client.get_versions returns ({'scheduler': {'packages': {...}}, 'workers': {address: ...}})."""
    machines = [("the scheduler", versions.get("scheduler") or {})]
    machines += [(f"worker {address}", info or {}) for address, info in sorted((versions.get("workers") or {}).items())]
    problems = []
    for package in packages:
        ours = _our_version(package)
        for machine, info in machines:
            theirs = (info.get("packages") or {}).get(package)
            if theirs != ours:
                problems.append(f"{package} is {theirs or 'not installed'} on {machine}, ours is {ours or 'none'}")
    return problems


def _in_our_process(client: Client) -> bool:
    """True for an in-process cluster (LocalCluster(processes=False)): it already has our imports."""
    here = (socket.gethostname(), os.getpid())
    return client.run_on_scheduler(os.getpid) == here[1] and client.run_on_scheduler(socket.gethostname) == here[0]


def refuse_other_code(client: Client, scheduler: str) -> bool:
    """True when the cluster already holds our code (or shares this process); False when it holds none.

    A cluster that runs another version of our code is refused: one worker process cannot import two versions
    of `core`, and the tasks would silently run the other one."""
    if _in_our_process(client):
        return True
    ours, theirs = code_fingerprint(), client.get_metadata(list(CODE_KEY), None)
    if theirs is not None and theirs != ours:
        raise ClusterError(f"The Dask cluster at '{scheduler}' already runs another version of SynthBalance's code "
                           f"(fingerprint {str(theirs)[:12]}, ours {ours[:12]}); a worker cannot hold two versions. "
                           "Restart that cluster or use another one.")
    return theirs == ours


def ship_code(client: Client, scheduler: str) -> None:
    """Upload our package to the scheduler and every worker (workers that join later get it too)."""
    fingerprint = code_fingerprint()
    with tempfile.TemporaryDirectory() as folder:
        try:
            client.upload_file(str(code_zip(Path(folder), fingerprint)))
        except Exception as exc:  # a machine that cannot import it says why
            raise ClusterError(f"Could not install SynthBalance's code on the Dask cluster at '{scheduler}': "
                               f"{type(exc).__name__}: {exc}") from None
    client.set_metadata(list(CODE_KEY), fingerprint)


def expected_versions() -> dict[str, str | None]:
    """Our versions of the packages that decide a figure: what every task checks on its worker."""
    return dict(_versions_here(CHECKED_PACKAGES))
