#!/usr/bin/env bash
# The ROS 2 launch stack (launch, launch_ros, launch_testing + its pytest plugin, the `ros2` CLI)
# and colcon for the dev/CI venv; called by scripts/setup_ros.sh (wheels mode). Idempotent: a
# hash stamp per part, well under a second when nothing changed.
# Usage: bash scripts/setup_launch_stack.sh VENV
#
#   launch stack  pre-built wheels of ROS 2 Jazzy's launch packages are not on PyPI; where the
#                 folder ../shared/ros/launch_wheels (or $SIAM_LAUNCH_WHEELS) exists, its
#                 install.sh puts them into VENV. Absent (a user's bare machine): skipped with the
#                 reason; test/ros/test_node_launch.py, test_ros2_cli.py and the launch part of
#                 test_colcon_build.py then skip, saying why. With a sourced ROS 2 its launch is
#                 used and this script is not called.
#   colcon        colcon-common-extensions from PyPI (requirements-colcon.txt) in a venv of its
#                 own, VENV/.colcon (colcon-core pins setuptools<80 and pulls in pytest plugins:
#                 neither belongs in the project's venv), linked as VENV/bin/colcon.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
[ -x "${1:-}/bin/python" ] || { echo "setup_launch_stack: usage: $0 VENV (no venv at '${1:-}')" >&2; exit 1; }
VENV=$(cd "$1" && pwd -P)   # physical path: it is written into the CMake files of what is built
PY=$VENV/bin/python
BUILD=$VENV/.siam_ros_build
mkdir -p "$BUILD"
log() { echo "setup_ros: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
pyver=$("$PY" --version 2>&1)

# ---------------------------------------------------------------- launch stack
WHEELS_DIR=${SIAM_LAUNCH_WHEELS:-$ROOT/../shared/ros/launch_wheels}
if [ -f "$WHEELS_DIR/install.sh" ] && [ -d "$WHEELS_DIR/wheels" ]; then
  WHEELS_DIR=$(cd "$WHEELS_DIR" && pwd -P)
  launch_hash=$({
    echo "$VENV $pyver"
    (cd "$WHEELS_DIR" && sha256sum install.sh build_composition_interfaces.sh wheels/*.whl \
      && find src -type f | LC_ALL=C sort | xargs sha256sum)
  } | sha256sum | cut -d' ' -f1)
  marker=$VENV/share/ament_index/resource_index/packages
  if [ "$(cat "$BUILD/launch_stack.stamp" 2>/dev/null)" = "$launch_hash" ] \
      && [ -f "$marker/launch_testing" ] && [ -f "$marker/composition_interfaces" ] \
      && [ -x "$VENV/bin/ros2" ]; then
    log "launch stack: up to date"
  else
    log "installing the ROS 2 launch stack and ros2 CLI from $WHEELS_DIR"
    rm -f "$BUILD/launch_stack.stamp"
    t=$SECONDS
    if ! bash "$WHEELS_DIR/install.sh" "$VENV" 2>&1 | sed 's/^/setup_ros:   /' >&2; then
      tail -n 30 "$VENV/.ros_launch_build/install.log" >&2 2>/dev/null || true
      die "installing the launch stack failed (log: $VENV/.ros_launch_build/install.log)"
    fi
    echo "$launch_hash" > "$BUILD/launch_stack.stamp"
    log "launch stack installed in $((SECONDS - t)) s"
  fi
elif [ -f "$VENV/share/ament_index/resource_index/packages/launch_testing" ]; then
  log "launch stack: $WHEELS_DIR not found; keeping the one installed in $VENV"
else
  log "launch stack: skipped: $WHEELS_DIR not found (ROS 2 Jazzy's launch/launch_testing/ros2 CLI"
  log "  are not on PyPI); ros2 launch, the launch_testing and ros2 CLI tests are unavailable and skip."
  log "  Use a sourced ROS 2 install, or set SIAM_LAUNCH_WHEELS to a launch_wheels folder."
fi

# ---------------------------------------------------------------- colcon (own venv)
COLCON_VENV=$VENV/.colcon
colcon_hash=$(cat requirements-colcon.txt <(echo "$pyver $VENV") | sha256sum | cut -d' ' -f1)
if [ "$(cat "$BUILD/colcon.stamp" 2>/dev/null)" = "$colcon_hash" ] && [ -x "$COLCON_VENV/bin/colcon" ] \
    && [ -L "$VENV/bin/colcon" ]; then
  log "colcon: up to date"
else
  log "installing colcon (requirements-colcon.txt) into $COLCON_VENV"
  rm -f "$BUILD/colcon.stamp"
  t=$SECONDS
  base_py=$("$PY" -c 'import sys, os; print(os.path.join(sys.base_prefix, "bin", "python3"))')
  [ -x "$base_py" ] || base_py=$(command -v python3)
  [ -x "$COLCON_VENV/bin/python" ] || "$base_py" -m venv "$COLCON_VENV" \
    || die "cannot create $COLCON_VENV with $base_py"
  "$COLCON_VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements-colcon.txt \
    > "$BUILD/colcon.log" 2>&1 || { tail -n 20 "$BUILD/colcon.log" >&2; die "pip install -r requirements-colcon.txt failed (log: $BUILD/colcon.log)"; }
  ln -sfn "$COLCON_VENV/bin/colcon" "$VENV/bin/colcon"
  "$VENV/bin/colcon" --help > /dev/null || die "colcon does not run ($VENV/bin/colcon --help)"
  echo "$colcon_hash" > "$BUILD/colcon.stamp"
  log "colcon installed in $((SECONDS - t)) s"
fi
