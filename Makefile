# The course's two commands: `make demo` (the main job) and `make test` (the whole suite).
# Both create the virtual environment in .venv from requirements.txt when it is missing or stale.

# Python 3.11 (from 3.11.2) or 3.12: scripts/check_python.py says which and why before anything is installed.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# nbgrader calls `alembic` and starts the `python3` kernel from PATH: the venv's bin/ comes first.
RUN := PATH="$(abspath $(BIN)):$$PATH"

.PHONY: venv browser sandbox hub-proxy demo test docs bench bench-class bench-report bench-serve bench-similarity clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "make: no python3 found: the course needs Python 3.11 (from 3.11.2) or 3.12; set PYTHON=/path/to/python3" >&2; exit 1; }
	@$(PYTHON) scripts/check_python.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# Debian packages, installed with apt-get when missing: Chromium for the browser tests (Playwright
# drives it), bubblewrap for the sandbox `mllab autograde` runs every student's kernel in.
browser:
	bash scripts/install-debian-package.sh /usr/bin/chromium chromium "the browser tests"

sandbox:
	bash scripts/install-debian-package.sh /usr/bin/bwrap bubblewrap "the sandbox around students' kernels"

# The hub's proxy: configurable-http-proxy from npm (Debian's npm, then scripts/install-proxy.sh into .mllab/npm).
hub-proxy:
	bash scripts/install-debian-package.sh /usr/bin/npm npm "the course's JupyterHub (configurable-http-proxy)"
	bash scripts/install-proxy.sh >/dev/null

demo: $(STAMP) sandbox
	$(RUN) $(BIN)/mllab demo
	$(RUN) $(BIN)/mllab demo-round-trip loss_and_metric

# Two pytest-xdist workers: the suite is mostly real grading runs, and one run rarely keeps both cores busy.
TEST_WORKERS ?= 2

test: $(STAMP) browser sandbox hub-proxy
	$(RUN) $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# The documentation site (Sphinx + MyST, pinned in requirements.txt) into docs/_build/html, offline; warnings are errors.
docs: $(STAMP)
	$(RUN) $(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	@echo "the site is in docs/_build/html/index.html"

bench: $(STAMP)
	$(RUN) $(BIN)/python bench/bench_autograde.py

bench-class: $(STAMP) sandbox
	$(RUN) $(BIN)/python bench/bench_class.py

bench-report: $(STAMP) sandbox
	$(RUN) $(BIN)/python bench/bench_report.py

# The grading service: a lone hand-in, a deadline rush of 40 against collect-and-grade, the rush with a SIGKILL.
bench-serve: $(STAMP) sandbox
	$(RUN) $(BIN)/python bench/bench_serve.py

# Generated classes only (no notebook runs): recall of planted copies per disguise, precision, time for 300.
bench-similarity: $(STAMP)
	$(RUN) $(BIN)/python bench/bench_similarity.py

clean:
	rm -rf $(VENV) docs/_build submitted autograded/*/ feedback/*/ gradebook.db grades.csv reports .mllab
