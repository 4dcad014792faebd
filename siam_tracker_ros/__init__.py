"""siam_tracker_ros: Siamese single-object tracking core (ROS-free) and its ROS 2 adapter.

Sub-packages: ``core`` (types, crop, config, trackers), ``models`` (nn.Modules, checkpoint
loading), ``evaluation``, ``data``, ``training`` and ``ros`` (the only one importing rclpy).
"""

__version__ = "0.1.0"
