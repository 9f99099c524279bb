# Two commands do everything on a fresh machine:
#   make demo   set up if needed, then the instructor's whole loop on the bundled example class
#   make test   set up if needed, then every test (lint, unit, notebooks, nbgrader, sandbox, browser)
SHELL := /bin/bash
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
# The venv holds exactly requirements.lock (+ the project, editable); it is refreshed whenever the
# lock or the dependency lists change. `make lock` re-resolves the lock (see README, "Freezing
# the environment for a term").
LOCK   := requirements.lock
STAMP  := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)
# pytest-xdist workers for `make test` / `make check` (a fixed number: 2 cores here)
WORKERS ?= 2
# Where `make lock` finds the CPU build of torch (a folder of wheels, or use TORCH_INDEX)
TORCH_FIND_LINKS ?= /opt/wheels
TORCH_INDEX ?=
LOCK_FLAGS := --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	--custom-compile-command "make lock" \
	$(if $(wildcard $(TORCH_FIND_LINKS)),--find-links $(TORCH_FIND_LINKS)) \
	$(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX) --index-strategy unsafe-best-match) \
	$(if $(UPGRADE),--upgrade)

.PHONY: setup system demo test check lint format bench bench-scale mutate release student-dist lock clean help

help:
	@echo "make demo     run the instructor's loop (release, collect, autograde, feedback, export, report)"
	@echo "make test     run every test (pytest-xdist, WORKERS=$(WORKERS))"
	@echo "make check    lint + the fast unit tests (the edit loop; under a minute)"
	@echo "make bench    grade a synthetic class of 40 students x 6 lessons, ours vs stock nbgrader"
	@echo "make bench-scale  measure Dask scheduler + per-worker grading cost; project 14,000 notebooks on 1/10/100 workers"
	@echo "make mutate   mutation testing: named bugs applied to scratch copies; prints killed K of N"
	@echo "make release  regenerate release/ from source/ with nbgrader generate_assignment"
	@echo "make student-dist  build dist/backprop_checks-*.whl + dist/release-*.zip (what students get)"
	@echo "make lock     re-resolve requirements.lock (UPGRADE=1: newest allowed versions)"
	@echo "make lint     ruff check + format check;  make format  apply ruff format"

setup: $(STAMP) system

$(STAMP): pyproject.toml environment.yml $(LOCK)
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python scripts/lockfile.py sync
	@touch $@

lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml scripts/lock.in --extra dev $(LOCK_FLAGS) -o $(LOCK)
	$(BIN)/python scripts/build_student_dist.py --print-requirements \
	  | $(BIN)/uv pip compile - -c $(LOCK) $(LOCK_FLAGS) -o requirements-student.lock
	@echo "wrote $(LOCK) and requirements-student.lock; run make setup, then make test, then commit them"

# System packages: bubblewrap (grading sandbox), chromium (browser tests), postgresql (multi-grader
# gradebook test). Installed with apt when we are root and they are missing.
system:
	@scripts/system-deps.sh

demo: setup
	$(BIN)/python -m autograder.grading.cli.demo

bench: setup
	$(BIN)/python scripts/bench.py

# A few minutes on 2 cores: a LocalCluster's cost per task, then a small class on the Dask engine.
bench-scale: setup
	$(BIN)/python scripts/bench_scale.py

# Not part of `make test` (about half an hour on 2 cores): each mutation runs its tests on a copy.
mutate: setup
	$(BIN)/python scripts/mutate.py

release: setup
	$(BIN)/python scripts/make_release.py

student-dist: setup
	$(BIN)/python scripts/build_student_dist.py --zip

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: setup lint
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist loadscope

# The edit loop: lint + the unit tests that start no kernel, server or browser (marker `slow`).
check: $(STAMP) lint
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist loadscope -m "not slow"

clean:
	rm -rf out demo bench artifacts dist .pytest_cache .ruff_cache
