# Two commands a newcomer needs: `make run` and `make test`. Both create the virtualenv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench clean postgres node

# Quiet (-qq: errors only), so the first `make run` ends with the token's box rather than pages of pip.
$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing Reel's packages into $(VENV) (a few minutes the first time)..."
	@$(BIN)/python -m pip install -qq --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

# Issues a first token and shows it in a box (once, only while no active token exists; later starts say how to
# get another), then serves the app.
run: $(STAMP)
	@$(BIN)/python -m access issue --label first --if-none --banner
	@$(BIN)/python app.py

# Debian's Chromium for the browser tests (Playwright's own browser download is not reachable here or on CI).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@echo "Installing Debian's Chromium for the browser tests..."
	@DEBIAN_FRONTEND=noninteractive apt-get update -qq
	@DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium > /dev/null

# Debian's PostgreSQL server for the gate's tests on PostgreSQL (tests/postgres.py starts a throwaway cluster of
# its own for each run; the package's own cluster is not used).
POSTGRES := $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb))
postgres:
	@test -n "$(POSTGRES)" || { echo "Installing Debian's PostgreSQL for the database tests..."; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql > /dev/null; }

# Node.js and npm for the JavaScript client's test (tests/test_js_client_live.py installs @gradio/client with npm) and
# for the browser tests' accessibility checker (axe-core, installed by tests/conftest.py).
node:
	@command -v npm > /dev/null || { echo "Installing Debian's Node.js and npm for the JavaScript and accessibility tests..."; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm > /dev/null; }

test: $(STAMP) $(CHROMIUM) postgres node
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .axe
