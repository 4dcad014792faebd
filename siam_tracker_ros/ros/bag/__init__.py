"""Rosbag tools (rosbags-based; ``record`` and ``play`` also need rclpy): reading and writing
bags (``io``), message types (``types``, ``msg_definitions``), making bags from sequences
(``make``), replaying them through the node's code path (``eval``), scoring (``scoring``),
and playing / recording on a live graph (``play``, ``record``, ``graph``)."""
