# Two commands do all the set-up: `make run` and `make test`. Both go through `make install`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench bench-analytics clean

install: $(STAMP)

# Re-installs only when pyproject.toml changes; the package is editable, so code edits need nothing.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

run: install
	$(BIN)/university-local serve --demo

test: install
	$(BIN)/python -m pytest -q

# ruff and mypy over the packages, configured in pyproject.toml; .ci/run runs it before the tests.
lint: install
	$(BIN)/ruff check university_local scorm_player client sync tui tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/catalogue.py
	$(BIN)/python bench/progress.py
	$(BIN)/python bench/quizzes.py
	$(BIN)/python bench/certificates.py
	$(BIN)/python bench/scorm_commit.py
	$(MAKE) bench-analytics

# Analytics on a generated tenant (10,000 learners, 1,000,000 progress events): about 3 minutes to
# generate the first time, then reused from the temp dir (ul-bench-analytics) for two days.
bench-analytics: install
	$(BIN)/python bench/analytics.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
