# Two entry points for a fresh clone: `make lab` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# One BLAS/OpenMP thread: on a 2-core laptop this is several times faster than the default
# when two notebooks run side by side (see README, "Why OMP_NUM_THREADS=1").
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export PYTHONHASHSEED := 0
export MPLBACKEND := Agg

NBVAL := --nbval-lax --nbval-current-env --nbval-cell-timeout=600 \
         --nbval-sanitize-with tests/nbval_sanitize.cfg
JUPYTER_ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: install lab test test-fast test-notebooks test-browser bench notebooks clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python >= 3.10 is needed, this is " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	@touch $(STAMP)

lab: install
	$(BIN)/python -m jupyterlab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=notebooks $(JUPYTER_ROOT_FLAG)

test: install  ## unit tests, docstring examples (tests/test_doctests.py), every notebook; then the browser test alone
	@status=0; \
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not browser" $(NBVAL) tests notebooks || status=$$?; \
	$(BIN)/python -m pytest -m browser tests || status=$$?; \
	exit $$status

test-fast: install  ## unit tests and docstring examples, no notebooks, no browser
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not browser" tests

test-notebooks: install
	$(BIN)/python -m pytest -n 2 --dist loadfile $(NBVAL) notebooks

test-browser: install  ## BROWSER_STRICT=1 also asserts the latency targets (run it on a quiet machine)
	$(BIN)/python -m pytest -m browser -s tests

bench: install  ## ONLY=training for one module (python -m tools.bench --list); ONLY=browser (on demand only) times every control and player in JupyterLab + Chromium, BROWSER_NOTEBOOKS="01 07" for a few
	$(BIN)/python -m tools.bench $(if $(ONLY),--only $(ONLY))

notebooks: install  ## re-execute every notebook and store its outputs (NB=notebooks/01_neuron.ipynb for one)
	$(BIN)/python tools/run_notebooks.py $(or $(NB),notebooks/*.ipynb)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts bench-results *.egg-info
