# Fresh-machine entry points: `make demo` and `make test` (both set up .venv idempotently).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
ENV_STAMP := $(VENV)/.siam_tracker_env_ok

.PHONY: env test demo bench clean-env

# The Python side is rebuilt when its inputs change; the ROS side (scripts/setup_ros.sh) always
# runs: it hashes its own inputs (msg/ srv/ package.xml CMakeLists.txt launch/ config/ ...) and
# takes about a second when nothing changed.
env: $(ENV_STAMP)
	@bash scripts/setup_ros.sh $(VENV)

$(ENV_STAMP): scripts/setup_env.sh requirements-dev.txt requirements-ros.txt setup.py
	bash scripts/setup_env.sh $(VENV)

test: env
	bash scripts/run_tests.sh $(VENV)

demo: env
	bash scripts/run_demo.sh $(VENV)

bench: env
	$(VENV)/bin/siam-track bench

clean-env:
	rm -rf $(VENV) .ros_build  # the ROS build tree lives in $(VENV)/.siam_ros_build
