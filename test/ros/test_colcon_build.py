"""`colcon build` of this package into a temporary workspace, against the environment it runs in
(the dev venv: ROS 2 Jazzy from PyPI wheels + the launch stack; or a sourced ROS 2), then, with
its install/setup.bash sourced: the install layout, `ros2 pkg prefix` / `ros2 pkg executables`,
the interfaces and library imported from the install space, the bundled default model built
from the installed share files, and `ros2 launch siam_tracker track.launch.py` starting the
installed node with the installed params file (ready line, Ctrl-C, exit status 0).

colcon comes from PyPI (requirements-colcon.txt; scripts/setup_launch_stack.sh installs it into
VENV/.colcon, linked as VENV/bin/colcon). Skips, saying why, without colcon; the launch part
skips without the launch stack.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from siam_node_harness import require_ros_interfaces

require_ros_interfaces()

from siam_tracker_ros.ros import launch_process  # noqa: E402

from siam_node_harness import isolated_ros_env, wait_until  # noqa: E402

pytestmark = pytest.mark.ros
REPO_ROOT = Path(__file__).resolve().parents[2]
# Not part of the package: the venv, VCS data, build outputs and caches of the checkout (the
# output folders only at its root: siam_tracker_ros/build/ is source).
_ROOT_OUTPUTS = (".venv", ".git", "out", "build", "install", "log", ".ros_build")
_ANYWHERE = shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.pyc", "*.egg-info")


def _not_sources(directory: str, names: list) -> set:
    ignored = set(_ANYWHERE(directory, names))
    if Path(directory) == REPO_ROOT:
        ignored |= set(_ROOT_OUTPUTS) & set(names)
    return ignored
BUILD_TIMEOUT_S = 600.0
READY_TIMEOUT_S = 120.0
PY_DIR = f"python{sys.version_info[0]}.{sys.version_info[1]}"


def _tree_digest(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """(workspace, install dir): colcon build --packages-select siam_tracker, once per module."""
    colcon = shutil.which("colcon", path=os.path.dirname(sys.executable) + os.pathsep
                          + os.environ.get("PATH", ""))
    if colcon is None:
        pytest.skip("colcon is not installed (scripts/setup_ros.sh installs it from PyPI: "
                    "requirements-colcon.txt; or apt install python3-colcon-common-extensions)")
    ws = tmp_path_factory.mktemp("colcon_ws")
    # A user's layout: the package copied into <ws>/src. Building the checkout in place would put
    # the dev .venv (inside the checkout on a fresh clone) under the source directory, and CMake
    # refuses include paths (numpy's, from the venv) "prefixed in the source directory".
    source = ws / "src" / "siam_tracker"
    shutil.copytree(REPO_ROOT, source, symlinks=True, ignore=_not_sources)
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)      # build as a user's shell would: no source tree on the path
    cmd = [colcon, "--log-base", str(ws / "log"), "build", "--base-paths", str(ws / "src"),
           "--build-base", str(ws / "build"), "--install-base", str(ws / "install"),
           "--packages-select", "siam_tracker", "--event-handlers", "console_direct-"]
    started = time.monotonic()
    with open(ws / "colcon_build.log", "w") as log:
        result = subprocess.run(cmd, env=env, cwd=ws, stdout=log, stderr=subprocess.STDOUT,
                                timeout=BUILD_TIMEOUT_S)
    text = (ws / "colcon_build.log").read_text()
    if result.returncode != 0:
        latest = ws / "log" / "latest_build" / "siam_tracker" / "stdout_stderr.log"
        detail = latest.read_text()[-4000:] if latest.exists() else ""
        pytest.fail(f"colcon build failed ({result.returncode}):\n{text[-2000:]}\n{detail}")
    print(f"colcon build: {time.monotonic() - started:.1f} s")
    return ws, ws / "install"


def in_install_space(install: Path, script: str, env=None, timeout_s: float = 120.0):
    """Run ``script`` in bash after ``source install/setup.bash`` (no PYTHONPATH of ours)."""
    env = dict(os.environ if env is None else env)
    env.pop("PYTHONPATH", None)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return subprocess.run(["bash", "-c", f"source {install}/setup.bash && {script}"], env=env,
                          capture_output=True, text=True, timeout=timeout_s, cwd=install.parent)


def test_install_layout(workspace):
    _, install = workspace
    prefix = install / "siam_tracker"
    share = prefix / "share" / "siam_tracker"
    resources = prefix / "share" / "ament_index" / "resource_index"
    assert (install / "setup.bash").is_file() and (share / "local_setup.bash").is_file()
    assert (resources / "packages" / "siam_tracker").is_file()
    index = resources / "rosidl_interfaces" / "siam_tracker"
    assert {"msg/TrackerStatus.msg", "srv/InitTarget.srv"} <= set(index.read_text().split())
    node = prefix / "lib" / "siam_tracker" / "siam_tracker_node"
    assert node.is_file() and os.access(node, os.X_OK)
    assert (share / "package.xml").read_text() == (REPO_ROOT / "package.xml").read_text()
    for folder in ("launch", "config", "models"):
        assert _tree_digest(share / folder) == _tree_digest(REPO_ROOT / folder), folder
    for interface in ("msg/TrackerStatus.msg", "srv/InitTarget.srv"):
        assert (share / interface).is_file()
    site = prefix / "lib" / PY_DIR / "site-packages"
    assert (site / "siam_tracker" / "msg" / "__init__.py").is_file()
    assert (site / "siam_tracker_ros" / "ros" / "node.py").is_file()
    assert list(prefix.glob("lib/libsiam_tracker__rosidl_typesupport_*.so"))


def test_install_space_is_what_python_and_ros2_find(workspace):
    _, install = workspace
    prefix = install / "siam_tracker"
    script = ("python -c 'import siam_tracker.msg, siam_tracker_ros; "
              "from ament_index_python.packages import get_package_share_directory as s; "
              "print(siam_tracker.msg.__file__); print(siam_tracker_ros.__file__); "
              "print(s(\"siam_tracker\"))'")
    if not launch_process.launch_unavailable_reason():
        script += " && ros2 pkg prefix siam_tracker && ros2 pkg executables siam_tracker"
    result = in_install_space(install, script)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert all(line.startswith(str(prefix)) for line in lines[:3]), lines
    if len(lines) > 4:
        assert lines[3] == str(prefix)
        assert lines[4] == "siam_tracker siam_tracker_node"


def test_default_model_builds_from_the_installed_share_files(workspace):
    """A bundled trained tracker (config/trackers/siamrpn_slim.yaml with its models/ weights,
    paths relative to the YAML) from the install space's copy."""
    _, install = workspace
    share = install / "siam_tracker" / "share" / "siam_tracker"
    config = share / "config" / "trackers" / "siamrpn_slim.yaml"
    script = ("python -c 'import sys; from siam_tracker_ros.build.factory import build_tracker; "
              "print(type(build_tracker(config=sys.argv[1])).__name__)' " + str(config))
    result = in_install_space(install, script, timeout_s=300.0)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip(), result.stderr


def test_ros2_launch_from_the_install_space(workspace, tmp_path):
    reason = launch_process.launch_unavailable_reason()
    if reason:
        pytest.skip(reason)
    _, install = workspace
    prefix = install / "siam_tracker"
    _, namespace, env = isolated_ros_env(tmp_path)
    log_path = tmp_path / "launch.log"
    command = " ".join(launch_process.launch_command({"namespace": namespace}))
    env.pop("PYTHONPATH", None)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(["bash", "-c", f"source {install}/setup.bash && exec {command}"],
                                env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=tmp_path,
                                preexec_fn=launch_process.sigint_and_own_session)
        node_cmdline = []
        try:
            assert wait_until(lambda: "ready: model" in log_path.read_text()
                              or proc.poll() is not None, READY_TIMEOUT_S, 0.2), \
                "no ready line:\n" + log_path.read_text()[-3000:]
            assert proc.poll() is None, "ros2 launch exited:\n" + log_path.read_text()[-3000:]
            import psutil
            node_cmdline = [c.cmdline() for c in psutil.Process(proc.pid).children(recursive=True)
                            if any("siam_tracker_node" in arg for arg in c.cmdline())]
        finally:
            code = launch_process.stop_launch(proc)
    text = log_path.read_text()
    assert code == 0, f"ros2 launch exited {code}:\n{text[-3000:]}"
    assert "process has finished cleanly" in text and "Traceback" not in text, text[-3000:]
    assert len(node_cmdline) == 1, node_cmdline
    cmdline = node_cmdline[0]
    assert str(prefix / "lib" / "siam_tracker" / "siam_tracker_node") in cmdline, cmdline
    params = cmdline[cmdline.index("--params-file") + 1]
    assert params == str(prefix / "share" / "siam_tracker" / "config" / "tracker.yaml"), cmdline
    assert f"__ns:={namespace}" in cmdline, cmdline
