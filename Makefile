# CapaCity: `make run` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
HOST   ?= 127.0.0.1
export FLASK_APP := wsgi

.PHONY: run test lint bench worker migrate demo install install-test clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

migrate: install
	mkdir -p instance
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask content sync
	$(BIN)/flask demo load

run: demo
	@echo
	@echo "CapaCity is starting on http://$(HOST):$(PORT)/"
	@echo "Demo logins (password: capacity-demo):"
	@echo "  learner@example.org      city official (Seoul)"
	@echo "  champion@example.org     youth champion (Cuenca)"
	@echo "  instructor@example.org   instructor"
	@echo "  coordinator@example.org  coordinator"
	@echo "  admin@example.org        administrator"
	@echo "E-mails are written to instance/outbox/ (set LEARNING_MAIL_SERVER to send them)."
	@echo
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check learning tests config.py wsgi.py worker.py bench

bench: install-test
	@command -v wrk >/dev/null || apt-get install -y -qq wrk || { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python -m bench

worker: install
	$(BIN)/celery -A worker worker -B --loglevel=info

messages: install
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -k lazy_ngettext:1,2 -o learning/translations/messages.pot .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
