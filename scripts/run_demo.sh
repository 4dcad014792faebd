#!/usr/bin/env bash
# `make demo`: replay a seeded synthetic clip through the real node over DDS (default model),
# started with `ros2 launch siam_tracker track.launch.py` where the launch stack is installed;
# writes out/demo/{tracking.mp4, outputs_bag/ (rosbag2 mcap), node.log, summary.json}.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.venv}
source scripts/activate_env.sh "$VENV"
# Keep the demo's DDS traffic on this machine and off the default domain unless told otherwise.
export ROS_AUTOMATIC_DISCOVERY_RANGE=${ROS_AUTOMATIC_DISCOVERY_RANGE:-LOCALHOST}
export ROS_DOMAIN_ID=${ROS_DOMAIN_ID:-$(( ($$ % 100) + 1 ))}
mkdir -p out/demo
export ROS_LOG_DIR=${ROS_LOG_DIR:-$PWD/out/demo/ros_log}
export MPLBACKEND=Agg
exec python -m siam_tracker_ros.ros.demo --out out/demo "${@:2}"
