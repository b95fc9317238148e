# Huiyan — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SHARED ?= ../shared/data
OUT    ?= out

.PHONY: run test lint setup clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(PY) -m huiyan.samples $(OUT)/samples
	$(VENV)/bin/huiyan analyze --case $(OUT)/case $(OUT)/samples $$( [ -d $(SHARED) ] && $(PY) -m huiyan.samples --pick-shared $(SHARED) ) ; test $$? -le 2

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks

test: $(STAMP) lint
	$(VENV)/bin/pytest

clean:
	rm -rf $(VENV) $(OUT)
