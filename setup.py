"""pip install of the ROS-free core library and the ``siam-track`` CLI (colcon uses CMakeLists.txt)."""
from setuptools import find_packages, setup

setup(
    name="siam_tracker_ros",
    version="0.1.0",
    description="Siamese single-object trackers (SiamFC/SiamRPN/DaSiamRPN/SiamRPN++/SiamMask) "
                "with long-term re-detection, and a ROS 2 node",
    packages=find_packages(include=["siam_tracker_ros", "siam_tracker_ros.*"]),
    python_requires=">=3.10",
    install_requires=[
        "numpy>=1.21",
        "torch>=2.0",
        "opencv-contrib-python-headless>=4.5,<5",
        "pyyaml>=5.4",
        "tqdm>=4.60",
        "matplotlib>=3.5",
    ],
    extras_require={"bags": ["rosbags>=0.11"]},
    entry_points={"console_scripts": [
        "siam-track = siam_tracker_ros.cli:main",
        "siam_tracker_node = siam_tracker_ros.ros.node:main",
    ]},
    include_package_data=True,
)
