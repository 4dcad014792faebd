"""Only siam_tracker_ros.ros may import ROS: every other module must import with rclpy, the
message packages and the generated ``siam_tracker`` interfaces made unimportable.

Runs in a fresh interpreter (nothing ROS already in sys.modules) whose sys.meta_path starts with
a finder that refuses ROS modules, then imports every module of the package except
``siam_tracker_ros.ros`` (walked from the source tree, so a new module is covered automatically).
"""
import json
import os
import pkgutil
import subprocess
import sys

import pytest

import siam_tracker_ros

ROS_SUBPACKAGE = "siam_tracker_ros.ros"

_CHILD = r"""
import importlib, json, sys, traceback

BLOCKED_EXACT = {"rclpy", "rcl_interfaces", "rosidl_runtime_py", "rosidl_parser", "rpyutils",
                 "ament_index_python", "cv_bridge", "launch", "launch_ros", "launch_testing",
                 "rosbag2_py", "message_filters", "image_transport", "tf2_ros", "siam_tracker"}
BLOCKED_SUFFIXES = ("_msgs", "_srvs", "_interfaces")


class RosBlocker:
    blocked = []

    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top in BLOCKED_EXACT or top.endswith(BLOCKED_SUFFIXES):
            self.blocked.append(name)
            raise ImportError(f"{name} is ROS: only siam_tracker_ros.ros may import it")
        return None


blocker = RosBlocker()
sys.meta_path.insert(0, blocker)
failures = {}
for module in json.loads(sys.argv[1]):
    try:
        importlib.import_module(module)
    except BaseException as exc:  # report every module, not only the first failure
        failures[module] = traceback.format_exception_only(type(exc), exc)[-1].strip()
leaked = sorted(m for m in sys.modules
                if m.split(".")[0] in BLOCKED_EXACT or m.split(".")[0].endswith(BLOCKED_SUFFIXES))
print(json.dumps({"failures": failures, "leaked": leaked, "blocked": sorted(set(blocker.blocked))}))
"""


def _non_ros_modules():
    modules = ["siam_tracker_ros"]
    for info in pkgutil.walk_packages(siam_tracker_ros.__path__, "siam_tracker_ros.",
                                      onerror=lambda name: None):
        if info.name == ROS_SUBPACKAGE or info.name.startswith(ROS_SUBPACKAGE + "."):
            continue
        if info.name.rsplit(".", 1)[-1] == "__main__":
            continue  # running it would execute the CLI
        modules.append(info.name)
    return modules


@pytest.mark.slow  # imports everything (torch, cv2 ...): ~15 s on 2 busy cores
def test_every_module_outside_ros_imports_without_ros():
    modules = _non_ros_modules()
    assert "siam_tracker_ros.core.types" in modules and len(modules) > 5
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(modules)], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["failures"] == {}, "\n".join(f"{m}: {e}" for m, e in report["failures"].items())
    assert report["leaked"] == []


def test_the_blocker_really_blocks_ros():
    """Guard against a blocker that silently blocks nothing."""
    probe = ("import sys\n" + _CHILD.split("failures = {}")[0]
             + "\ntry:\n    import rclpy\nexcept ImportError as e:\n    print('blocked:', e)\n"
             + "try:\n    import sensor_msgs.msg\nexcept ImportError as e:\n    print('blocked:', e)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.stdout.count("blocked:") == 2, result.stdout + result.stderr
