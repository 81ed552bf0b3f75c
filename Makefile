# Two commands set everything up on a fresh machine:
#   make run   - create .venv, install, ingest the sample archive in data/ (if new or changed),
#                serve the chat on http://127.0.0.1:7860
#   make test  - install what the tests need and run them (this is what CI runs)

PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install lint ingest-sample clean

run: install ingest-sample
	$(BIN)/companion serve

# torch==2.13.0 first: it is the CPU wheel on local disk; an unpinned torch would pull a
# multi-GB CUDA build as a dependency of sentence-transformers.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q torch==2.13.0
	$(BIN)/pip install --disable-pip-version-check -q -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

# A no-op when nothing in data/ changed (the model is not even loaded); --prune drops posts
# whose files were deleted.
ingest-sample: install
	$(BIN)/companion ingest data/reviews --prune

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check companion ingest tests app.py

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
