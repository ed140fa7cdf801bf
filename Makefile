# Two commands on a fresh machine (python3.11 and make): `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Run the main job on the bundled demo data with a local Ray; reports go to out/demo/.
demo: $(STAMP)
	RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 $(BIN)/qae run --config configs/demo.yaml

## The whole test suite.
test: $(STAMP)
	RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 $(BIN)/python -m pytest -q

## Lint (ruff: pyflakes, pycodestyle, import order, bugbear).
lint: $(STAMP)
	$(BIN)/ruff check .

## Speed and memory figures (scripts that print; not tests): extraction, Ray batch job, engine.
bench: $(STAMP)
	$(BIN)/python benchmarks/extract_bench.py
	$(BIN)/python benchmarks/ray_bench.py
	$(BIN)/python benchmarks/engine_bench.py 5000

clean:
	rm -rf out
