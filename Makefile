# Two commands on a fresh machine: `make run` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.10
PORT ?= 8501

.PHONY: run test install install-dev clean

# pip first, for two packages only: torch, which pip takes from the machine's local CPU wheel (uv does not look
# there, and an unpinned or CUDA torch is several GB), and uv itself. uv then installs the pinned rest in parallel.
# Everything is compiled to bytecode at install (this machine sets PYTHONDONTWRITEBYTECODE, so an import never
# writes it later: without it every import of torch or scikit-learn would compile again).
$(VENV)/.base:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --no-compile $$(grep '^torch==' requirements.txt) uv==$(UV_VERSION)
	@# bytecode for what pip put there, on every core (a few of torch's own test files do not compile, as under pip)
	-$(PY) -m compileall -q -j 0 $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') >/dev/null
	touch $@

$(VENV)/.runtime: $(VENV)/.base requirements.txt
	$(UV) pip install --quiet --python $(PY) --compile-bytecode -r requirements.txt
	touch $@

# make test installs runtime and test packages in one resolution (one bytecode pass)
$(VENV)/.dev: $(VENV)/.base requirements.txt requirements-dev.txt
	$(UV) pip install --quiet --python $(PY) --compile-bytecode -r requirements.txt -r requirements-dev.txt
	touch $(VENV)/.runtime $@

install: $(VENV)/.runtime

install-dev: $(VENV)/.dev

run: install
	$(PY) serve.py --server.port $(PORT)

# one BLAS thread per test worker: -n auto already runs one worker per core (tests/conftest.py says why); our own
# modules' bytecode is written once (to __pycache__, ignored by git) for the many processes the suite starts
test: install-dev
	$(VENV)/bin/ruff check .
	PYTHONDONTWRITEBYTECODE= OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -q -n auto --dist worksteal

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts
