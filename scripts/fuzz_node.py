#!/usr/bin/env python3
"""Fuzz the running siam_tracker node (a real ``siam_tracker_node`` process) over DDS and print a
table: random and malformed Image, CompressedImage, Detection2D and Detection2DArray messages
and ~/init, ~/reset, ~/enable calls; then check that every kind of bad input is counted in
~/status, and that the node still tracks a good stream.

Two node processes in turn: one with raw images (``image``), one with ``image_transport:
compressed`` (``image/compressed``); ``--messages`` are split between them by ``--compressed-share``.

Phases per node:
  bulk     seeded random messages at up to ``--rate`` per second (after each chunk of 100 the
           fuzzer lets the node drain: it waits until ~/status has been quiet for 30 ms);
           every encoding, wrong step, short data, zero and huge sizes, NaN/inf boxes, stamps
           going backwards / stale / zero / invalid, frame size changes while tracking, random
           service calls (~/enable false/true now and then).
  counted  each kind of bad input sent alone, waiting for its acknowledgement: ~/status
           frames_dropped must grow (images) or last_error say "refused" (boxes, ~/init).
  tracks   ~/enable true, ~/reset, a 150-frame synthetic stream at 30 Hz with a stamped init
           box: mean IoU of the published detections against ground truth.
Pass = the node process never exits, answers every service call, counts every acknowledged bad
input, tracks afterwards (mean IoU >= 0.5) and exits 0 on SIGINT.

    source scripts/activate_env.sh .venv
    nice -n 10 python scripts/fuzz_node.py --messages 100000
"""
from __future__ import annotations

import argparse
import array
import math
import os
import sys
import threading
import time
from collections import Counter
from typing import Any, Callable, Dict, List, Optional, Tuple

import cv2
import numpy as np

from siam_tracker_ros.ros.stamps import set_stamp_ns, stamp_to_ns

NS = 1_000_000_000
GOOD_ENCODINGS = ("rgb8", "bgr8", "8UC3", "rgba8", "bgra8", "mono8", "mono16", "bayer_rggb8",
                  "bayer_bggr8", "bayer_gbrg8", "bayer_grbg8", "yuv422", "yuv422_yuy2")
LAYOUT = {"rgb8": (3, 1), "bgr8": (3, 1), "8UC3": (3, 1), "rgba8": (4, 1), "bgra8": (4, 1),
          "mono8": (1, 1), "mono16": (1, 2), "bayer_rggb8": (1, 1), "bayer_bggr8": (1, 1),
          "bayer_gbrg8": (1, 1), "bayer_grbg8": (1, 1), "yuv422": (2, 1), "yuv422_yuy2": (2, 1)}
BAD_ENCODINGS = ("", "garbage", "16UC1", "32FC1", "bgr16", "rgb16", "jpeg", "BGR8", "mono 8",
                 "x" * 300, "8UC1", "64FC4", "nv12", "héllo")
UINT32_MAX = 2 ** 32 - 1


# ------------------------------------------------------------------------------ generators
class Generator:
    """Seeded random messages. ``good_hw`` is the size of the current good stream."""

    def __init__(self, seed: int) -> None:
        from sensor_msgs.msg import CompressedImage, Image
        from vision_msgs.msg import Detection2D, Detection2DArray, ObjectHypothesisWithPose

        self.Image, self.CompressedImage = Image, CompressedImage
        self.Detection2D, self.Detection2DArray = Detection2D, Detection2DArray
        self.Hypothesis = ObjectHypothesisWithPose
        self.rng = np.random.default_rng(seed)
        self.good_hw = (120, 160)
        self.recent_stamps: List[int] = []
        self.blobs = self._compressed_pool()

    # -- stamps
    def stamp(self) -> int:
        """Mostly now; sometimes backwards, stale, zero, future, or a recent frame's stamp."""
        r = self.rng.random()
        now = time.time_ns()
        if r < 0.70:
            return now
        if r < 0.78:
            return now - int(self.rng.integers(1, 500)) * 1_000_000      # backwards, fresh
        if r < 0.86:
            return now - int(self.rng.integers(2, 10_000)) * NS           # stale
        if r < 0.91:
            return 0
        if r < 0.95:
            return now + int(self.rng.integers(1, 100)) * NS              # future
        if r < 0.98 and self.recent_stamps:
            return int(self.rng.choice(self.recent_stamps))
        return int(self.rng.integers(0, 2 ** 62))                       # anything

    def _set_stamp(self, header, stamp: int, allow_invalid: bool = True) -> None:
        sec, nanosec = divmod(stamp, NS)
        header.stamp.sec = int(min(sec, 2 ** 31 - 1))
        header.stamp.nanosec = int(nanosec)
        if allow_invalid and self.rng.random() < 0.02:
            header.stamp.nanosec = int(self.rng.integers(NS, UINT32_MAX))  # invalid nanosec
        if self.rng.random() < 0.05:
            header.frame_id = "".join(chr(int(c)) for c in self.rng.integers(32, 127, 40))

    # -- raw images
    def good_image(self, stamp: Optional[int] = None, hw: Optional[Tuple[int, int]] = None,
                   encoding: Optional[str] = None, padding: int = 0):
        h, w = hw or self.good_hw
        enc = encoding or str(self.rng.choice(GOOD_ENCODINGS))
        if enc.startswith("yuv422") and w % 2:
            w += 1
        channels, depth = LAYOUT[enc]
        step = w * channels * depth + padding
        msg = self.Image(height=h, width=w, encoding=enc, step=step,
                         is_bigendian=int(self.rng.integers(0, 2)) if depth == 2 else 0)
        msg.data = array.array("B", self.rng.integers(0, 256, step * h, np.uint8).tobytes())
        self._set_stamp(msg.header, time.time_ns() if stamp is None else stamp, False)
        return msg

    def random_image(self):
        """A random, usually malformed, sensor_msgs/Image."""
        rng = self.rng
        kind = rng.integers(0, 10)
        h, w = (int(v) for v in rng.integers(0, 64, 2))
        enc = str(rng.choice(GOOD_ENCODINGS + BAD_ENCODINGS))
        channels, depth = LAYOUT.get(enc, (int(rng.integers(1, 5)), 1))
        row = w * channels * depth
        step, size = row, row * h
        if kind == 0:                                   # zero size
            h, w = (0, w) if rng.random() < 0.5 else (h, 0)
        elif kind == 1:                                 # step too small
            step = max(0, row - int(rng.integers(1, max(2, row + 1))))
            size = step * h
        elif kind == 2:                                 # short data
            size = int(rng.integers(0, max(1, row * h)))
        elif kind == 3:                                 # huge declared size, little data
            h, w = int(rng.integers(1, UINT32_MAX)), int(rng.integers(1, UINT32_MAX))
            step = int(rng.integers(0, UINT32_MAX))
            size = int(rng.integers(0, 4096))
        elif kind == 4:                                 # padding / longer data than needed
            step = row + int(rng.integers(0, 64))
            size = step * h + int(rng.integers(0, 256))
        elif kind == 5:                                 # random everything
            step, size = int(rng.integers(0, 5000)), int(rng.integers(0, 5000))
        elif kind == 6:                                 # odd width YUV
            enc, w = "yuv422", int(rng.integers(0, 32)) * 2 + 1
            step, size = w * 2, w * 2 * h
        # kind 7..9: consistent geometry (valid when the encoding is)
        msg = self.Image(height=h, width=w, encoding=enc, step=step,
                         is_bigendian=int(rng.integers(0, 256)))
        msg.data = array.array("B", rng.integers(0, 256, size, np.uint8).tobytes())
        self._set_stamp(msg.header, self.stamp())
        return msg

    # -- compressed
    def _compressed_pool(self) -> List[Tuple[str, bytes]]:
        rng, pool = self.rng, []
        for h, w in ((1, 1), (7, 5), (48, 64), (120, 160), (240, 320)):
            img = rng.integers(0, 256, (h, w, 3), np.uint8)
            pool.append(("jpeg", cv2.imencode(".jpg", img)[1].tobytes()))
            pool.append(("png", cv2.imencode(".png", img)[1].tobytes()))
            pool.append(("png", cv2.imencode(".png", img[:, :, 0])[1].tobytes()))
            pool.append(("png", cv2.imencode(".png", cv2.cvtColor(img, cv2.COLOR_BGR2BGRA))[1].tobytes()))
            pool.append(("png", cv2.imencode(".png", (img[:, :, 0].astype(np.uint16) * 257))[1].tobytes()))
            pool.append(("tiff", cv2.imencode(".tiff", img.astype(np.float32))[1].tobytes()))
        return pool

    def compressed(self, good: bool = False, stamp: Optional[int] = None):
        rng = self.rng
        msg = self.CompressedImage()
        fmt, data = self.blobs[int(rng.integers(0, len(self.blobs)))]
        kind = 0 if good else int(rng.integers(0, 6))
        if kind == 1:
            data = b""
        elif kind == 2:
            data = data[: int(rng.integers(0, max(1, len(data))))]      # truncated
        elif kind == 3:
            data = rng.integers(0, 256, int(rng.integers(1, 4000)), np.uint8).tobytes()
        elif kind == 4:                                                 # corrupted body
            raw = bytearray(data)
            for _ in range(int(rng.integers(1, 20))):
                raw[int(rng.integers(0, len(raw)))] = int(rng.integers(0, 256))
            data = bytes(raw)
        msg.format = fmt if rng.random() < 0.8 else str(rng.choice(["", "jpeg", "png", "rgb8; jpeg compressed bgr8", "zzz"]))
        msg.data = array.array("B", data)
        self._set_stamp(msg.header, time.time_ns() if stamp is None else stamp, not good)
        return msg

    def good_compressed(self, stamp: int, frame: np.ndarray):
        msg = self.CompressedImage(format="jpeg")
        msg.data = array.array("B", cv2.imencode(".jpg", frame)[1].tobytes())
        self._set_stamp(msg.header, stamp, False)
        return msg

    # -- boxes
    def value(self, scale: float) -> float:
        r = self.rng.random()
        if r < 0.75:
            return float(self.rng.uniform(-0.2 * scale, 1.2 * scale))
        return float(self.rng.choice([math.nan, math.inf, -math.inf, 0.0, -1.0, 1e308, -1e308,
                                      5e-324, 1e9]))

    def detection(self):
        det = self.Detection2D()
        h, w = self.good_hw
        det.bbox.center.position.x, det.bbox.center.position.y = self.value(w), self.value(h)
        det.bbox.center.theta = self.value(7.0)
        det.bbox.size_x, det.bbox.size_y = self.value(w / 2), self.value(h / 2)
        if self.rng.random() < 0.05:
            det.bbox.size_x = det.bbox.size_y = 0.0                      # stop
        det.id = "" if self.rng.random() < 0.7 else "".join(
            chr(int(c)) for c in self.rng.integers(32, 127, int(self.rng.integers(1, 80))))
        for _ in range(int(self.rng.integers(0, 3))):
            hyp = self.Hypothesis()
            hyp.hypothesis.class_id = str(self.rng.choice(["", "person", "x" * 200]))
            hyp.hypothesis.score = self.value(1.0)
            det.results.append(hyp)
        self._set_stamp(det.header, self.stamp())
        return det

    def detection_array(self):
        arr = self.Detection2DArray()
        arr.detections = [self.detection() for _ in range(int(self.rng.integers(0, 6)))]
        self._set_stamp(arr.header, self.stamp())
        return arr


# ------------------------------------------------------------------------------ the fuzzer node
class Fuzzer:
    """Publishers, clients and recorders in this process, spinning on a background thread."""

    def __init__(self, namespace: str, compressed: bool) -> None:
        import rclpy
        from diagnostic_msgs.msg import DiagnosticArray
        from rclpy.executors import MultiThreadedExecutor
        from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
        from sensor_msgs.msg import CompressedImage, Image
        from std_srvs.srv import SetBool, Trigger
        from vision_msgs.msg import Detection2D, Detection2DArray

        from siam_tracker.msg import TrackerStatus
        from siam_tracker.srv import InitTarget

        self.node = rclpy.create_node("fuzzer", namespace=namespace)
        reliable = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE,
                              history=HistoryPolicy.KEEP_LAST)
        self.compressed = compressed
        self.image_pub = self.node.create_publisher(
            CompressedImage if compressed else Image,
            "image/compressed" if compressed else "image", reliable)
        self.init_pub = self.node.create_publisher(Detection2D, "init_box", reliable)
        self.inits_pub = self.node.create_publisher(Detection2DArray, "init_boxes", reliable)
        base = f"{namespace}/siam_tracker"
        self.lock = threading.Lock()
        self.statuses: List[Any] = []
        self.detections: Dict[int, Any] = {}
        self.diagnostics: Dict[str, str] = {}
        self.last_status_s = time.monotonic()
        self.node.create_subscription(TrackerStatus, f"{base}/status", self._on_status, reliable)
        self.node.create_subscription(Detection2D, f"{base}/detection", self._on_detection,
                                      reliable)
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diag, reliable)
        self.init_client = self.node.create_client(InitTarget, f"{base}/init")
        self.reset_client = self.node.create_client(Trigger, f"{base}/reset")
        self.enable_client = self.node.create_client(SetBool, f"{base}/enable")
        self.InitTarget, self.Trigger, self.SetBool = InitTarget, Trigger, SetBool
        self.executor = MultiThreadedExecutor(num_threads=2)
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def _on_status(self, msg) -> None:
        with self.lock:
            self.statuses.append(msg)
            self.last_status_s = time.monotonic()

    def _on_detection(self, msg) -> None:
        with self.lock:
            self.detections[stamp_to_ns(msg.header.stamp)] = msg

    def _on_diag(self, msg) -> None:
        for status in msg.status:
            if status.name.endswith(": tracker"):
                with self.lock:
                    self.diagnostics = {kv.key: kv.value for kv in status.values}

    def ready(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.image_pub.get_subscription_count() > 0 and \
                    self.init_pub.get_subscription_count() > 0 and \
                    all(c.service_is_ready() for c in (self.init_client, self.reset_client,
                                                       self.enable_client)):
                time.sleep(1.0)                 # the node's best_available may swap once
                return True
            time.sleep(0.05)
        return False

    def status_count(self) -> int:
        with self.lock:
            return len(self.statuses)

    def status_after(self, index: int, predicate: Callable[[Any], bool],
                     timeout_s: float) -> Optional[Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            with self.lock:
                found = next((m for m in self.statuses[index:] if predicate(m)), None)
            if found is not None or time.monotonic() > deadline:
                return found
            time.sleep(0.002)

    def drain(self, quiet_s: float = 0.03, max_s: float = 1.0) -> None:
        deadline = time.monotonic() + max_s
        while time.monotonic() < deadline:
            with self.lock:
                idle = time.monotonic() - self.last_status_s
            if idle >= quiet_s:
                return
            time.sleep(0.005)

    def call(self, client, request, timeout_s: float = 60.0):
        future = client.call_async(request)
        deadline = time.monotonic() + timeout_s
        while not future.done() and time.monotonic() < deadline:
            time.sleep(0.002)
        return future.result() if future.done() else None

    def close(self) -> None:
        self.executor.shutdown(timeout_sec=5.0)
        self.node.destroy_node()


def init_request(fuzzer: Fuzzer, box_xywh, stamp: int, label: str = ""):
    from siam_tracker_ros.ros.detection_conversion import box_xywh_to_bbox

    req = fuzzer.InitTarget.Request(bbox=box_xywh_to_bbox(box_xywh), target_label=label)
    set_stamp_ns(req.header.stamp, stamp)
    return req


# ------------------------------------------------------------------------------ phases
def bulk(fz: Fuzzer, gen: Generator, count: int, rate: float, sent: Counter,
         alive: Callable[[], bool]) -> Tuple[int, int]:
    """Random messages; returns (service calls made, service calls answered)."""
    rng = gen.rng
    pending: List[Any] = []
    futures: List[Any] = []
    calls = answered = 0
    period = 1.0 / rate
    next_s = time.monotonic()
    track_frames = 0
    for i in range(count):
        if i % 100 == 0:
            fz.drain()
            if not alive():
                break
            next_s = max(next_s, time.monotonic())
        if i and i % 20_000 == 0:                       # unload / reload the model now and then
            fz.call(fz.enable_client, fz.SetBool.Request(data=False))
            sent["srv ~/enable false"] += 1
            sent["image (while disabled)"] += 1
            fz.image_pub.publish(gen.good_compressed(time.time_ns(), np.zeros((24, 32, 3), np.uint8))
                                 if fz.compressed else gen.good_image())
            fz.call(fz.enable_client, fz.SetBool.Request(data=True), 120.0)
            sent["srv ~/enable true"] += 1
        delay = next_s - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        next_s += period
        r = rng.random()
        if track_frames > 0:                            # a tracking session in progress
            track_frames -= 1
            if rng.random() < 0.1:                      # a size change while tracking
                h, w = gen.good_hw
                hw = (h + int(rng.integers(1, 40)), w + int(rng.integers(-20, 40)))
                msg = (gen.good_compressed(time.time_ns(), np.zeros((hw[0], max(1, hw[1]), 3), np.uint8))
                       if fz.compressed else gen.good_image(hw=(hw[0], max(2, hw[1])), encoding="bgr8"))
                fz.image_pub.publish(msg)
                sent["image, size change while tracking"] += 1
            else:
                stamp = time.time_ns()
                frame = rng.integers(0, 256, gen.good_hw + (3,), np.uint8)
                msg = (gen.good_compressed(stamp, frame) if fz.compressed
                       else gen.good_image(stamp, encoding="bgr8"))
                fz.image_pub.publish(msg)
                gen.recent_stamps = (gen.recent_stamps + [stamp])[-30:]
                sent["image, good (tracking)"] += 1
            continue
        if r < 0.40:
            fz.image_pub.publish(gen.compressed() if fz.compressed else gen.random_image())
            sent["compressed, random/malformed" if fz.compressed else "image, random/malformed"] += 1
        elif r < 0.55:
            stamp = time.time_ns()
            if fz.compressed:
                fz.image_pub.publish(gen.compressed(good=True, stamp=stamp))
                sent["compressed, valid (any size/depth/format)"] += 1
            else:
                if rng.random() < 0.2:
                    gen.good_hw = (int(rng.integers(1, 300)), int(rng.integers(1, 400)))
                fz.image_pub.publish(gen.good_image(stamp, padding=int(rng.integers(0, 3)) * 4))
                sent["image, valid (every encoding, padding)"] += 1
            gen.recent_stamps = (gen.recent_stamps + [stamp])[-30:]
        elif r < 0.56:                                  # start a tracking session
            gen.good_hw = (int(rng.integers(60, 240)), int(rng.integers(80, 320)))
            stamp = time.time_ns()
            frame = rng.integers(0, 256, gen.good_hw + (3,), np.uint8)
            fz.image_pub.publish(gen.good_compressed(stamp, frame) if fz.compressed
                                 else gen.good_image(stamp, encoding="bgr8"))
            fz.drain()
            h, w = gen.good_hw
            det = gen.Detection2D()
            det.bbox.center.position.x, det.bbox.center.position.y = w / 2.0, h / 2.0
            det.bbox.size_x, det.bbox.size_y = w / 4.0, h / 4.0
            set_stamp_ns(det.header.stamp, stamp)
            fz.init_pub.publish(det)
            sent["init_box, valid (starts tracking)"] += 1
            track_frames = int(rng.integers(10, 40))
        elif r < 0.74:
            fz.init_pub.publish(gen.detection())
            sent["init_box Detection2D, random"] += 1
        elif r < 0.88:
            fz.inits_pub.publish(gen.detection_array())
            sent["init_boxes Detection2DArray, random"] += 1
        else:
            pending = [f for f in pending if not f.done()]
            while len(pending) >= 8 and alive():     # ROS 2 service QoS keeps 10 requests
                time.sleep(0.002)
                pending = [f for f in pending if not f.done()]
            calls += 1
            if r < 0.96:
                det = gen.detection()
                req = fz.InitTarget.Request(target_label=str(rng.choice(["", "dog"])))
                req.header, req.bbox = det.header, det.bbox
                future = fz.init_client.call_async(req)
                sent["srv ~/init, random"] += 1
            else:
                future = fz.reset_client.call_async(fz.Trigger.Request())
                sent["srv ~/reset"] += 1
            pending.append(future)
            futures.append(future)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(f.done() for f in futures):
        time.sleep(0.01)
    answered = sum(1 for f in futures if f.done() and f.result() is not None)
    return calls, answered


def counted(fz: Fuzzer, gen: Generator, per_kind: int) -> Dict[str, Tuple[int, int]]:
    """Each kind of bad input alone, ``per_kind`` times: (sent, acknowledged in ~/status)."""
    results: Dict[str, Tuple[int, int]] = {}
    rng = gen.rng

    def last_dropped() -> int:
        fz.drain()
        with fz.lock:
            return fz.statuses[-1].frames_dropped if fz.statuses else 0

    def image_case(name: str, make: Callable[[], Any]) -> None:
        ok = 0
        for _ in range(per_kind):
            before, index = last_dropped(), fz.status_count()
            fz.image_pub.publish(make())
            if fz.status_after(index, lambda m: m.frames_dropped > before, 5.0) is not None:
                ok += 1
        results[name] = (per_kind, ok)

    def box_case(name: str, make: Callable[[], Any], via_service: bool = False) -> None:
        ok = 0
        for _ in range(per_kind):
            fz.drain()
            index = fz.status_count()
            det = make()
            if via_service:
                req = fz.InitTarget.Request()
                req.header, req.bbox = det.header, det.bbox
                answer = fz.call(fz.init_client, req, 10.0)
                if answer is None or answer.success:
                    continue
            else:
                fz.init_pub.publish(det)
            if fz.status_after(index, lambda m: "refused" in m.last_error, 5.0) is not None:
                ok += 1
        results[name] = (per_kind, ok)

    fz.call(fz.enable_client, fz.SetBool.Request(data=True), 120.0)
    fz.call(fz.reset_client, fz.Trigger.Request())
    gen.good_hw = (120, 160)
    frame = np.zeros((120, 160, 3), np.uint8)
    frame[40:80, 60:100] = 255
    good_stamp = time.time_ns()
    fz.image_pub.publish(gen.good_compressed(good_stamp, frame) if fz.compressed
                         else gen.good_image(good_stamp, encoding="bgr8"))
    fz.drain()

    from siam_tracker_ros.ros.detection_conversion import box_xywh_to_bbox

    def det(box, stamp=0):
        d = gen.Detection2D(bbox=box_xywh_to_bbox(box))
        set_stamp_ns(d.header.stamp, stamp)
        return d

    if fz.compressed:
        image_case("compressed: empty", lambda: _compressed(gen, b"", "jpeg"))
        image_case("compressed: random bytes", lambda: _compressed(
            gen, rng.integers(0, 256, 500, np.uint8).tobytes(), "jpeg"))
        image_case("compressed: truncated jpeg", lambda: _compressed(gen, gen.blobs[18][1][:60], "jpeg"))
        image_case("compressed: float tiff", lambda: _compressed(gen, gen.blobs[5][1], "tiff"))
    else:
        image_case("image: unsupported encoding", lambda: _raw(gen, 10, 10, "32FC1", 40, 400))
        image_case("image: zero size", lambda: _raw(gen, 0, 10, "bgr8", 30, 0))
        image_case("image: step < row", lambda: _raw(gen, 10, 10, "bgr8", 29, 290))
        image_case("image: short data", lambda: _raw(gen, 10, 10, "rgb8", 30, 299))
        image_case("image: huge size", lambda: _raw(gen, UINT32_MAX, UINT32_MAX, "mono16",
                                                    UINT32_MAX, 64))
        image_case("image: odd-width yuv422", lambda: _raw(gen, 4, 5, "yuv422", 10, 40))
    image_case("image: stale stamp (10 s old)", lambda: (
        gen.good_compressed(time.time_ns() - 10 * NS, frame) if fz.compressed
        else gen.good_image(time.time_ns() - 10 * NS, encoding="bgr8")))
    box_case("init_box: NaN", lambda: det((math.nan, 10, 20, 20)))
    box_case("init_box: inf size", lambda: det((10, 10, math.inf, 20)))
    box_case("init_box: negative size", lambda: det((10, 10, -20, 20)))
    box_case("init_box: outside the frame", lambda: det((1000, 10, 20, 20)))
    box_case("init_box: unknown stamp", lambda: det((10, 10, 20, 20), 12_345))
    box_case("~/init: NaN (answer + status)", lambda: det((math.nan, 1, 2, 3)), via_service=True)
    # size change while tracking: start tracking on a fresh good frame (the first one may have
    # left the 2-s buffer), then frames of another size
    good_stamp = time.time_ns()
    fz.image_pub.publish(gen.good_compressed(good_stamp, frame) if fz.compressed
                         else gen.good_image(good_stamp, encoding="bgr8"))
    index = fz.status_count()
    fz.status_after(index, lambda m: stamp_to_ns(m.header.stamp) ==
                    good_stamp, 10.0)
    answer = fz.call(fz.init_client, init_request(fz, (60, 40, 40, 40), good_stamp), 10.0)
    if answer is not None and answer.success:
        index = fz.status_count()
        fz.status_after(index, lambda m: m.target_id == answer.target_id, 10.0)
        other = np.zeros((100, 140, 3), np.uint8)
        image_case("image: size change while tracking", lambda: (
            gen.good_compressed(time.time_ns(), other) if fz.compressed
            else gen.good_image(time.time_ns(), hw=(100, 140), encoding="bgr8")))
    else:
        print(f"  init for the size-change case refused: "
              f"{None if answer is None else answer.message}")
        results["image: size change while tracking"] = (per_kind, 0)
    return results


def _raw(gen: Generator, h: int, w: int, enc: str, step: int, size: int):
    msg = gen.Image(height=h, width=w, encoding=enc, step=step)
    msg.data = array.array("B", bytes(size))
    set_stamp_ns(msg.header.stamp, time.time_ns())
    return msg


def _compressed(gen: Generator, data: bytes, fmt: str):
    msg = gen.CompressedImage(format=fmt)
    msg.data = array.array("B", data)
    set_stamp_ns(msg.header.stamp, time.time_ns())
    return msg


def tracks(fz: Fuzzer, gen: Generator) -> Tuple[float, int, int]:
    """A good 150-frame stream with a stamped init box on frame 5: (mean IoU over frames with
    ground truth, frames published, frames with a detection)."""
    from siam_tracker_ros.core.boxes import box_iou
    from siam_tracker_ros.data.synthetic import generate_sequence
    from siam_tracker_ros.ros.sequence_player import demo_spec

    fz.call(fz.enable_client, fz.SetBool.Request(data=True), 120.0)
    fz.call(fz.reset_client, fz.Trigger.Request())
    seq = generate_sequence(demo_spec(seed=7, num_frames=150, frame_size_wh=(320, 240),
                                      out_of_view=()))
    stamps = []
    next_s = time.monotonic()
    for index in range(len(seq)):
        delay = next_s - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        stamp = time.time_ns()
        frame = seq.frames[index]
        if fz.compressed:
            fz.image_pub.publish(gen.good_compressed(stamp, frame))
        else:
            from siam_tracker_ros.ros.image_conversion import bgr_to_image

            msg = bgr_to_image(frame)
            set_stamp_ns(msg.header.stamp, stamp)
            fz.image_pub.publish(msg)
        stamps.append(stamp)
        if index == 10:
            answer = fz.call(fz.init_client, init_request(fz, seq.boxes_xywh[5], stamps[5]), 10.0)
            if answer is None or not answer.success:
                print(f"  init refused: {None if answer is None else answer.message}")
        next_s += 1.0 / 30.0
    time.sleep(1.0)
    ious = []
    with fz.lock:
        dets = dict(fz.detections)
    for index in range(6, len(seq)):
        det = dets.get(stamps[index])
        if det is None:
            continue
        c, w, h = det.bbox.center.position, det.bbox.size_x, det.bbox.size_y
        ious.append(box_iou((c.x - w / 2, c.y - h / 2, w, h), seq.boxes_xywh[index]))
    return (float(np.mean(ious)) if ious else 0.0), len(seq), len(ious)


# ------------------------------------------------------------------------------ main
def run_node(label: str, compressed: bool, messages: int, rate: float, per_kind: int, seed: int,
             log_dir: str) -> Dict[str, Any]:
    import rclpy

    from siam_tracker_ros.ros import node_process

    namespace = f"/fuzz_{os.getpid()}_{label}"
    extra = ["-p", "diagnostics_period_s:=0.2"]
    if compressed:
        extra += ["-p", "image_transport:=compressed"]
    log_path = os.path.join(log_dir, f"node_{label}.log")
    log = open(log_path, "w")
    proc = node_process.start_node(namespace, log, extra_ros_args=extra)
    rclpy.init()
    fz = Fuzzer(namespace, compressed)
    gen = Generator(seed)
    sent: Counter = Counter()
    out: Dict[str, Any] = {"label": label, "sent": sent, "log": log_path}
    started = time.monotonic()
    try:
        if not fz.ready(180.0):
            raise SystemExit(f"{label}: the node did not come up; log {log_path}:\n" +
                             open(log_path).read()[-3000:])
        t0 = time.monotonic()
        out["calls"], out["answered"] = bulk(fz, gen, messages, rate, sent,
                                             lambda: proc.poll() is None)
        out["bulk_s"] = time.monotonic() - t0
        fz.drain(0.2, 5.0)
        out["alive_after_bulk"] = proc.poll() is None
        with fz.lock:
            out["diag_after_bulk"] = dict(fz.diagnostics)
        out["counted"] = counted(fz, gen, per_kind) if proc.poll() is None else {}
        out["iou"], out["track_frames"], out["track_detected"] = (
            tracks(fz, gen) if proc.poll() is None else (0.0, 0, 0))
        time.sleep(0.5)
        with fz.lock:
            out["diag_end"] = dict(fz.diagnostics)
            out["statuses"] = len(fz.statuses)
            out["last_error"] = fz.statuses[-1].last_error if fz.statuses else ""
        out["alive_before_stop"] = proc.poll() is None
    finally:
        out["exit_code"] = node_process.stop_node(proc)
        out["total_s"] = time.monotonic() - started
        fz.close()
        rclpy.try_shutdown()
        log.close()
    with open(log_path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    out["tracebacks"] = text.count("Traceback")
    out["worker_errors"] = text.count("worker error") + text.count("tracker failed on a frame")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--compressed-share", type=float, default=0.25)
    parser.add_argument("--rate", type=float, default=400.0, help="max messages per second")
    parser.add_argument("--per-kind", type=int, default=30, help="acknowledged sends per bad kind")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from siam_tracker_ros.ros.transport_env import apply_large_image_transport

    from siam_tracker_ros.ros.node_process import script_ros_env

    apply_large_image_transport()
    log_dir = script_ros_env("siam_fuzz_")
    n_compressed = int(round(args.messages * args.compressed_share))
    runs = []
    started = time.monotonic()
    load0 = os.getloadavg()
    for label, compressed, count in (("raw", False, args.messages - n_compressed),
                                     ("compressed", True, n_compressed)):
        if count <= 0:
            continue
        print(f"fuzzing the {label} node with {count} messages ...", flush=True)
        runs.append(run_node(label, compressed, count, args.rate, args.per_kind,
                             args.seed + len(runs), log_dir))
    total_s = time.monotonic() - started
    ok = True
    for run in runs:
        sent = run["sent"]
        diag = run.get("diag_after_bulk", {})
        print(f"\n== {run['label']} node: bulk {sum(sent.values())} messages in "
              f"{run.get('bulk_s', float('nan')):.0f} s ==")
        print(f"{'message kind':45s} {'sent':>7s}")
        for kind, n in sorted(sent.items()):
            print(f"{kind:45s} {n:>7d}")
        print(f"{'service calls answered':45s} {run.get('answered', 0):>7d} / {run.get('calls', 0)}")
        keys = ("frames_received", "frames_processed", "frames_dropped_bad_input",
                "frames_dropped_stale", "frames_dropped_busy")
        print("node /diagnostics after bulk: " + ", ".join(f"{k} {diag.get(k, '?')}" for k in keys))
        print(f"\n{'bad input alone (acknowledged)':45s} {'sent':>5s} {'counted in ~/status':>20s}")
        for kind, (n, acked) in run.get("counted", {}).items():
            print(f"{kind:45s} {n:>5d} {acked:>20d}")
            ok &= acked == n
        alive = run.get("alive_after_bulk") and run.get("alive_before_stop")
        print(f"\nnode alive throughout: {alive}; exit code on SIGINT: {run['exit_code']}; "
              f"tracebacks in its log: {run['tracebacks']}; worker errors: {run['worker_errors']}")
        print(f"good stream afterwards: mean IoU {run.get('iou', 0):.3f} over "
              f"{run.get('track_detected', 0)} detected of {run.get('track_frames', 0)} frames")
        ok &= bool(alive) and run["exit_code"] == 0 and run["tracebacks"] == 0 \
            and run.get("iou", 0) >= 0.5 and run.get("answered", 0) == run.get("calls", -1)
    total = sum(sum(r["sent"].values()) for r in runs)
    print(f"\n{total} bulk messages + acknowledged phase in {total_s:.0f} s; load average before "
          f"{' '.join(f'{v:.1f}' for v in load0)}, after "
          f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}; logs {log_dir}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
