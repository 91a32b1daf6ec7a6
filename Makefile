# The course's two commands: `make demo` (the main job) and `make test` (the whole suite).
# Both create the virtual environment in .venv from requirements.txt when it is missing or stale.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# nbgrader calls `alembic` and starts the `python3` kernel from PATH: the venv's bin/ comes first.
RUN := PATH="$(abspath $(BIN)):$$PATH"

.PHONY: venv browser demo test bench bench-class clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# The report's browser test opens it in Debian's Chromium (installed with apt-get when missing).
browser:
	bash scripts/install-chromium.sh

demo: $(STAMP)
	$(RUN) $(BIN)/mllab demo

test: $(STAMP) browser
	$(RUN) $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(RUN) $(BIN)/python bench/bench_autograde.py

bench-class: $(STAMP)
	$(RUN) $(BIN)/python bench/bench_class.py

clean:
	rm -rf $(VENV) submitted autograded/*/ feedback/*/ gradebook.db grades.csv reports .mllab
