# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
# Where `make run` serves: HOST=0.0.0.0 to reach it from a phone on the same network, HTTPS=1 for the
# phone's offline app (service workers need HTTPS; see README, "Trying /m/ on a real phone").
HOST ?= 127.0.0.1
PORT ?= 5000
HTTPS ?= 0
SCHEME := $(if $(filter 1,$(HTTPS)),https,http)
RUN_ENV := FOODSAFETY_ENV=development FLASK_APP=wsgi HOST=$(HOST) PORT=$(PORT) HTTPS=$(HTTPS) \
	PUBLIC_URL=$(SCHEME)://$(if $(filter 0.0.0.0,$(HOST)),$(shell scripts/lan_address.sh),$(HOST)):$(PORT)/

.PHONY: install run test lint bench clean loadtest

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install  ## migrate the embedded SQLite database, load the demo once, serve on $(HOST):$(PORT)
	scripts/record_font.sh
	$(RUN_ENV) $(PY) -m flask db upgrade
	$(RUN_ENV) $(PY) -m flask demo load
	$(RUN_ENV) exec scripts/serve.sh

test: install  ## the browser and CJK font the tests need, lint, the whole suite on SQLite and on PostgreSQL
	scripts/test_deps.sh
	scripts/test.sh

loadtest: install  ## bounded load and fault runs on 127.0.0.1 (a few minutes): PostgreSQL, kill -9, SQLite
	$(PY) bench/loadtest.py --db postgresql --phones 200 --seconds 60
	$(PY) bench/loadtest.py --db postgresql --phones 200 --seconds 40 --kill --kill-after 20
	$(PY) bench/loadtest.py --db sqlite --phones 50 --seconds 20

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
