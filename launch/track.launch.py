"""Start the siam_tracker node.

    ros2 launch siam_tracker track.launch.py image_topic:=/camera/image_raw
    ros2 launch siam_tracker track.launch.py namespace:=drone1 params_file:=/path/my_tracker.yaml

Arguments: namespace, image_topic (remaps `image`; with image_transport: compressed the node
subscribes `<image_topic>/compressed`), init_topic (remaps `init_box`), params_file (default
share/siam_tracker/config/tracker.yaml), use_sim_time (true when replaying a bag with --clock),
log_level.
"""
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue


def generate_launch_description() -> LaunchDescription:
    default_params = os.path.join(get_package_share_directory("siam_tracker"), "config", "tracker.yaml")
    namespace = LaunchConfiguration("namespace")
    image_topic = LaunchConfiguration("image_topic")
    init_topic = LaunchConfiguration("init_topic")
    params_file = LaunchConfiguration("params_file")
    use_sim_time = LaunchConfiguration("use_sim_time")
    log_level = LaunchConfiguration("log_level")

    return LaunchDescription([
        DeclareLaunchArgument("namespace", default_value="",
                              description="Namespace of the node and its topics"),
        DeclareLaunchArgument("image_topic", default_value="image",
                              description="Camera image topic (sensor_msgs/Image)"),
        DeclareLaunchArgument("init_topic", default_value="init_box",
                              description="Init box topic (vision_msgs/Detection2D)"),
        DeclareLaunchArgument("params_file", default_value=default_params,
                              description="Parameters YAML (/**: ros__parameters:)"),
        DeclareLaunchArgument("use_sim_time", default_value="false",
                              description="Use /clock (bag replay with --clock)"),
        DeclareLaunchArgument("log_level", default_value="info",
                              description="debug, info, warn, error or fatal"),
        Node(
            package="siam_tracker",
            executable="siam_tracker_node",
            name="siam_tracker",
            namespace=namespace,
            output="screen",
            emulate_tty=True,
            parameters=[params_file, {"use_sim_time": ParameterValue(use_sim_time, value_type=bool)}],
            remappings=[
                ("image", image_topic),
                ("image/compressed", [image_topic, "/compressed"]),
                ("init_box", init_topic),
            ],
            arguments=["--ros-args", "--log-level", log_level],
        ),
    ])
