"""Where the package's bundled ``config/`` and ``models/`` trees (tracker configs, checkpoints,
ONNX files) are: the source tree, ``<sys.prefix>/share/siam_tracker`` (pip data files) and the
ROS share directory (ament index, looked up lazily: nothing here needs ROS)."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional, Union

SHARE_PACKAGE = "siam_tracker"


def bundled_roots() -> List[Path]:
    """Directories that may hold the bundled ``config/`` and ``models/`` trees, in search
    order: the source tree, ``<sys.prefix>/share/siam_tracker``, the ament share directory."""
    roots = [Path(__file__).resolve().parents[2], Path(sys.prefix) / "share" / SHARE_PACKAGE]
    try:
        from ament_index_python.packages import get_package_share_directory  # optional (ROS)
        roots.append(Path(get_package_share_directory(SHARE_PACKAGE)))
    except Exception:  # noqa: BLE001 - no ROS, package not installed, bad environment
        pass
    return roots


def find_bundled_file(relative: Union[str, os.PathLike]) -> Optional[Path]:
    """First existing ``<root>/<relative>`` over :func:`bundled_roots`, or None."""
    for root in bundled_roots():
        candidate = root / relative
        if candidate.is_file():
            return candidate
    return None


__all__ = ["SHARE_PACKAGE", "bundled_roots", "find_bundled_file"]
