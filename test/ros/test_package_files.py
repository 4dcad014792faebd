"""The ROS package shell: package.xml, interfaces, params file, launch file and what the
environment installs (ament index, executable). ROS parts skip with a reason without ROS."""
import ast
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
NEEDS_ROS = "ROS 2 (rclpy) not importable: source ROS 2 or run scripts/setup_env.sh"


def test_package_xml_declares_the_package_and_its_dependencies():
    root = ET.parse(ROOT / "package.xml").getroot()
    assert root.get("format") == "3"
    assert root.findtext("name") == "siam_tracker"
    tags = {(child.tag, child.text) for child in root}
    for tool in ("ament_cmake", "ament_cmake_python", "rosidl_default_generators"):
        assert ("buildtool_depend", tool) in tags
    for dep in ("rclpy", "sensor_msgs", "std_srvs", "diagnostic_msgs", "python3-numpy",
                "python3-opencv", "python3-yaml", "rosidl_default_runtime"):
        assert ("exec_depend", dep) in tags, dep
    for dep in ("std_msgs", "vision_msgs", "builtin_interfaces"):
        assert ("depend", dep) in tags, dep
    assert ("member_of_group", "rosidl_interface_packages") in tags
    assert root.find("export/build_type").text == "ament_cmake"


def test_dev_vision_msgs_is_hidden_from_colcon():
    assert (ROOT / "ros_env" / "COLCON_IGNORE").is_file()
    assert ET.parse(ROOT / "ros_env/vision_msgs/package.xml").getroot().findtext("version") == "4.1.1"


def test_package_discovery_finds_only_siam_tracker():
    """What rosdep/colcon see when crawling this tree (catkin_pkg's crawler honours COLCON_IGNORE)."""
    packages = pytest.importorskip("catkin_pkg.packages", reason="catkin_pkg not installed")
    assert {path: pkg.name for path, pkg in packages.find_packages(str(ROOT)).items()} == {".": "siam_tracker"}
    assert {path: pkg.name for path, pkg in packages.find_packages(str(ROOT / "ros_env")).items()} == {}


def _launch_arguments_and_node():
    tree = ast.parse((ROOT / "launch" / "track.launch.py").read_text())
    declared, node_kwargs = [], {}
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        name = getattr(call.func, "id", getattr(call.func, "attr", ""))
        if name == "DeclareLaunchArgument":
            declared.append(call.args[0].value)
        if name == "Node":
            node_kwargs = {kw.arg: kw.value for kw in call.keywords}
    return declared, node_kwargs


def test_launch_file_declares_the_documented_arguments():
    declared, node = _launch_arguments_and_node()
    assert sorted(declared) == sorted(["namespace", "image_topic", "image_transport", "init_topic",
                                       "params_file", "use_sim_time", "log_level"])
    assert node["package"].value == "siam_tracker"
    assert node["executable"].value == "siam_tracker_node"
    assert node["name"].value == "siam_tracker"
    remapped = [element.elts[0].value for element in node["remappings"].elts]
    assert {"image", "init_box"} <= set(remapped)


def test_launch_file_builds_a_description_when_launch_ros_is_installed():
    pytest.importorskip("launch_ros", reason="launch_ros not installed (not on PyPI): AST check only")
    import importlib.util
    spec = importlib.util.spec_from_file_location("track_launch", ROOT / "launch" / "track.launch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.generate_launch_description().entities


def _params_yaml():
    with open(ROOT / "config" / "tracker.yaml", encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    assert list(data) == ["/**"] and list(data["/**"]) == ["ros__parameters"]
    return data["/**"]["ros__parameters"]


def test_params_file_lists_every_node_parameter_with_its_default():
    """Node parameters are set to their defaults; the long-term ones are documented as
    commented-out lines (a set value would override the model config's long_term section)."""
    pytest.importorskip("rclpy", reason=NEEDS_ROS)
    from siam_tracker_ros.ros.params import ALL_PARAMS, LONG_TERM_PARAMS, NODE_PARAMS
    values = _params_yaml()
    declared = {spec.name: spec for spec in ALL_PARAMS}
    unknown = sorted(set(values) - set(declared) - {"use_sim_time"})
    assert unknown == [], f"tracker.yaml sets undeclared parameters: {unknown}"
    for spec in NODE_PARAMS:
        assert spec.name in values, f"tracker.yaml lacks {spec.name}"
        assert values[spec.name] == spec.default and type(values[spec.name]) is type(spec.default), \
            f"{spec.name}: yaml {values[spec.name]!r} != declared default {spec.default!r}"
    commented = dict(re.findall(r"^\s*#\s*([a-z_]+):\s*(\S+)", (ROOT / "config" / "tracker.yaml").read_text(),
                                re.MULTILINE))
    for spec in LONG_TERM_PARAMS:
        assert spec.name not in values, f"{spec.name} would override the model config: comment it out"
        assert spec.name in commented, f"tracker.yaml does not document {spec.name}"
        assert yaml.safe_load(commented[spec.name]) == spec.default, spec.name


def test_interfaces_have_the_documented_fields():
    pytest.importorskip("rclpy", reason=NEEDS_ROS)
    pytest.importorskip("siam_tracker.msg", reason="siam_tracker interfaces not built: run scripts/setup_ros.sh")
    from siam_tracker.msg import TrackerStatus
    from siam_tracker.srv import InitTarget
    assert TrackerStatus.get_fields_and_field_types() == {
        "header": "std_msgs/Header", "state": "uint8", "confidence": "float", "target_id": "string",
        "frames_since_seen": "uint32", "latency_ms": "float", "frames_processed": "uint64",
        "frames_dropped": "uint64", "enabled": "boolean", "mask_from_box": "boolean",
        "last_error": "string"}
    assert InitTarget.Request.get_fields_and_field_types() == {
        "header": "std_msgs/Header", "bbox": "vision_msgs/BoundingBox2D", "target_label": "string"}
    assert InitTarget.Response.get_fields_and_field_types() == {
        "success": "boolean", "target_id": "string", "message": "string"}


def test_ament_index_finds_the_installed_package():
    pytest.importorskip("rclpy", reason=NEEDS_ROS)
    from ament_index_python.packages import (PackageNotFoundError, get_package_prefix,
                                             get_package_share_directory)
    try:
        share = Path(get_package_share_directory("siam_tracker"))
    except PackageNotFoundError:
        pytest.skip("package siam_tracker not installed in AMENT_PREFIX_PATH: source scripts/activate_env.sh")
    assert (share / "package.xml").is_file()
    assert (share / "config" / "tracker.yaml").is_file()
    assert (share / "launch" / "track.launch.py").is_file()
    executable = Path(get_package_prefix("siam_tracker")) / "lib" / "siam_tracker" / "siam_tracker_node"
    assert executable.is_file() and os.access(executable, os.X_OK)
