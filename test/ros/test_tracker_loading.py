"""Node parameters -> RuntimeOptions: the node runs in fast mode; int8 needs a graph runtime
and a bad combination is one readable line naming the parameter."""
import pytest

from siam_tracker_ros.core.errors import ConfigError

NEEDS_ROS = "rclpy not installed (scripts/setup_ros.sh builds the ROS environment)"


def _settings(**changes):
    pytest.importorskip("rclpy", reason=NEEDS_ROS)
    from siam_tracker_ros.ros.params import ALL_PARAMS, NodeSettings
    values = {spec.name: spec.default for spec in ALL_PARAMS}
    values.update(changes)
    return NodeSettings.from_values(values)


def test_int8_parameter_reaches_runtime_options():
    from siam_tracker_ros.ros.tracker_loading import runtime_options

    options = runtime_options(_settings(backend="onnxruntime", int8=True, device="cpu"))
    assert (options.exact, options.backend, options.int8) == (False, "onnxruntime", True)
    assert runtime_options(_settings()).int8 is False


def test_int8_on_torch_backend_is_a_one_line_parameter_error():
    from siam_tracker_ros.ros.tracker_loading import runtime_options

    with pytest.raises(ConfigError) as info:
        runtime_options(_settings(backend="torch", int8=True))
    message = str(info.value)
    assert message.startswith("parameter int8:") and "onnxruntime" in message and "\n" not in message
