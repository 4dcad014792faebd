"""The Fast DDS setting that carries camera-size images between local processes.

With Fast DDS's built-in transports a 640x480 bgr8 image (900 KiB) does not fit the 512 KiB
shared-memory segment and goes over UDP in fragments: a best-effort frame is lost when one
fragment is. ``config/fastdds_large_images.xml`` (a 32 MiB shared-memory segment, UDP kept for
other machines) delivered every frame at 640x480 and 1280x720, best effort and reliable; Fast
DDS's ``FASTDDS_BUILTIN_TRANSPORTS=LARGE_DATA`` did not (scripts/measure_image_transport.py,
docs/node.md). Every process of the pipeline (camera, tracker) needs it.

:func:`large_image_transport_env` returns the variables to add to a process environment (the
launch file, ``make demo`` and the dev shell use it); it returns nothing when the user already
chose a Fast DDS configuration or another RMW, so an explicit choice is never overridden.

    eval "$(python3 -m siam_tracker_ros.ros.transport_env)"   # the camera's shell: one line
"""
from __future__ import annotations

import os
import shlex
import sys
from typing import Dict, Mapping, Optional

PROFILE_VARS = ("FASTRTPS_DEFAULT_PROFILES_FILE",    # Fast DDS 2.x (Humble, Jazzy)
                "FASTDDS_DEFAULT_PROFILES_FILE")     # Fast DDS 3.x
USER_CHOICE_VARS = PROFILE_VARS + ("FASTDDS_BUILTIN_TRANSPORTS",)
FAST_DDS_RMWS = ("", "rmw_fastrtps_cpp", "rmw_fastrtps_dynamic_cpp")


def large_image_profile() -> str:
    """Path of config/fastdds_large_images.xml (the installed share directory, else this
    source tree)."""
    from .node_process import large_image_profile as locate

    return locate()


def large_image_transport_env(environ: Optional[Mapping[str, str]] = None,
                              profile: Optional[str] = None) -> Dict[str, str]:
    """Variables to add to ``environ`` (default: this process's) so Fast DDS carries large
    images: both profile-file variables pointing at ``profile`` (default: the bundled one).
    Empty when ``environ`` already sets a Fast DDS profile file or FASTDDS_BUILTIN_TRANSPORTS,
    or selects an RMW other than Fast DDS."""
    env = os.environ if environ is None else environ
    if any(env.get(name) for name in USER_CHOICE_VARS):
        return {}
    if env.get("RMW_IMPLEMENTATION", "") not in FAST_DDS_RMWS:
        return {}
    path = profile or large_image_profile()
    return {name: path for name in PROFILE_VARS}


def apply_large_image_transport(environ: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """Set :func:`large_image_transport_env` in ``environ`` (default: ``os.environ``; call
    before rclpy.init); returns what was set."""
    target = os.environ if environ is None else environ
    added = large_image_transport_env(target)
    target.update(added)
    return added


def main() -> int:
    """Print ``export`` lines for a shell (nothing when the user already chose)."""
    for name, value in large_image_transport_env().items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
