# Parley: `make run` starts the site, `make test` runs the whole test suite, `make test-fast`
# all but the browser, process and fuzz tests (markers in pytest.ini).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := app

.PHONY: setup setup-test run test test-fast bench translations extract-messages clean

# `make run` installs only what the site needs (requirements.txt); the tests and the benchmark
# add their tools (requirements-test.txt: pytest, Playwright, schemathesis, ...). Each stamp
# is remade when its pinned file changes.
setup: $(VENV)/.installed translations
setup-test: $(VENV)/.installed-test node_modules/.package-lock.json translations

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-test.txt
	touch $@

# The tests' tools from npm (package.json: axe-core for the accessibility test), exactly as
# package-lock.json pins them. Without npm the accessibility test skips (fails under CI=true).
node_modules/.package-lock.json: package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --ignore-scripts; \
	else echo "npm is not installed: tests/browser/test_accessibility_pages.py will skip"; fi

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile --use-fuzzy -d translations

run: setup
	$(BIN)/flask db upgrade
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: setup-test
	$(BIN)/pytest $(PYTEST_ARGS)

# Everything but Chromium, real server processes (gunicorn, nginx, Redis) and fuzzing.
test-fast: setup-test
	$(BIN)/pytest -m "not browser and not process and not fuzz" $(PYTEST_ARGS)

# The delivery benchmark (README "Benchmark"): rewrites the numbers in bench/RESULTS.md.
bench: setup-test
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Refresh the message catalogues after changing user-visible strings.
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot --no-location --sort-output --ignore-dirs=".* _* migrations tests" .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) .pytest_cache
