# Two commands do all the set-up on a fresh machine:
#   make demo   create .venv, install the project, run the main job
#   make test   create .venv, install the project, run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test venv browser clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[instructor,dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/course build --fast

test: $(STAMP) browser
	$(PY) -m pytest

# Debian's chromium for tests/browser (installed with apt-get when missing and possible).
browser:
	@sh tests/browser/ensure_chromium.sh

clean:
	rm -rf $(VENV) build *.egg-info
