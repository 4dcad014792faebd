#!/usr/bin/env bash
# Evaluate the project's SiamRPN-slim (siamrpn_slim, the default before NanoTrack v3; for the real-video
# table of the current default see scripts/eval_val.py) against the parameter-free SiamFC model and OpenCV CSRT on a
# synthetic preset (default lt-full), short-term and long-term, then write the report and the
# CPU speed at 640x480 (2 threads). Results: out/results/<preset>/..., out/<preset>-report.{md,json},
# out/plots/, out/default_model/bench_640x480.json. Takes ~10-30 min on 2 CPU cores.
#
#   bash scripts/eval_default_model.sh [PRESET] [VENV]
set -euo pipefail
cd "$(dirname "$0")/.."
PRESET=${1:-lt-full}
VENV=${2:-.venv}
ST="$VENV/bin/siam-track"
export MPLBACKEND=Agg
# One torch thread per tracker: on a busy 2-core machine 2 threads are several times slower.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
CFG=config/trackers/siamrpn_slim.yaml      # SiamRPN-slim: trained network + appearance verifier
NET=models/siamrpn_slim/config.yaml         # the network alone (no verifier)
W=models/siamrpn_slim/model.pth
PF=config/trackers/siamfc_parameter_free.yaml
mkdir -p out/default_model
# Our trackers are re-run from scratch (eval skips finished sequences); baselines are kept.
rm -rf "out/results/$PRESET"/{default-lt,default,slim-unverified,slim-unverified-lt}

"$ST" eval --dataset "$PRESET" --config "$CFG" --long-term --name default-lt --no-progress
"$ST" eval --dataset "$PRESET" --config "$CFG" --name default --no-progress
"$ST" eval --dataset "$PRESET" --config "$NET" --weights "$W" --name slim-unverified --no-progress
"$ST" eval --dataset "$PRESET" --config "$NET" --weights "$W" --long-term --name slim-unverified-lt --no-progress
"$ST" eval --dataset "$PRESET" --config "$PF" --name parameter-free --no-progress
"$ST" eval --dataset "$PRESET" --config "$PF" --long-term --name parameter-free-lt --no-progress
"$ST" eval --dataset "$PRESET" --baseline csrt --no-progress
"$ST" report --results out/results --dataset "$PRESET" --plots out/plots \
    > "out/default_model/${PRESET}-report.md"
"$ST" bench --config "$CFG" --device cpu --sizes 640x480 --threads 2 --frames 60 \
    --json out/default_model/bench_640x480.json --no-progress
