"""Access to the NanoTrack parity fixture copied into test/fixtures/nanotrack (reference
NanoTracker results per version and clip, 1 and 2 torch threads; the real clips' frames; the
measured thread tolerances). The synthetic clip is the PySOT fixture's video
(test/fixtures/parity/video)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
from pysot_parity_data import read_frames

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NANO_DIR = FIXTURES / "nanotrack"
MODELS_DIR = Path(__file__).resolve().parents[2] / "models" / "nanotrack"
CLIPS: Dict[str, Tuple[Path, str]] = {
    "synthetic": (FIXTURES / "parity" / "video", "*.png"),
    "OTB_Human7": (NANO_DIR / "clips" / "OTB_Human7", "*.jpg"),
    "VOT_book": (NANO_DIR / "clips" / "VOT_book", "*.jpg"),
}
VERSIONS = (1, 2, 3)
CASES = [(v, clip) for v in VERSIONS for clip in CLIPS]


@lru_cache(maxsize=None)
def frames(clip: str) -> Tuple[np.ndarray, ...]:
    """The clip's frames in file-name order, (H, W, 3) uint8 BGR, read-only."""
    folder, pattern = CLIPS[clip]
    return read_frames(sorted(folder.glob(pattern)))


@lru_cache(maxsize=None)
def expected(version: int, clip: str, threads: int = 1) -> dict:
    """Reference result (1 thread: ``expected/``, 2 threads: ``expected/threads2/``)."""
    sub = NANO_DIR / "expected" / ("threads2" if threads == 2 else "")
    return json.loads((sub / f"v{version}_{clip}.json").read_text())


@lru_cache(maxsize=None)
def thread_tolerances() -> dict:
    return json.loads((NANO_DIR / "tolerances.json").read_text())["cases"]


def checkpoint(version: int) -> Path:
    return MODELS_DIR / f"v{version}" / f"nanotrackv{version}.pth"


def tracked_frames(version: int, clip: str, threads: int = 1) -> List[dict]:
    """Expected records of frames 2..N (frame 1 is the init)."""
    return [f for f in expected(version, clip, threads)["frames"] if not f.get("init")]
