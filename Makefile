# The README's two commands: `make demo` and `make test`. Each sets itself up on a fresh machine.
SHELL := /bin/bash
VENV  ?= .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RUN   ?= runs/demo
export MPLBACKEND := Agg
export PYTHONUNBUFFERED := 1

.PHONY: demo test setup export clean-nbs readme bench docs outputs help

help:
	@echo "make demo   - set up .venv, then run the whole pipeline on the embedded default (atmodist run --preset demo)"
	@echo "make test   - set up .venv, then nbdev_test over every notebook (slow cells included) and pytest tests/"
	@echo "make outputs - run every notebook and keep its outputs in nbs/ (what GitHub and Jupyter show unrun)"
	@echo "make docs   - run every notebook and render the browsable site into _docs/ (open _docs/index.html)"

setup: $(STAMP)

$(STAMP): settings.ini setup.py
	@echo "== set-up: virtual environment $(VENV) with the pinned requirements (editable install)"
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

demo: $(STAMP)
	@echo "== demo: atmodist run --preset demo --out $(RUN)"
	$(VENV)/bin/atmodist run --preset demo --out $(RUN)
	@echo "== report: $(RUN)/report.md ($(RUN)/report.html)"

test: export OMP_NUM_THREADS = 1
test: $(STAMP)
	@echo "== nbdev_test: every notebook in nbs/, slow cells included (cuda cells run in bench/gpu_check.sh)"
	$(VENV)/bin/nbdev_test --n_workers 2 --timing --flags slow
	@echo "== pytest: hygiene, CLI end to end, kill-and-resume, bad input"
	$(PY) -m pytest tests/ -q -p no:cacheprovider

export: $(STAMP)
	$(VENV)/bin/nbdev_export
	$(VENV)/bin/nbdev_clean

readme: $(STAMP)
	$(PY) scripts/readme.py

bench: $(STAMP)
	@echo "benchmarks (CPU figures and the GPU runs are recorded in bench/RESULTS.md):"
	@for f in bench/bench_*.py; do n=$${f#bench/bench_}; echo "  $(VENV)/bin/atmodist bench $${n%.py} [--help]"; done
	@echo "  bash bench/gpu_check.sh   # on a GPU machine: the #| cuda cells, tests/test_cuda.py and the GPU benchmarks"

outputs: export OMP_NUM_THREADS = 1
outputs: $(STAMP)
	@echo "== outputs: run every notebook and keep its teaching outputs in nbs/ (tables, prints, figures)"
	$(PY) scripts/keep_outputs.py
	$(VENV)/bin/nbdev_clean

docs: export OMP_NUM_THREADS = 1
docs: $(STAMP)
	@echo "== docs: run every notebook (slow cells included, cuda cells skipped) and render the site into _docs/"
	$(PY) scripts/build_docs.py
	@echo "== open _docs/index.html (or: $(PY) -m http.server -d _docs 8000)"
