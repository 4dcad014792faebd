"""Start the siam_tracker node.

    ros2 launch siam_tracker track.launch.py image_topic:=/camera/image_raw
    ros2 launch siam_tracker track.launch.py namespace:=drone1 params_file:=/path/my_tracker.yaml
    ros2 launch siam_tracker track.launch.py image_topic:=/camera/image_raw image_transport:=compressed

Arguments: namespace, image_topic (remaps `image`; with image_transport compressed the node
subscribes `<image_topic>/compressed`), image_transport (raw or compressed; empty = the params
file's value), init_topic (remaps `init_box`), params_file (default
share/siam_tracker/config/tracker.yaml), use_sim_time (true when replaying a bag with --clock),
log_level.
"""
import os
from typing import List

from ament_index_python.packages import get_package_share_directory
from launch import LaunchContext, LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

from siam_tracker_ros.ros.transport_env import large_image_transport_env

TRANSPORTS = ("raw", "compressed")


def _tracker_node(context: LaunchContext) -> List[Node]:
    """The node; `image_transport` overrides the params file only when it is given."""
    image_topic = LaunchConfiguration("image_topic")
    parameters = [LaunchConfiguration("params_file"),
                  {"use_sim_time": ParameterValue(LaunchConfiguration("use_sim_time"),
                                                  value_type=bool)}]
    transport = LaunchConfiguration("image_transport").perform(context).strip()
    if transport:
        if transport not in TRANSPORTS:
            raise ValueError(f"image_transport:={transport!r}: expected one of "
                             f"{', '.join(TRANSPORTS)} (or empty for the params file's value)")
        parameters.append({"image_transport": transport})
    return [Node(
        package="siam_tracker",
        executable="siam_tracker_node",
        name="siam_tracker",
        namespace=LaunchConfiguration("namespace"),
        output="screen",
        emulate_tty=True,
        additional_env=large_image_transport_env(),   # camera-size images over Fast DDS
        parameters=parameters,
        remappings=[
            ("image", image_topic),
            ("image/compressed", [image_topic, "/compressed"]),
            ("init_box", LaunchConfiguration("init_topic")),
        ],
        arguments=["--ros-args", "--log-level", LaunchConfiguration("log_level")],
    )]


def generate_launch_description() -> LaunchDescription:
    default_params = os.path.join(get_package_share_directory("siam_tracker"), "config", "tracker.yaml")
    return LaunchDescription([
        DeclareLaunchArgument("namespace", default_value="",
                              description="Namespace of the node and its topics"),
        DeclareLaunchArgument("image_topic", default_value="image",
                              description="Camera image topic (sensor_msgs/Image)"),
        DeclareLaunchArgument("image_transport", default_value="",
                              description="raw or compressed (reads <image_topic>/compressed, "
                                          "sensor_msgs/CompressedImage); empty: the params file's"),
        DeclareLaunchArgument("init_topic", default_value="init_box",
                              description="Init box topic (vision_msgs/Detection2D)"),
        DeclareLaunchArgument("params_file", default_value=default_params,
                              description="Parameters YAML (/**: ros__parameters:)"),
        DeclareLaunchArgument("use_sim_time", default_value="false",
                              description="Use /clock (bag replay with --clock)"),
        DeclareLaunchArgument("log_level", default_value="info",
                              description="debug, info, warn, error or fatal"),
        OpaqueFunction(function=_tracker_node),
    ])
