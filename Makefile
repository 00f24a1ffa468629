# strata: the commands the README gives, in the order a newcomer runs them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
AWS_ENDPOINT_URL ?= http://127.0.0.1:4566
INVENTORY ?= inventories/local

export PATH := $(BIN):$(PATH)
export PYTHONPATH := $(CURDIR)/tools/dev$(if $(PYTHONPATH),:$(PYTHONPATH))
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

EMULATOR := $(BIN)/python -m strata_emulator --endpoint $(AWS_ENDPOINT_URL) --state-dir $(CURDIR)/.strata/emulator
SETUP_STAMP := $(VENV)/.strata-setup
FREE_PORT := $(BIN)/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'

.PHONY: help setup local deploy teardown emulator-start emulator-stop emulator-status \
        local-page local-page-stop \
        test lint checkov collections docs docs-lint unit browser-deps molecule clean constraints bench-deploy \
        kill-sweep iam emulator-user

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

setup: $(SETUP_STAMP) ## create .venv with everything strata and its tests need (idempotent)

$(SETUP_STAMP): requirements.txt constraints.txt requirements.yml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/ansible-galaxy collection install -r requirements.yml
	touch $@

constraints: setup ## re-pin constraints.txt from the current .venv
	{ echo "# Every package make setup installs, pinned (regenerate with: make constraints)."; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^pip=='; } > constraints.txt

# STRATA_EMULATOR_ENFORCE_IAM=1 make emulator-start: every request must be signed by an IAM
# user of the emulator and is refused unless that user's policies allow it (the administrator
# testing/testing always exists); make emulator-user POLICY=iam/strata-deploy.json then prints
# the keys of a user holding exactly that policy (POLICY=admin: every action). See
# docs/least-privilege.md.
emulator-start: setup ## start the local AWS emulator on AWS_ENDPOINT_URL (waits until it answers; STRATA_EMULATOR_ENFORCE_IAM=1 enforces IAM)
	$(EMULATOR) start

POLICY ?=
emulator-user: setup ## print the export lines of a new emulator user holding exactly POLICY (a JSON file, or admin)
	@if [ -z "$(POLICY)" ]; then echo "POLICY is empty: give a policy file, e.g. make emulator-user POLICY=iam/strata-deploy.json (or POLICY=admin)" >&2; exit 2; fi
	@$(EMULATOR) user --policy $(POLICY)

emulator-stop: local-page-stop ## stop the emulator that emulator-start started (and the local page, which reads it)
	@if [ -x $(BIN)/python ]; then $(EMULATOR) stop; fi

emulator-status: setup ## tell whether the emulator is running
	$(EMULATOR) status

local: emulator-start ## deploy the whole stack to the local emulator, then serve its page (make local-page)
	AWS_ENDPOINT_URL=$(AWS_ENDPOINT_URL) $(BIN)/ansible-playbook playbooks/deploy.yml -i inventories/local
	@$(MAKE) --no-print-directory local-page

# The page with its live counter on this machine (the emulator cannot run Lambda functions):
# tools/dev/local_api.py serves site/ and the counter's handler against the emulator's table, in
# the background; it is already running after make local. The deploy's summary names
# http://127.0.0.1:8080/ in local mode. The emulator accepts any credentials: these are the
# local inventory's test values, so no credential of the shell is sent to it.
LOCAL_PAGE_PORT ?= 8080
LOCAL_PAGE_TABLE ?= strata-visits-local
LOCAL_PAGE_DIR ?= .strata/local-page
LOCAL_PAGE := AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing $(BIN)/python tools/dev/local_api.py \
	--pid-file $(LOCAL_PAGE_DIR)/local-page-$(LOCAL_PAGE_PORT).pid
local-page: setup ## serve the local stack's page on http://127.0.0.1:LOCAL_PAGE_PORT/ (8080) in the background
	$(LOCAL_PAGE) --background --port $(LOCAL_PAGE_PORT) --table $(LOCAL_PAGE_TABLE) --site site \
	  --endpoint-url $(AWS_ENDPOINT_URL) --region us-east-1

local-page-stop: ## stop the page that local-page started
	@if [ -x $(BIN)/python ]; then $(LOCAL_PAGE) --stop; fi

deploy: setup ## deploy to INVENTORY (default inventories/local)
	$(BIN)/ansible-playbook playbooks/deploy.yml -i $(INVENTORY)

teardown: setup ## back up, verify, then destroy INVENTORY's stack
	$(BIN)/ansible-playbook playbooks/teardown.yml -i $(INVENTORY)

# The IAM policies strata needs, for another project name (iam/strata-*.json are those of the
# default name strata); both come from iam/actions.yml (docs/least-privilege.md).
PROJECT ?= strata
iam: setup ## write the deploy and read-only IAM policies of project PROJECT (default strata) to build/iam/
	$(BIN)/python tools/dev/iam_policies.py --project $(PROJECT) --out build/iam

test: setup browser-deps lint docs-lint collections unit molecule ## lint plus every test (what CI runs)

# checkov pins libraries (boto3, packaging, networkx) that conflict with strata's own, so
# it lives in a venv of its own. Every skip is inline in terraform/, with its reason.
CHECKOV_VENV := .strata/checkov-venv
CHECKOV_VERSION := 3.3.30
$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION)
	touch $@

# lint is the hooks of .pre-commit-config.yaml, run on every file: yamllint, ansible-lint
# (production), terraform fmt and validate, checkov and its skip reasons, detect-secrets. The git
# hook (pre-commit install) runs the same hooks on the files of a commit.
lint: setup $(CHECKOV_VENV)/.installed ## every pre-commit hook on every file (yamllint, ansible-lint, terraform, checkov, secrets)
	$(BIN)/pre-commit run --all-files --show-diff-on-failure --color never

checkov: setup $(CHECKOV_VENV)/.installed ## Terraform security scan (0 failed; skips justified inline), as the pre-commit hook
	$(BIN)/pre-commit run checkov --all-files --color never
	$(BIN)/pre-commit run checkov-skip-reasons --all-files --color never

# Build strata.aws and strata.deploy (build/collections/) and run ansible-test sanity from inside
# each (tools/ci/collections_check.py). All 24 sanity tests of ansible-core 2.19 run, none is
# skipped: none needs a container or the network here. The tests that install requirements
# (ansible-doc, changelog, import, pep8, pylint, runtime-metadata, validate-modules, yamllint)
# take them from the package index into venvs cached in ~/.ansible/test/venv; only ansible-test's
# pip bootstrap script lives on a server this network does not reach, and
# tools/ci/get_pip_standin.py stands in for it. pslint (needs pwsh) and shellcheck find no
# PowerShell or shell files to check. Accepted findings: tests/sanity/ignore-2.19.txt, each with its reason.
collections: setup ## build both collections and run ansible-test sanity on each
	$(BIN)/python tools/ci/collections_check.py

# antsibull-docs (the collections' module and plugin reference, as published collections build
# it) pins docutils and Sphinx below what constraints.txt holds, so it lives in a venv of its own,
# with the ansible-core of constraints.txt. It finds amazon.aws (strata.aws's dependency) where
# the ansible package of .venv installed it. GIT_CEILING_DIRECTORIES: antsibull-docs copies a
# collection inside a git work tree with git ls-files, which would leave out that git-ignored
# .venv copy.
DOCS_VENV := .strata/antsibull-docs-venv
ANTSIBULL_DOCS_VERSION := 2.28.0
SPHINX_ANSIBLE_THEME_VERSION := 0.10.4
$(DOCS_VENV)/.installed: constraints.txt
	$(PYTHON) -m venv $(DOCS_VENV)
	$(DOCS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(DOCS_VENV)/bin/python -m pip install --quiet antsibull-docs==$(ANTSIBULL_DOCS_VERSION) \
	  sphinx-ansible-theme==$(SPHINX_ANSIBLE_THEME_VERSION) $$(grep -E '^ansible-core==' constraints.txt)
	touch $@
INSTALLED_COLLECTIONS = $$($(BIN)/python -c 'import ansible_collections.amazon.aws as m, pathlib; print(pathlib.Path(m.__path__[0]).parents[2])')
ANTSIBULL_DOCS = PATH=$(abspath $(DOCS_VENV))/bin:$$PATH GIT_CEILING_DIRECTORIES=$(CURDIR) $(abspath $(DOCS_VENV))/bin/antsibull-docs

docs-lint: setup $(DOCS_VENV)/.installed ## antsibull-docs lint-collection-docs --plugin-docs of both collections
	for collection in aws deploy; do \
	  echo "antsibull-docs lint-collection-docs --plugin-docs strata.$$collection"; \
	  ANSIBLE_COLLECTIONS_PATH=$(INSTALLED_COLLECTIONS) $(ANTSIBULL_DOCS) lint-collection-docs --plugin-docs \
	    collections/ansible_collections/strata/$$collection; \
	done

# build/docs (git-ignored): antsibull-docs sphinx-init's project, rst/ (the reference as RST) and
# build/html. The HTML links to the Ansible docsite (common return values, other collections'
# modules) resolve only where docs.ansible.com is reachable: offline Sphinx warns about them.
docs: setup $(DOCS_VENV)/.installed ## the collections' module and plugin reference: RST and HTML in build/docs
	rm -rf build/docs && mkdir -p -m 700 build/docs
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/collections:$(INSTALLED_COLLECTIONS) $(ANTSIBULL_DOCS) sphinx-init \
	  --use-current --dest-dir build/docs strata.aws strata.deploy >/dev/null
	mkdir -p -m 700 build/docs/rst
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/collections:$(INSTALLED_COLLECTIONS) $(ANTSIBULL_DOCS) \
	  --config-file build/docs/antsibull-docs.cfg collection --use-current --fail-on-error \
	  --cleanup everything --dest-dir build/docs/rst strata.aws strata.deploy
	$(DOCS_VENV)/bin/sphinx-build -M html build/docs/rst build/docs/build -c build/docs -q
	@echo "The collections' reference: build/docs/build/html/index.html (RST in build/docs/rst);" \
	  "offline, its links to docs.ansible.com stay unresolved (the warnings above)."

# pytest-xdist spreads the test files over PYTEST_WORKERS processes (one per core by default),
# each with its own in-process emulator on a free port; a file's tests stay in one process, so
# its module-scoped fixtures (a deployed layer, a large table) are made once. PYTEST_WORKERS=0
# runs them in this process, one after the other.
PYTEST_WORKERS ?= auto
unit: setup browser-deps ## pytest: modules, emulator, Lambda handler, the site in headless Chromium (PYTEST_WORKERS)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

browser-deps: ## install Chromium and chromedriver from the distribution (apt), only if missing
	sh tools/ci/browser_deps.sh

# The scenarios run side by side (tools/ci/molecule_all.py; each line is prefixed with its
# scenario): most of their time is spent waiting on Terraform and the emulator, so together
# they take little more than the longest alone. MOLECULE_ARGS=--serial runs them one by one,
# MOLECULE_ARGS=day2 one scenario; killsweep runs only when named (tools/ci/molecule_all.py).
molecule: setup ## molecule scenarios side by side, each against an emulator of its own on a free port
	STRATA_MOLECULE_PORT=$$($(FREE_PORT)) STRATA_MOLECULE_PORT_TEARDOWN=$$($(FREE_PORT)) STRATA_MOLECULE_PORT_DAY2=$$($(FREE_PORT)) \
	  $(BIN)/python tools/ci/molecule_all.py $(MOLECULE_ARGS)

# Kills a teardown, a deploy and a restore for real (SIGKILL to the whole process tree) at points
# spread over each run, recovers as the README says (unlock.yml's printed commands, the same
# command again, restore) and checks that every item and object is back and that the next deploy
# changes nothing (tools/dev/kill_sweep.py). Its own emulator on a free port, its own work dir
# under .strata/kill-sweep/; the seed is printed. KILL_SWEEP_ARGS='--points 10 --seed 7' repeats
# a sweep, --parallel 3 spreads its rounds over three emulators. make molecule MOLECULE_ARGS=killsweep
# runs a sample of two points per playbook (molecule/killsweep; left out of a bare make molecule).
KILL_SWEEP_ARGS ?=
kill-sweep: setup ## kill runs for real at points spread over them, recover as documented, check nothing is lost (KILL_SWEEP_ARGS)
	$(BIN)/python tools/dev/kill_sweep.py $(KILL_SWEEP_ARGS)

bench-deploy: setup ## time a no-op deploy and --check against bare terraform init + plan (not a test)
	$(BIN)/python tools/bench/bench_deploy.py $(BENCH_DEPLOY_ARGS)

clean: emulator-stop ## remove run-time files (never backups/)
	rm -rf .strata/work .pytest_cache
