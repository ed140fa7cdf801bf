# Two commands on a fresh machine (python3.11 and make): `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install bench lint clean browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Run the main job on the bundled demo data with a local Ray; reports go to out/demo/.
demo: $(STAMP)
	RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 $(BIN)/qae run --config configs/demo.yaml

## Headless Chromium and its driver (Debian packages; the HTML audit report's browser test needs
## them), installed with apt-get when missing (as root, or through sudo).
browser:
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || { \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium chromium-driver; }

## The whole test suite.
test: $(STAMP) browser
	RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 $(BIN)/python -m pytest -q

## Lint (ruff: pyflakes, pycodestyle, import order, bugbear).
lint: $(STAMP)
	$(BIN)/ruff check .

## Speed and memory figures (scripts that print; not tests): windowed/full extraction against medspacy.load(),
## extraction, Ray batch job, engine.
bench: $(STAMP)
	$(BIN)/python benchmarks/windowed_bench.py
	$(BIN)/python benchmarks/extract_bench.py
	$(BIN)/python benchmarks/ray_bench.py
	$(BIN)/python benchmarks/engine_bench.py 5000

clean:
	rm -rf out
