"""Start the node the way users do, ``ros2 launch siam_tracker track.launch.py ARG:=VALUE ...``,
as a child process (the demo, the ros2 CLI and colcon tests), and stop it with Ctrl-C."""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
from typing import IO, List, Mapping, Optional

PACKAGE, LAUNCH_FILE = "siam_tracker", "track.launch.py"


def launch_unavailable_reason(env: Optional[Mapping[str, str]] = None) -> str:
    """Why ``ros2 launch siam_tracker track.launch.py`` cannot run here, or "" when it can: the
    ``ros2`` command with its ``launch`` verb, and the package's launch file in the ament index
    of ``env`` (default: this process's environment)."""
    env = os.environ if env is None else env
    path = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    if shutil.which("ros2", path=path) is None:
        return "no `ros2` command (the launch stack is not installed: scripts/setup_ros.sh)"
    if importlib.util.find_spec("ros2launch") is None:
        return "`ros2 launch` is not installed (ros2launch)"
    for prefix in env.get("AMENT_PREFIX_PATH", "").split(os.pathsep):
        if prefix and os.path.isfile(os.path.join(prefix, "share", PACKAGE, "launch", LAUNCH_FILE)):
            return ""
    return (f"{PACKAGE}/launch/{LAUNCH_FILE} is not on AMENT_PREFIX_PATH "
            f"(source scripts/activate_env.sh)")


def launch_command(arguments: Mapping[str, str] = {}) -> List[str]:
    return ["ros2", "launch", PACKAGE, LAUNCH_FILE] + [f"{k}:={v}" for k, v in arguments.items()]


def sigint_and_own_session() -> None:
    """``preexec_fn`` of a ``ros2 launch`` child (see the comment)."""
    # A child of a non-interactive shell's background job inherits SIGINT ignored; launch must
    # see Ctrl-C to shut its node down cleanly. Own session: stop_launch can end the whole tree.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.setsid()


def start_launch(arguments: Mapping[str, str], log: IO, env: Optional[Mapping[str, str]] = None,
                 cwd: Optional[str] = None) -> subprocess.Popen:
    """``ros2 launch siam_tracker track.launch.py`` with ``arguments`` (stdout+stderr to ``log``),
    this Python's bin first on PATH so ``ros2`` and the node run in this environment."""
    env = dict(os.environ if env is None else env)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return subprocess.Popen(launch_command(arguments), env=env, stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=cwd,
                            preexec_fn=sigint_and_own_session)


def stop_launch(proc: subprocess.Popen, timeout_s: float = 30.0) -> int:
    """Ctrl-C to ``ros2 launch`` (it stops the node with SIGINT and waits for it); after
    ``timeout_s`` SIGTERM, then SIGKILL, to the whole process group. Returns launch's exit code
    (0 when the node finished cleanly)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=10.0)
                    break
                except subprocess.TimeoutExpired:
                    continue
    return int(proc.returncode)


def node_exit_code(launch_output: str) -> Optional[int]:
    """The node's exit code from launch's own report in its output ("process has finished
    cleanly" = 0, "process has died [pid N, exit code C, ...]" = C), None when it has none.
    (``ros2 launch`` itself exits 0 whatever its processes returned.)"""
    died = re.findall(r"\[siam_tracker_node-\d+\]: process has died \[pid \d+, exit code (-?\d+)",
                      launch_output)
    if died:
        return int(died[-1])
    return 0 if re.search(r"\[siam_tracker_node-\d+\]: process has finished cleanly",
                          launch_output) else None
