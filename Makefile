# preserve — the two quick-start commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# GOV.UK Frontend (and axe-core for the accessibility tests), from the npm registry at the pinned versions
ASSETS := access/web/node_modules/.package-lock.json

.PHONY: demo demo-s3 test test-fast lint lock bench serve portal-assets wheel-assets wheel clean

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

# The wheel carries the GOV.UK Frontend and OpenSeadragon files the portal serves (not axe-core or manifesto.js,
# test tools), copied out of the pinned npm packages into access/web/assets (git-ignored), so an installed
# preserve needs no npm
GOVUK := access/web/node_modules/govuk-frontend
OSD := access/web/node_modules/openseadragon
WHEEL_ASSETS := access/web/assets/govuk-frontend/LICENCE.txt

$(WHEEL_ASSETS): $(ASSETS)
	rm -rf access/web/assets
	mkdir -p access/web/assets/govuk-frontend
	cp -R $(GOVUK)/dist/govuk/govuk-frontend.min.css $(GOVUK)/dist/govuk/govuk-frontend.min.js \
		$(GOVUK)/dist/govuk/assets $(GOVUK)/package.json $(GOVUK)/README.md access/web/assets/govuk-frontend/
	printf '%s\n' "$$GOVUK_FRONTEND_LICENCE" > $(WHEEL_ASSETS)
	mkdir -p access/web/assets/openseadragon
	cp $(OSD)/build/openseadragon/openseadragon.min.js $(OSD)/LICENSE.txt $(OSD)/package.json \
		access/web/assets/openseadragon/

wheel-assets: $(WHEEL_ASSETS)

# dist/preserve-VERSION-py3-none-any.whl; `pip install 'preserve[web]'` from it runs `preserve serve` without npm
wheel: $(STAMP) $(WHEEL_ASSETS)
	rm -rf build dist
	$(BIN)/python -m build --wheel

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
	$(BIN)/mypy

# the whole suite, tests spread over TEST_WORKERS processes (pytest-xdist; most tests wait on servers and tools,
# so more processes than cores pays); the slowest tests are listed at the end
TEST_WORKERS ?= 4
test: $(STAMP) $(ASSETS) lint
	$(BIN)/pytest -q -n $(TEST_WORKERS) --durations=15 $(PYTEST_ARGS)

# the inner loop: every test that needs no archive, server, browser or workers (about a minute)
test-fast: $(STAMP)
	$(BIN)/pytest -q -n $(TEST_WORKERS) -m "not slow" $(PYTEST_ARGS)

serve: $(STAMP) $(ASSETS)
	$(BIN)/preserve serve

# issue 19's figures: ingest (sets a, b, c), identification against fido and siegfried, S3 against boto3, Celery
# against in-process; issue 21's: OAI-PMH over a million records, IIIF tiles of a 100-megapixel image. siegfried
# comes from pygfried, a benchmark-only tool (not in the lock: nothing else uses it)
bench: $(STAMP) $(ASSETS)
	$(BIN)/python bench/ingest_bench.py
	$(BIN)/pip install --quiet pygfried==2.2.0
	$(BIN)/python bench/identify_bench.py
	$(BIN)/python bench/s3_bench.py --mib 1024 --large-gib 1
	$(BIN)/python bench/scaleout_bench.py --modes local,celery-2
	$(BIN)/python bench/oai_bench.py --records 1000000 --harvest 20000
	$(BIN)/python bench/iiif_bench.py

clean:
	rm -rf $(VENV) .demo .demo-s3 bench/work .pytest_cache .ruff_cache *.egg-info access/web/node_modules \
		access/web/assets build dist

# govuk-frontend's npm package has no licence file (its README names the MIT License): the text of LICENSE.txt in
# its repository, github.com/alphagov/govuk-frontend. The GDS Transport font's own notice is in the CSS.
define GOVUK_FRONTEND_LICENCE
GOV.UK Frontend (npm package govuk-frontend; version in package.json), https://github.com/alphagov/govuk-frontend

The MIT License (MIT)

Copyright (C) 2017 Crown Copyright (Government Digital Service)

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
endef
export GOVUK_FRONTEND_LICENCE
