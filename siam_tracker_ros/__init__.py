"""siam_tracker_ros: Siamese single-object tracking core (ROS-free) and its ROS 2 adapter.

Sub-packages, lowest layer first (a package imports only from layers below it):
``core`` (types, crop, config, trackers); ``models`` (nn.Modules, checkpoints, network
backends, bundled files, OpenCV baselines) and ``data`` (sequences, frame sources); ``build``
(trackers assembled from configs); ``evaluation``; ``training`` and ``ros`` (the only one
importing rclpy); ``cli``. ``test/test_import_graph.py`` checks the order.
"""

__version__ = "0.1.0"
