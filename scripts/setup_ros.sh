#!/usr/bin/env bash
# ROS 2 part of the dev/CI environment; called by scripts/setup_env.sh after the Python deps.
# Idempotent: about a second when nothing changed. Usage: bash scripts/setup_ros.sh [VENV]
#
# Modes (SIAM_ROS_MODE=wheels|system forces one):
#   system  a ROS 2 install is sourced (ROS_DISTRO set and rclpy imports with the venv's Python):
#           use it; build this package's interfaces (and vision_msgs only if that ROS lacks it)
#           into the venv prefix with its own rosidl.
#   wheels  otherwise: ROS 2 Jazzy from PyPI wheels (requirements-ros.txt) into the venv, then
#           vision_msgs (ros_env/vision_msgs, dev/CI only) and this package's interfaces built
#           with rosidl into the venv prefix.
# Wheels mode also gets the launch stack and colcon (scripts/setup_launch_stack.sh).
# Either way the package's share/ files are installed (symlinks to this tree) so ament_index
# finds `siam_tracker`, and $VENV/siam_ros_env.sh is written (sourced by scripts/activate_env.sh).
# The siam_tracker_ros library itself stays the pip editable install (never a stale copy).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
[ -x "${1:-.venv}/bin/python" ] || { echo "setup_ros: no venv at ${1:-.venv} (run scripts/setup_env.sh)" >&2; exit 1; }
VENV=$(cd "${1:-.venv}" && pwd)
PY=$VENV/bin/python
BUILD=$VENV/.siam_ros_build
ENV_FILE=$VENV/siam_ros_env.sh
JOBS=${SIAM_ROS_JOBS:-$(nproc 2>/dev/null || echo 2)}
export PATH="$VENV/bin:$PATH"
T0=$SECONDS

log() { echo "setup_ros: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
apt_install() {  # apt_install PKG...: for tools a fresh Debian/Ubuntu machine may lack
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  command -v apt-get >/dev/null || die "missing $*; install it with your package manager"
  log "installing $* (apt)"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq "$@" >/dev/null
}
hash_inputs() {  # hash_inputs FILE...: digest of names and contents (+ $EXTRA_HASH_TEXT)
  { echo "${EXTRA_HASH_TEXT:-}"; for f in "$@"; do echo "== $f"; cat "$f"; done; } | sha256sum | cut -d' ' -f1
}
pip_install() { "$PY" -m pip install -q --disable-pip-version-check "$@"; }

mkdir -p "$BUILD"
if command -v flock >/dev/null; then exec 9>"$BUILD/.lock"; flock 9; fi

# ---------------------------------------------------------------- which ROS 2
MODE=${SIAM_ROS_MODE:-}
if [ -z "$MODE" ]; then
  MODE=wheels
  if [ -n "${ROS_DISTRO:-}" ]; then  # (the wheels' env file never sets ROS_DISTRO)
    if rclpy_file=$(env -u _ROS_WHEELS_BOOTSTRAP_COMPLETE "$PY" -c 'import rclpy; print(rclpy.__file__)' 2>/dev/null) \
        && [[ $rclpy_file != "$VENV"/* ]]; then
      MODE=system
    else
      die "ROS_DISTRO=$ROS_DISTRO is sourced but its rclpy does not import with $("$PY" --version 2>&1) in $VENV.
  ROS 2 $ROS_DISTRO needs the Python it was built with (Humble: 3.10, Jazzy: 3.12): recreate the venv
  with PYTHON=/usr/bin/python3, or run from a shell without ROS sourced to use ROS 2 Jazzy from PyPI
  (or force a mode with SIAM_ROS_MODE=wheels|system)."
    fi
  fi
fi
PY_SITE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# Where the generated Python interfaces go, relative to the prefix: the venv's site-packages with
# the wheels; with a system ROS a folder of their own, put on PYTHONPATH so that the ROS tools
# (ros2 topic echo ..., run by the system Python) import them too, without the venv's packages.
if [ "$MODE" = wheels ]; then PY_INSTALL_REL=${PY_SITE#"$VENV"/}; else PY_INSTALL_REL=lib/ros_python; fi
log "mode: $MODE ($("$PY" --version 2>&1), prefix $VENV)"

# ---------------------------------------------------------------- build tools
command -v cmake >/dev/null || pip_install "cmake>=3.22"
command -v make >/dev/null || apt_install make
{ command -v cc >/dev/null && command -v c++ >/dev/null; } || apt_install gcc g++

if [ "$MODE" = wheels ]; then
  # ------------------------------------------------------------ ROS 2 Jazzy wheels
  EXTRA_HASH_TEXT=$("$PY" --version 2>&1)
  wheel_hash=$(hash_inputs requirements-ros.txt)
  if [ "$(cat "$BUILD/wheels.stamp" 2>/dev/null)" != "$wheel_hash" ] \
      || ! "$PY" -c 'import rclpy, rosidl_generator_py, ament_package' 2>/dev/null; then
    log "installing ROS 2 Jazzy wheels (requirements-ros.txt)"
    pip_install -r requirements-ros.txt
    echo "$wheel_hash" > "$BUILD/wheels.stamp"
  fi
  BUILD_PY=$PY
  PY_INCLUDE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
  if [ ! -f "$PY_INCLUDE/Python.h" ]; then
    [[ $PY_INCLUDE == /usr/include/* ]] || die "Python.h not found in $PY_INCLUDE (install this Python's headers)"
    apt_install "python$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-dev"
  fi
  # The wheels' exported CMake files name the Python of the machine that built them
  # (/opt/python/cp3XX-cp3XX/...): point them at this venv's Python and NumPy headers.
  "$PY" - "$VENV" <<'PYEOF'
import pathlib, re, sys, sysconfig
import numpy
venv = pathlib.Path(sys.argv[1])
include, np_include = sysconfig.get_paths()["include"], numpy.get_include()
left = []
for path in sorted(venv.glob("share/*/cmake/*.cmake")):
    text = path.read_text()
    if "/opt/python/" not in text:
        continue
    new = re.sub(r'/opt/python/[^;"]*?/site-packages/numpy/(?:_core/|core/)?include', np_include, text)
    new = re.sub(r'/opt/python/[^;"/]+/include/python3\.\d+', include, new)
    path.write_text(new)
    if "/opt/python/" in new:
        left.append(str(path))
if left:
    sys.exit("setup_ros: unexpected /opt/python paths left in: " + ", ".join(left))
PYEOF
  PREFIX_PATH=$VENV
  export AMENT_PREFIX_PATH=$VENV
  NEED_VISION_MSGS=1
else
  # ------------------------------------------------------------ sourced ROS 2 install
  [ -n "${AMENT_PREFIX_PATH:-}" ] || die "ROS_DISTRO is set but AMENT_PREFIX_PATH is empty: source /opt/ros/$ROS_DISTRO/setup.bash"
  if [ -f "$PY_SITE/ros_wheels_bootstrapper.pth" ]; then
    log "WARNING: $VENV also holds ROS 2 wheels; they are ignored while $ROS_DISTRO is sourced (use a fresh venv to be safe)"
  fi
  # rosidl runs with the ROS install's Python (its generators need em/lark/catkin_pkg from apt);
  # the venv must then share that Python's NumPy major version, or the ROS message C extensions
  # (built against the apt NumPy) refuse to load.
  BUILD_PY=$(command -v python3 2>/dev/null || true)
  for candidate in /usr/bin/python3 "$PY"; do
    if [ -x "$candidate" ] && "$candidate" -c 'import em, lark, catkin_pkg, rosidl_generator_py' 2>/dev/null; then
      BUILD_PY=$candidate; break
    fi
  done
  "$BUILD_PY" -c 'import em, catkin_pkg, rosidl_generator_py' 2>/dev/null \
    || die "rosidl's Python tools are missing: sudo apt install ros-$ROS_DISTRO-rosidl-default-generators python3-empy python3-lark python3-catkin-pkg"
  sys_np=$("$BUILD_PY" -c 'import numpy; print(numpy.__version__.split(".")[0])' 2>/dev/null || echo none)
  venv_np=$("$PY" -c 'import numpy; print(numpy.__version__.split(".")[0])')
  if [ "$sys_np" = 1 ] && [ "$venv_np" != 1 ]; then
    log "ROS $ROS_DISTRO's messages are built against NumPy 1.x: installing numpy<2 (and an OpenCV that supports it) into the venv"
    pip_install "numpy>=1.23,<2" "opencv-contrib-python-headless>=4.8,<4.12"
  fi
  PREFIX_PATH="$VENV;${AMENT_PREFIX_PATH//:/;}"
  export AMENT_PREFIX_PATH="$VENV:$AMENT_PREFIX_PATH"
  NEED_VISION_MSGS=1
  IFS=: read -r -a prefixes <<< "${AMENT_PREFIX_PATH#"$VENV:"}"
  for p in "${prefixes[@]}"; do
    if [ -f "$p/share/vision_msgs/package.xml" ]; then NEED_VISION_MSGS=0; fi
  done
  if [ "$NEED_VISION_MSGS" = 1 ]; then
    log "WARNING: vision_msgs is not installed in ROS $ROS_DISTRO; building the 2D/common types into $VENV."
    log "         For other workspaces: sudo apt install ros-$ROS_DISTRO-vision-msgs"
  fi
fi

# ---------------------------------------------------------------- rosidl builds
build_package() {  # build_package NAME SOURCE_DIR STAMP_HASH [CMAKE_ARGS...]
  local name=$1 src=$2 stamp_hash=$3; shift 3
  local bdir=$BUILD/$name logf=$BUILD/$name.log
  if [ "$(cat "$bdir.stamp" 2>/dev/null)" = "$stamp_hash" ] && [ -f "$VENV/share/$name/package.xml" ]; then
    return 0
  fi
  log "building $name (rosidl; log: $logf)"
  local t=$SECONDS
  rm -f "$bdir.stamp"
  {
    cmake -S "$src" -B "$bdir" -Wno-dev \
      -DCMAKE_INSTALL_PREFIX="$VENV" -DCMAKE_PREFIX_PATH="$PREFIX_PATH" -DCMAKE_BUILD_TYPE=Release \
      -DPython3_EXECUTABLE="$BUILD_PY" -DPYTHON_EXECUTABLE="$BUILD_PY" \
      -DPYTHON_INSTALL_DIR="$PY_INSTALL_REL" -DBUILD_TESTING=OFF "$@" \
    && cmake --build "$bdir" -j "$JOBS" \
    && (cd "$bdir" && cmake --install .)  # symlink install writes its manifest into the cwd
  } > "$logf" 2>&1 || { tail -n 40 "$logf" >&2; die "building $name failed (full log: $logf)"; }
  echo "$stamp_hash" > "$bdir.stamp"
  log "built $name in $((SECONDS - t)) s"
}

# Bump when build_package's CMake invocation changes in a way that needs a rebuild.
BUILD_RECIPE=1
common_hash="recipe$BUILD_RECIPE $MODE $PY_INSTALL_REL $BUILD_PY $PREFIX_PATH $("$BUILD_PY" --version 2>&1) $(cat "$BUILD/wheels.stamp" 2>/dev/null || true)"
if [ "$NEED_VISION_MSGS" = 1 ]; then
  EXTRA_HASH_TEXT=$common_hash
  vm_hash=$(hash_inputs ros_env/vision_msgs/package.xml ros_env/vision_msgs/CMakeLists.txt ros_env/vision_msgs/msg/*.msg)
  build_package vision_msgs "$ROOT/ros_env/vision_msgs" "$vm_hash"
fi
# share/ files are symlinked into the prefix (edits are live); only the file list is hashed.
share_files=$(find launch config models -type f ! -name '*.pyc' 2>/dev/null | LC_ALL=C sort | tr '\n' ' ')
EXTRA_HASH_TEXT="$common_hash ${vm_hash:-} $ROOT $share_files"
pkg_hash=$(hash_inputs package.xml CMakeLists.txt msg/*.msg srv/*.srv scripts/siam_tracker_node)
build_package siam_tracker "$ROOT" "$pkg_hash" -DSIAM_TRACKER_INSTALL_PYTHON=OFF -DAMENT_CMAKE_SYMLINK_INSTALL=ON

# ---------------------------------------------------------------- environment file
if [ "$MODE" = wheels ]; then
  # Same library path the rclpy wheel's start-up hook computes, set once here so Python does not
  # re-execute itself on every start (_ROS_WHEELS_BOOTSTRAP_COMPLETE is that hook's guard).
  ld_dirs=$(cd "$PY_SITE" && for d in ros_*.libs; do [ -d "$d" ] && printf '%s:' "$PY_SITE/$d"; done)
  cat > "$ENV_FILE" <<EOF
# Generated by scripts/setup_ros.sh (mode: wheels, ROS 2 Jazzy from PyPI); sourced by scripts/activate_env.sh.
export SIAM_TRACKER_ROS_ENV=wheels
case ":\${AMENT_PREFIX_PATH:-}:" in *":$VENV:"*) ;; *) export AMENT_PREFIX_PATH="$VENV\${AMENT_PREFIX_PATH:+:\$AMENT_PREFIX_PATH}" ;; esac
case ":\${LD_LIBRARY_PATH:-}:" in *":$VENV/lib:"*) ;; *) export LD_LIBRARY_PATH="$ld_dirs$VENV/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" ;; esac
export _ROS_WHEELS_BOOTSTRAP_COMPLETE=1
export RMW_IMPLEMENTATION=\${RMW_IMPLEMENTATION:-rmw_fastrtps_cpp}
EOF
else
  ros_setup=""
  for p in "${prefixes[@]}"; do
    if [ -f "$p/setup.bash" ]; then ros_setup=$p/setup.bash; break; fi
  done
  {
    echo "# Generated by scripts/setup_ros.sh (mode: system, ROS 2 $ROS_DISTRO); sourced by scripts/activate_env.sh."
    echo "export SIAM_TRACKER_ROS_ENV=system"
    if [ -n "$ros_setup" ]; then
      echo "if [ -z \"\${ROS_DISTRO:-}\" ] && [ -f \"$ros_setup\" ]; then . \"$ros_setup\"; fi"
    fi
  } > "$ENV_FILE"
  cat >> "$ENV_FILE" <<EOF
case ":\${AMENT_PREFIX_PATH:-}:" in *":$VENV:"*) ;; *) export AMENT_PREFIX_PATH="$VENV\${AMENT_PREFIX_PATH:+:\$AMENT_PREFIX_PATH}" ;; esac
case ":\${LD_LIBRARY_PATH:-}:" in *":$VENV/lib:"*) ;; *) export LD_LIBRARY_PATH="$VENV/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" ;; esac
case ":\${PYTHONPATH:-}:" in *":$VENV/$PY_INSTALL_REL:"*) ;; *) export PYTHONPATH="$VENV/$PY_INSTALL_REL\${PYTHONPATH:+:\$PYTHONPATH}" ;; esac
EOF
fi

# ---------------------------------------------------------------- launch stack + colcon
# Wheels mode only: a sourced ROS 2 brings its own launch, ros2 CLI and (usually) colcon.
if [ "$MODE" = wheels ]; then
  bash scripts/setup_launch_stack.sh "$VENV"
fi

# ---------------------------------------------------------------- check
# shellcheck disable=SC1090
( . "$ENV_FILE" && cd / && "$PY" -c '
import rclpy, vision_msgs.msg, siam_tracker.msg, siam_tracker.srv, siam_tracker_ros
from ament_index_python.packages import get_package_share_directory
get_package_share_directory("siam_tracker")
' ) || die "the ROS environment does not import (see above)"
log "ROS 2 environment ready in $((SECONDS - T0)) s ($ENV_FILE)"
