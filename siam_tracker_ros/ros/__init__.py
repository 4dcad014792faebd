"""ROS 2 layer: the node, message conversions and parameters.

The only part of siam_tracker_ros that imports rclpy or *_msgs (test/test_core_is_ros_free.py
checks it). The generated interfaces are the separate Python package ``siam_tracker``
(``siam_tracker.msg.TrackerStatus``, ``siam_tracker.srv.InitTarget``).
"""
