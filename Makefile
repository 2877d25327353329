# The README's two commands: `make demo` and `make test`. Each sets itself up on a fresh machine.
SHELL := /bin/bash
VENV  ?= .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RUN   ?= runs/demo
export MPLBACKEND := Agg
export PYTHONUNBUFFERED := 1

.PHONY: demo test setup export clean-nbs readme bench help

help:
	@echo "make demo   - set up .venv, then run the whole pipeline on the embedded default (atmodist run --preset demo)"
	@echo "make test   - set up .venv, then nbdev_test over every notebook and pytest tests/"

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
	@echo "== nbdev_test: every notebook in nbs/ (flags '$(shell sed -n 's/^tst_flags *= *//p' settings.ini)' skipped)"
	$(VENV)/bin/nbdev_test --n_workers 2 --timing
	@echo "== pytest: hygiene, CLI end to end, kill-and-resume, bad input"
	$(PY) -m pytest tests/ -q -p no:cacheprovider

export: $(STAMP)
	$(VENV)/bin/nbdev_export
	$(VENV)/bin/nbdev_clean

readme: $(STAMP)
	$(PY) scripts/readme.py

bench: $(STAMP)
	$(PY) bench/run_all.py
