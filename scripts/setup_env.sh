#!/usr/bin/env bash
# Build the project's .venv on a fresh Debian/Ubuntu machine (idempotent):
#   1. a Python venv with CPU torch installed FIRST (so nothing pulls CUDA wheels),
#   2. the Python dependencies and this package (editable, console scripts on PATH),
#   3. ROS 2 (scripts/setup_ros.sh): a sourced ROS 2 install if there is one, else Jazzy
#      from PyPI wheels plus the vision_msgs and siam_tracker interfaces built with rosidl.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.venv}
PYTHON=${PYTHON:-python3}

if ! "$PYTHON" -c 'import sys; assert sys.version_info >= (3, 10)' 2>/dev/null; then
  echo "setup_env: Python >= 3.10 is required (found: $("$PYTHON" --version 2>&1))" >&2; exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    echo "setup_env: installing python3-venv" >&2
    SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$VENV"; "$PYTHON" -m venv "$VENV"
  fi
fi
PIP=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)
"$VENV/bin/python" -m pip --version >/dev/null
if ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
  "${PIP[@]}" "torch==2.13.0"
fi
"${PIP[@]}" -r requirements-dev.txt
"${PIP[@]}" --no-deps --no-build-isolation -e .
if [ -f scripts/setup_ros.sh ]; then
  bash scripts/setup_ros.sh "$VENV"
fi
touch "$VENV/.siam_tracker_env_ok"
echo "setup_env: $VENV ready"
