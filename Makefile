# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
RUN_ENV := FOODSAFETY_ENV=development FLASK_APP=wsgi

.PHONY: install run test lint bench clean loadtest

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install  ## migrate the embedded SQLite database, load the demo once, serve on 127.0.0.1:5000
	$(RUN_ENV) $(PY) -m flask db upgrade
	$(RUN_ENV) $(PY) -m flask demo load
	$(RUN_ENV) exec scripts/serve.sh

test: install  ## lint, then the whole suite on SQLite and on PostgreSQL
	scripts/test.sh

loadtest: install  ## bounded load and fault runs on 127.0.0.1 (a few minutes): PostgreSQL, kill -9, SQLite
	$(PY) bench/loadtest.py --db postgresql --phones 200 --seconds 60
	$(PY) bench/loadtest.py --db postgresql --phones 200 --seconds 40 --kill --kill-after 20
	$(PY) bench/loadtest.py --db sqlite --phones 50 --seconds 20

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
