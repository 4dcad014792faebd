"""pip install of the ROS-free core library and the ``siam-track`` CLI (colcon uses CMakeLists.txt)."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent


def share_files(*folders):
    """(install dir, files) pairs placing each bundled folder under share/siam_tracker/, the
    same layout a ROS install has, where the factory and the reference weights look."""
    pairs = {}
    for folder in folders:
        for path in sorted((HERE / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                rel = path.relative_to(HERE)
                pairs.setdefault(str(Path("share/siam_tracker") / rel.parent), []).append(str(rel))
    return sorted(pairs.items())


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
        "siam_tracker_node = siam_tracker_ros.ros.node_main:main",
    ]},
    data_files=share_files("config", "models", "launch"),
)
