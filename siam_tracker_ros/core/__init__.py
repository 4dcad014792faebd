"""ROS-free tracking core: result types, box conventions, the crop, configs and trackers."""
