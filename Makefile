# newsdesk: two commands set everything up.
#   make run   - create .venv, install, index the bundled sample archive if there is no index, serve the chat
#   make test  - create .venv with the dev and eval extras and run every test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
INDEX  ?= $(or $(NEWSDESK_INDEX),data/index)
HOST   ?= 127.0.0.1
PORT   ?= 7860

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: run test chromium lint audit constraints format bench bench-scale eval install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	# The CPU build of torch lies on this machine's disk; it must come before sentence-transformers.
	$(BIN)/pip install --disable-pip-version-check -q torch==2.13.0

# constraints.txt pins every version the project is tested with.
# Both also export the embedding model to ONNX once (qa/onnx_export.py; skipped when cached).
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -c constraints.txt -e .
	$(BIN)/python -m qa.onnx_export >/dev/null
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -c constraints.txt -e '.[dev,eval]'
	$(BIN)/python -m qa.onnx_export >/dev/null
	touch $@ $(VENV)/.installed

# After a deliberate upgrade: re-pin what the dev virtualenv holds.
constraints: install-dev
	{ echo "# The versions newsdesk is tested with (make installs with -c constraints.txt)."; \
	  echo "# Regenerate after a deliberate upgrade: make constraints"; \
	  $(BIN)/pip freeze --exclude-editable | sed 's/+cpu$$//' | grep -v '^newsdesk'; } > constraints.txt

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	@if [ ! -d "$(INDEX)/chroma" ]; then \
		echo "No index at $(INDEX): indexing the bundled sample archive (data/sample)"; \
		$(BIN)/newsdesk --index "$(INDEX)" ingest data/sample || exit 1; \
	fi
	$(BIN)/newsdesk --index "$(INDEX)" serve --host $(HOST) --port $(PORT)

test: install-dev chromium
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# The browser tests drive Debian's Chromium (never a downloaded one); install it when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
		echo "Installing Debian chromium for the browser tests"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo "sudo -n"); \
		($$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null) \
			|| echo "warning: could not install chromium; the browser tests will be skipped"; }

lint: install-dev audit
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Known vulnerabilities in the pinned versions (PyPI's advisory data; see SECURITY.md).
audit: install-dev
	$(BIN)/pip-audit -r constraints.txt --no-deps --disable-pip --progress-spinner off

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

SHARED ?= ../shared
# Ingest with torch, ONNX fp32 and ONNX int8 side by side, then memory (BENCH_ARGS: more options).
BENCH_ARGS ?=
bench: install-dev
	$(BIN)/python -m eval.bench_ingest --corpus $(SHARED)/data/multihop-rag/corpus.json --out bench-out \
		$(BENCH_ARGS)

# Synthetic archives of 10k, 100k and 1M passages, embedded and on a Chroma server (long: the
# 1M size takes about two hours per mode on 2 cores; SIZES="10000 100000" for a quick look).
# SCALE_ARGS passes more options (python -m eval.bench_scale --help), e.g. "--keep --skip-search".
SIZES ?= 10000 100000 1000000
SCALE_ARGS ?=
bench-scale: install-dev
	$(BIN)/python -m eval.bench_scale --corpus $(SHARED)/data/multihop-rag/corpus.json \
		--queries $(SHARED)/data/multihop-rag/queries-dev.json --sizes $(SIZES) --out bench-out/scale \
		$(SCALE_ARGS)

eval: install-dev
	$(BIN)/newsdesk eval retrieval --corpus $(SHARED)/data/multihop-rag/corpus.json \
		--queries $(SHARED)/data/multihop-rag/queries-dev.json --out eval-out

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
