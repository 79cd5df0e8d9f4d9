# Kedaitong portal. `make run` and `make test` are the whole set-up on a fresh Debian machine.
PYTHON ?= python3
# Python writes its byte-code caches (__pycache__/, ignored by git) even where the environment says not to
# (PYTHONDONTWRITEBYTECODE=1 on some machines): without them every process compiles every module it imports,
# and pytest rewrites every test module's asserts again, in each xdist worker and each subprocess a test
# starts (the suite's collection: 20 s of CPU the first time, 8 s with the caches).
unexport PYTHONDONTWRITEBYTECODE
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: run dev reset-demo test test-fast test-clock test-db setup sysdeps migrate demo lint audit check messages lock clean bench load backup

# The demo as it is served for real (DEBUG off: the portal's own error pages), with one background worker,
# in the foreground; the logins are printed once the server answers.
run: setup migrate demo
	@echo "Starting on http://127.0.0.1:8000 with one background worker (one Ctrl-C stops both) ..."
	@PY=$(PY) bash scripts/run.sh

# For development: the same with Django's debug pages (DEBUG on).
dev: setup migrate demo
	@PY=$(PY) RUN_DEBUG=1 bash scripts/run.sh

# Start the demo again from scratch: deletes the local database and uploaded files (not the backups).
reset-demo:
	rm -f db.sqlite3 db.sqlite3-journal db.sqlite3-wal db.sqlite3-shm
	rm -rf var/media
	@echo "Deleted the local database and uploads; 'make run' creates them again with the demo data."

# The whole suite, browser tests included, in one pytest session on every core (pytest-xdist,
# PYTEST_WORKERS=auto; scripts/test.sh says how). PYTEST_ARGS go to pytest, e.g.
# `make test PYTEST_ARGS="tests/loans -x"`.
test: EXTRA_SYSDEPS = chromium chromium-headless-shell
test: setup
	bash scripts/test.sh all $(PYTEST_ARGS)

# The edit loop: everything but the browser tests.
test-fast: setup
	bash scripts/test.sh fast $(PYTEST_ARGS)

# The non-browser suite with the machine's clock set (Debian faketime) to CLOCK_AT, UTC:
# by default 20:00, when the bureau's date (Asia/Shanghai) is already the next day. Tests
# set their own clock; this catches what still reads the real one (other processes too).
CLOCK_AT ?= 2026-12-03 20:00:00
test-clock: EXTRA_SYSDEPS = faketime
test-clock: setup
	TZ=UTC faketime -f "@$(CLOCK_AT)" bash scripts/test.sh fast $(PYTEST_ARGS)

# The migrated test databases (tests/dbtemplate.py) built ahead of a suite, which then only copies them: SQLite,
# or PostgreSQL when DATABASE_URL names a server. A suite builds them itself when they are missing; CI builds them
# in the background while the static checks run (.ci/run).
test-db: setup
	$(PY) -m pytest -p no:cacheprovider -q -n 0 \
	  tests/kedaitong/test_dbtemplate.py::test_the_test_database_has_every_migration_applied

setup: sysdeps $(STAMP)

sysdeps:
	@bash scripts/sysdeps.sh $(EXTRA_SYSDEPS)

# uv installs the locked wheels in about 6 s where pip takes about 80 s (a fresh clone, this machine);
# pip does it when uv cannot be had or fails (an index uv does not read: it ignores pip.conf).
UV_VERSION := 0.13.9
$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	( $(PIP) install -q "uv==$(UV_VERSION)" && $(VENV)/bin/uv pip install -q --python $(PY) -r requirements.lock ) \
	  || $(PIP) install -q -r requirements.lock
	touch $(STAMP)

migrate: setup
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo --quiet-logins

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run

# One backup set of the database and the uploaded files into BACKUP_DIR (or the S3 bucket); docs/operations.md.
backup: setup
	$(PY) manage.py backup

# pip-audit of requirements.lock, in its own virtualenv (.venv-audit).
audit:
	bash scripts/audit.sh

check: lint audit test

# Regenerate the translation catalog after changing UI strings (needs gettext).
messages: setup
	$(PY) manage.py makemessages -l zh_Hans --no-location --no-obsolete -i ".venv/*"
	$(PY) manage.py compilemessages -l zh_Hans -i .venv

# Re-resolve the pinned versions from pyproject.toml's bounds.
lock:
	rm -rf /tmp/kedaitong-lock && $(PYTHON) -m venv /tmp/kedaitong-lock
	/tmp/kedaitong-lock/bin/pip install -q ".[dev]"
	( echo "# Pinned versions that CI tested; regenerate with \`make lock\`."; /tmp/kedaitong-lock/bin/pip freeze --exclude kedaitong ) > requirements.lock

clean:
	rm -rf $(VENV) .venv-audit staticfiles .pytest_cache

# Benchmarks (not part of `make test`): each script prints rows of one table.
bench: setup
	@$(PY) bench/machine.py start
	@$(PY) bench/bench_export.py
	@$(PY) bench/bench_pages.py
	@$(PY) bench/bench_subsidy.py --commit
	@for script in $(filter-out bench/bench_export.py bench/bench_pages.py bench/bench_subsidy.py,$(wildcard bench/bench_*.py)); do $(PY) $$script || exit 1; done
	@$(PY) bench/machine.py end

# Bounded load test on loopback (gunicorn 2 workers, wrk); not part of `make test`.
load: setup
	bash bench/load.sh $(LOAD_SECONDS)
