# Suivi Formations — `make run` serves the demo, `make test` runs the whole suite.
VENV := .venv
PY := $(VENV)/bin/python
# Where `make run` listens, and the address printed in links, calendars and QR codes
# (default http://HOST:PORT; with HOST=0.0.0.0, the machine's address on the local network).
HOST ?= 127.0.0.1
PORT ?= 8000
BASE_URL ?=
# The demo's settings: DEBUG off, static files by whitenoise, a secret key kept in data/.
DEMO := DJANGO_SETTINGS_MODULE=config.settings.demo SUIVI_HOST=$(HOST) SUIVI_PORT=$(PORT) \
	SUIVI_BASE_URL='$(BASE_URL)'

.PHONY: run test install translations static migrate demo lint format bench clean

$(VENV)/.installed: pyproject.toml
	@python=$$(scripts/find-python.sh) || exit 1; \
	  echo "Python : $$python"; \
	  [ -x $(PY) ] || $$python -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,s3]'
	@touch $@

install: $(VENV)/.installed translations

# locale/*/LC_MESSAGES/django.po (committed) → django.mo (built), in Python: no gettext.
translations: $(VENV)/.installed
	$(DEMO) $(PY) manage.py compile_translations

static: install
	$(DEMO) $(PY) manage.py collectstatic --no-input --verbosity 0

migrate: install
	$(DEMO) $(PY) manage.py migrate --no-input

demo: migrate
	$(DEMO) $(PY) manage.py load_demo

# The web server and the task worker (outbox deliveries) together; Ctrl-C stops both.
run: demo static
	@$(DEMO) $(PY) -m config.serving
	@$(DEMO) $(PY) -m config.launcher $(HOST):$(PORT)

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) data
