# preserve — the two quick-start commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# GOV.UK Frontend (and axe-core for the accessibility tests), from the npm registry at the pinned versions
ASSETS := access/web/node_modules/.package-lock.json

.PHONY: demo demo-s3 test lint lock bench serve portal-assets clean

# every dependency at the version and hashes requirements.lock names (`make lock` refreshes it), then preserve
$(STAMP): setup.cfg pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# the newest versions setup.cfg's bounds allow, with their hashes from PyPI; then install them
lock: $(STAMP)
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra s3 --extra queue --extra postgres --extra web --extra test --upgrade \
		--generate-hashes --strip-extras --no-emit-find-links --no-emit-index-url --output-file requirements.lock setup.cfg
	rm -f $(STAMP)
	$(MAKE) $(STAMP)

$(ASSETS): access/web/package.json access/web/package-lock.json
	npm ci --prefix access/web --no-audit --no-fund --loglevel=error
	touch $(ASSETS)

portal-assets: $(ASSETS)

demo: $(STAMP)
	rm -rf .demo
	PRESERVE_HOME=$(CURDIR)/.demo/home $(BIN)/preserve demo --workdir .demo

demo-s3: $(STAMP)
	rm -rf .demo-s3
	PRESERVE_HOME=$(CURDIR)/.demo-s3/home $(BIN)/preserve demo --workdir .demo-s3 --s3

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: $(STAMP) $(ASSETS) lint
	$(BIN)/pytest -q $(PYTEST_ARGS)

serve: $(STAMP) $(ASSETS)
	$(BIN)/preserve serve

bench: $(STAMP)
	$(BIN)/python bench/ingest_bench.py

clean:
	rm -rf $(VENV) .demo .demo-s3 bench/work .pytest_cache .ruff_cache *.egg-info access/web/node_modules
