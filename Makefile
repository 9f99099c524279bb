# Two commands do everything on a fresh machine:
#   make demo   set up if needed, then the instructor's whole loop on the bundled example class
#   make test   set up if needed, then every test (lint, unit, notebooks, nbgrader, sandbox, browser)
SHELL := /bin/bash
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
# The venv is refreshed whenever the dependency lists change.
STAMP  := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup system demo test lint format bench mutate release student-dist clean help

help:
	@echo "make demo     run the instructor's loop (release, collect, autograde, feedback, export, report)"
	@echo "make test     run every test"
	@echo "make bench    grade a synthetic class of 40 students x 6 lessons, ours vs stock nbgrader"
	@echo "make mutate   mutation testing: named bugs applied to scratch copies; prints killed K of N"
	@echo "make release  regenerate release/ from source/ with nbgrader generate_assignment"
	@echo "make student-dist  build dist/backprop_checks-*.whl + dist/release-*.zip (what students get)"
	@echo "make lint     ruff check + format check;  make format  apply ruff format"

setup: $(STAMP) system

$(STAMP): pyproject.toml environment.yml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

# System packages: bubblewrap (grading sandbox), chromium (browser tests), postgresql (multi-grader
# gradebook test). Installed with apt when we are root and they are missing.
system:
	@scripts/system-deps.sh

demo: setup
	$(BIN)/python -m autograder.grading.cli.demo

bench: setup
	$(BIN)/python scripts/bench.py

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
	$(BIN)/python -m pytest -q

clean:
	rm -rf out demo bench artifacts dist .pytest_cache .ruff_cache
