# Fresh-machine entry points: `make demo` and `make test` (both set up .venv idempotently).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
ENV_STAMP := $(VENV)/.siam_tracker_env_ok

.PHONY: env test demo bench clean-env

env: $(ENV_STAMP)

$(ENV_STAMP): scripts/setup_env.sh requirements-dev.txt setup.py package.xml CMakeLists.txt $(wildcard msg/*.msg srv/*.srv)
	bash scripts/setup_env.sh $(VENV)

test: env
	bash scripts/run_tests.sh $(VENV)

demo: env
	bash scripts/run_demo.sh $(VENV)

bench: env
	$(VENV)/bin/siam-track bench

clean-env:
	rm -rf $(VENV) .ros_build
