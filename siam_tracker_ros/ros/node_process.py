"""Start the installed ``siam_tracker_node`` as a separate process, the way the launch file does
(same executable, same params file), for the demo, the benchmark and the end-to-end test."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from typing import IO, List, Mapping, Optional, Sequence, Tuple

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def node_executable_and_params() -> Tuple[str, str]:
    """(executable, params file): ``lib/siam_tracker/siam_tracker_node`` and
    ``share/siam_tracker/config/tracker.yaml`` from the ament index (what ``ros2 launch`` runs);
    without the package on AMENT_PREFIX_PATH, the console script next to this Python and the
    source tree's config. FileNotFoundError (one line) when neither exists."""
    try:
        from ament_index_python.packages import get_package_prefix, get_package_share_directory

        exe = os.path.join(get_package_prefix("siam_tracker"), "lib", "siam_tracker",
                           "siam_tracker_node")
        params = os.path.join(get_package_share_directory("siam_tracker"), "config",
                              "tracker.yaml")
        if os.path.exists(exe) and os.path.exists(params):
            return exe, params
    except Exception:  # PackageNotFoundError, or ament_index missing: fall back to the tree
        pass
    exe = os.path.join(os.path.dirname(sys.executable), "siam_tracker_node")
    params = os.path.join(REPO_ROOT, "config", "tracker.yaml")
    if not os.path.exists(exe):
        raise FileNotFoundError(f"siam_tracker_node is not installed (looked in the ament index "
                                f"and at {exe}): run `make env`")
    return exe, params


def large_image_profile() -> str:
    """Path of config/fastdds_large_images.xml (installed share directory, else this tree)."""
    try:
        from ament_index_python.packages import get_package_share_directory

        path = os.path.join(get_package_share_directory("siam_tracker"), "config",
                            "fastdds_large_images.xml")
        if os.path.exists(path):
            return path
    except Exception:  # not on AMENT_PREFIX_PATH
        pass
    return os.path.join(REPO_ROOT, "config", "fastdds_large_images.xml")


def use_fastdds_profile(path: str, env: Optional[dict] = None) -> None:
    """Point Fast DDS 2.x and 3.x at ``path`` in ``env`` (default: this process, before
    rclpy.init). Every process exchanging large images needs the same profile."""
    target = os.environ if env is None else env
    target["FASTRTPS_DEFAULT_PROFILES_FILE"] = path
    target["FASTDDS_DEFAULT_PROFILES_FILE"] = path


def node_command(namespace: str = "", extra_ros_args: Sequence[str] = ()) -> List[str]:
    exe, params = node_executable_and_params()
    cmd = [exe, "--ros-args", "--params-file", params]
    if namespace:
        cmd += ["-r", f"__ns:={namespace}"]
    return cmd + list(extra_ros_args)


def start_node(namespace: str, log: IO, env: Optional[Mapping[str, str]] = None,
               extra_ros_args: Sequence[str] = ()) -> subprocess.Popen:
    """Start the node (stdout+stderr to ``log``) with this Python's bin first on PATH so the
    executable's ``python3`` is this environment's."""
    env = dict(os.environ if env is None else env)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return subprocess.Popen(node_command(namespace, extra_ros_args), env=env, stdout=log,
                            stderr=subprocess.STDOUT, cwd=REPO_ROOT)


def script_ros_env(prefix: str) -> str:
    """Set up this process for a script that drives a node process over DDS (fuzz, soak,
    benchmark): localhost discovery, a domain id of its own and a temp ROS_LOG_DIR, each unless
    the environment chose one. Returns a new temp directory (``prefix``*) for the logs."""
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    os.environ.setdefault("ROS_DOMAIN_ID", str(1 + os.getpid() % 100))
    log_dir = tempfile.mkdtemp(prefix=prefix)
    os.environ.setdefault("ROS_LOG_DIR", os.path.join(log_dir, "ros_log"))
    return log_dir


def stop_node(proc: subprocess.Popen, sig: int = signal.SIGINT, timeout_s: float = 15.0) -> int:
    """Send ``sig`` (Ctrl-C by default) and wait; kill after ``timeout_s`` (exit code then
    ``-SIGKILL``). Returns the exit code. Works for any child process."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return int(proc.returncode)


def rss_mib(pid: int) -> float:
    """Resident set size of a process in MiB (Linux /proc), NaN when unavailable."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")
