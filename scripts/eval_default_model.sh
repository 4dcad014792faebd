#!/usr/bin/env bash
# Evaluate the bundled default model against the parameter-free SiamFC model and OpenCV CSRT on a
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
CFG=models/siamrpn_slim/config.yaml
W=models/siamrpn_slim/model.pth
PF=config/trackers/siamfc_parameter_free.yaml
mkdir -p out/default_model
# Our trackers are re-run from scratch (eval skips finished sequences); baselines are kept.
rm -rf "out/results/$PRESET/default-slim" "out/results/$PRESET/default-slim-lt"

"$ST" eval --dataset "$PRESET" --tracker "$CFG" --weights "$W" --name default-slim --no-progress
"$ST" eval --dataset "$PRESET" --tracker "$CFG" --weights "$W" --long-term --name default-slim-lt --no-progress
"$ST" eval --dataset "$PRESET" --tracker "$PF" --name parameter-free --no-progress
"$ST" eval --dataset "$PRESET" --tracker "$PF" --long-term --name parameter-free-lt --no-progress
"$ST" eval --dataset "$PRESET" --baseline csrt --no-progress
"$ST" report --results out/results --dataset "$PRESET" --plots out/plots \
    > "out/default_model/${PRESET}-report.md"
"$ST" bench --config "$CFG" --weights "$W" --sizes 640x480 --threads 2 --frames 60 \
    --json out/default_model/bench_640x480.json --no-progress
