#!/usr/bin/env bash
# Fetch the real images and videos SiamRPN-slim (models/siamrpn_slim) is trained on (NOT part of make test / CI).
#
#   bash scripts/fetch_training_data.sh [DEST] [VENV]      (DEST default: out/train_data)
#
# Sources (both reachable from a plain Debian/Ubuntu machine with PyPI access):
#   * Debian package opencv-doc: OpenCV's sample images and videos (examples/data/*.jpg|png,
#     Megamind.avi, tree.avi, vtest.avi). Downloaded with `apt-get download` and unpacked with
#     `dpkg -x` into a scratch folder: nothing is installed.
#   * scikit-image's bundled sample images, unzipped from its wheel (`pip download --no-deps`):
#     nothing is installed either.
# Result:
#   DEST/images/<source>__<name>.png   still images (colour, >= 128 px on the short side)
#   DEST/videos/<name>.avi             unlabelled sample videos (used as still frames)
#   DEST/SOURCES.txt                   where every file came from, with package versions
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=${1:-out/train_data}
VENV=${2:-.venv}
PY="$(pwd)/$VENV/bin/python"
[ -x "$PY" ] || PY=python3
mkdir -p "$DEST"; DEST=$(cd "$DEST" && pwd)
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
mkdir -p "$DEST/images" "$DEST/videos"
: > "$DEST/SOURCES.txt"

echo "[1/2] opencv-doc (Debian package, unpacked, not installed)"
(cd "$SCRATCH" && apt-get download opencv-doc >/dev/null 2>&1) || {
    echo "apt-get download opencv-doc failed (run 'apt-get update' first, as root if needed)" >&2; exit 1; }
DEB=$(ls "$SCRATCH"/opencv-doc_*.deb)
dpkg -x "$DEB" "$SCRATCH/opencv-doc"
EXAMPLES="$SCRATCH/opencv-doc/usr/share/doc/opencv-doc/examples/data"
cp "$EXAMPLES"/*.avi "$DEST/videos/"
echo "opencv-doc $(basename "$DEB"): videos $(cd "$EXAMPLES" && ls *.avi | tr '\n' ' ')" >> "$DEST/SOURCES.txt"

echo "[2/2] scikit-image sample images (wheel, unzipped, not installed)"
"$PY" -m pip download --no-deps --only-binary=:all: -d "$SCRATCH/wheel" scikit-image >/dev/null
WHEEL=$(ls "$SCRATCH"/wheel/scikit_image-*.whl)
mkdir -p "$SCRATCH/skimage"
(cd "$SCRATCH/skimage" && "$PY" -m zipfile -e "$WHEEL" . >/dev/null)
echo "scikit-image $(basename "$WHEEL"): skimage/data/*" >> "$DEST/SOURCES.txt"

# Keep colour-convertible stills of a useful size; grey images become 3-channel BGR.
"$PY" - "$EXAMPLES" "$SCRATCH/skimage/skimage/data" "$DEST/images" "$DEST/SOURCES.txt" <<'EOF'
import os, sys
import cv2
src_cv, src_sk, dest, sources = sys.argv[1:5]
kept = []
for tag, folder in (("opencv", src_cv), ("skimage", src_sk)):
    for name in sorted(os.listdir(folder)):
        if not name.lower().endswith((".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")):
            continue
        image = cv2.imread(os.path.join(folder, name), cv2.IMREAD_COLOR)
        if image is None or min(image.shape[:2]) < 128 or float(image.std()) < 10.0:
            continue
        out = f"{tag}__{os.path.splitext(name)[0]}.png"
        cv2.imwrite(os.path.join(dest, out), image)
        kept.append(out)
with open(sources, "a") as f:
    f.write(f"images kept ({len(kept)}): {' '.join(kept)}\n")
print(f"kept {len(kept)} still images")
EOF
echo "training data in $DEST ($(ls "$DEST/images" | wc -l) images, $(ls "$DEST/videos" | wc -l) videos)"
