#!/usr/bin/env bash
# Run the whole suite inside the project's environment (ROS from .venv, or a sourced ROS 2).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.venv}
source scripts/activate_env.sh "$VENV"
export ROS_LOG_DIR=${ROS_LOG_DIR:-$(mktemp -d)/ros_log}
export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
export MPLBACKEND=Agg
exec python -m pytest -q -ra test "${@:2}"
