"""Message definitions that the stock rosbags typestores lack, as ``.msg`` field lines.

- vision_msgs 4.1.1 (the layouts of ``ros_env/vision_msgs/msg``, wire-identical to upstream: the
  RIHS01 hashes equal upstream's on Jazzy, see test/ros/test_bag_types.py);
- ``siam_tracker/msg/TrackerStatus`` (``msg/TrackerStatus.msg``).

Kept in the package (comments stripped) so bag tools work from a plain pip install, where neither
folder exists; test/ros/test_bag_types.py checks the lines equal the source files'.
"""
from __future__ import annotations

from typing import Dict

VISION_MSGS: Dict[str, str] = {
    "vision_msgs/msg/BoundingBox2D": """\
vision_msgs/Pose2D center
float64 size_x
float64 size_y
""",
    "vision_msgs/msg/BoundingBox2DArray": """\
std_msgs/Header header
vision_msgs/BoundingBox2D[] boxes
""",
    "vision_msgs/msg/Classification": """\
std_msgs/Header header
vision_msgs/ObjectHypothesis[] results
""",
    "vision_msgs/msg/Detection2D": """\
std_msgs/Header header
vision_msgs/ObjectHypothesisWithPose[] results
vision_msgs/BoundingBox2D bbox
string id
""",
    "vision_msgs/msg/Detection2DArray": """\
std_msgs/Header header
vision_msgs/Detection2D[] detections
""",
    "vision_msgs/msg/LabelInfo": """\
std_msgs/Header header
vision_msgs/VisionClass[] class_map
float32 threshold
""",
    "vision_msgs/msg/ObjectHypothesis": """\
string class_id
float64 score
""",
    "vision_msgs/msg/ObjectHypothesisWithPose": """\
vision_msgs/ObjectHypothesis hypothesis
geometry_msgs/PoseWithCovariance pose
""",
    "vision_msgs/msg/Point2D": """\
float64 x
float64 y
""",
    "vision_msgs/msg/Pose2D": """\
vision_msgs/Point2D position
float64 theta
""",
    "vision_msgs/msg/VisionClass": """\
uint16 class_id
string class_name
""",
    "vision_msgs/msg/VisionInfo": """\
std_msgs/Header header
string method
string database_location
int32 database_version
""",
}

SIAM_TRACKER_MSGS: Dict[str, str] = {
    "siam_tracker/msg/TrackerStatus": """\
uint8 STATE_IDLE=0
uint8 STATE_TRACKING=1
uint8 STATE_UNCERTAIN=2
uint8 STATE_LOST=3
uint8 STATE_SEARCHING=4
std_msgs/Header header
uint8 state
float32 confidence
string target_id
uint32 frames_since_seen
float32 latency_ms
uint64 frames_processed
uint64 frames_dropped
bool enabled
bool mask_from_box
string last_error
""",
}


def definition_lines(text: str) -> list:
    """The field/constant lines of a ``.msg`` text: comments and blank lines dropped, each line
    stripped and its inner whitespace collapsed."""
    lines = []
    for line in text.splitlines():
        code = line.split("#", 1)[0].strip()
        if code:
            lines.append(" ".join(code.split()))
    return lines
