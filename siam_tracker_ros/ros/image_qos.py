"""Reliability of the node's image subscription (parameter ``image_reliability``).

``best_available`` (the default) follows the rule of ROS 2 Jazzy's
``ReliabilityPolicy.BEST_AVAILABLE``: reliable when every publisher of the topic offers reliable
(``image_transport``'s default, most camera drivers), else best effort (a best-effort camera,
or a mix). rmw applies that rule once, when the subscription is created, and with no publisher
yet it picks reliable, which then never matches a best-effort camera started after the node. So
the node applies the rule itself (:func:`resolve_reliability`) and re-applies it whenever the
publishers of the topic change, with best effort (which matches any publisher) while there is
none. That needs only ``Node.get_publishers_info_by_topic``, so it works on Humble too (whose
rclpy has no BEST_AVAILABLE); without it the node stays best effort.
"""
from __future__ import annotations

import collections
from typing import Any, Callable, Deque, List, Sequence, Tuple

from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy

from .stamps import stamp_to_ns

BEST_AVAILABLE = "best_available"
RELIABLE = "reliable"
BEST_EFFORT = "best_effort"


def can_follow_publishers(node: Any) -> bool:
    """True when ``node`` can list the publishers of a topic with their QoS."""
    return callable(getattr(node, "get_publishers_info_by_topic", None))


def resolve_reliability(setting: str, offered: Sequence[str]) -> str:
    """``reliable`` or ``best_effort`` for a subscription whose parameter is ``setting``, given
    the reliability each publisher of the topic offers (``offered``, one entry per publisher)."""
    if setting != BEST_AVAILABLE:
        return setting
    if offered and all(value == RELIABLE for value in offered):
        return RELIABLE
    return BEST_EFFORT


def offered_reliabilities(node: Any, topic: str) -> List[str]:
    """Reliability offered by each publisher of the (fully resolved) ``topic``, lower case
    (``reliable``, ``best_effort``, ``system_default``, ...)."""
    out = []
    for info in node.get_publishers_info_by_topic(topic):
        policy = info.qos_profile.reliability
        out.append(getattr(policy, "name", str(policy)).lower())
    return out


def image_qos(reliability: str) -> QoSProfile:
    """QoS of the image subscription: depth 1, keep last, ``reliable`` or ``best_effort``."""
    policy = ReliabilityPolicy.RELIABLE if reliability == RELIABLE else ReliabilityPolicy.BEST_EFFORT
    return QoSProfile(depth=1, reliability=policy, history=HistoryPolicy.KEEP_LAST)


class ImageSubscription:
    """The node's image subscription. With ``best_available`` it follows the publishers of the
    topic: :meth:`follow` (called periodically, in the image callback's mutually exclusive
    group) re-resolves the reliability and swaps the subscription when it changes.

    The swap is make-before-break: the new subscription is created first, both deliver for a
    while (a frame that arrives through both is passed on once, by its stamp), and the old one
    is destroyed once the new one has delivered a frame or has matched every publisher at two
    checks in a row. No frame is lost to the swap and none is seen twice."""

    def __init__(self, node: Any, msg_type: Any, topic: str, setting: str,
                 callback: Callable[[Any], None], callback_group: Any) -> None:
        self._node, self._msg_type, self._topic = node, msg_type, topic
        self._callback, self._group = callback, callback_group
        self.setting = setting
        self.following = setting == BEST_AVAILABLE and can_follow_publishers(node)
        self._current: Any = None
        self._retiring: Any = None
        self._generation = 0
        self._current_delivered = False
        self._matched_checks = 0
        self._recent: Deque[Tuple[int, int]] = collections.deque(maxlen=64)
        self.reliability = ""
        self._subscribe(BEST_EFFORT if setting == BEST_AVAILABLE else setting)

    @property
    def topic_name(self) -> str:
        """Fully resolved topic name (remappings and namespace applied)."""
        return self._current.topic_name

    def _subscribe(self, reliability: str) -> None:
        if self._retiring is not None:
            self._node.destroy_subscription(self._retiring)
        self._retiring = self._current
        self._generation += 1
        generation = self._generation
        self._current = self._node.create_subscription(
            self._msg_type, self._topic, lambda msg: self._deliver(generation, msg),
            image_qos(reliability), callback_group=self._group)
        self.reliability = reliability
        self._current_delivered, self._matched_checks = False, 0
        self._recent.clear()

    def _deliver(self, generation: int, msg: Any) -> None:
        if self._retiring is not None:            # two subscriptions: pass each frame on once
            stamp = stamp_to_ns(msg.header.stamp)
            if stamp:
                if stamp in self._recent:
                    return
                self._recent.append(stamp)
            if generation == self._generation:
                self._current_delivered = True
        self._callback(msg)

    def follow(self) -> str:
        """Re-resolve best_available against the publishers now; returns a log line when the
        subscription was swapped (else "")."""
        if not self.following:
            return ""
        offered = offered_reliabilities(self._node, self.topic_name)
        if self._retiring is not None:
            matched = self._current.get_publisher_count() >= len(offered)
            self._matched_checks = self._matched_checks + 1 if matched else 0
            if self._current_delivered or self._matched_checks >= 2:
                self._node.destroy_subscription(self._retiring)
                self._retiring = None
                self._recent.clear()
        wanted = resolve_reliability(BEST_AVAILABLE, offered)
        if wanted == self.reliability:
            return ""
        self._subscribe(wanted)
        return (f"image subscription now {wanted}: {len(offered)} publisher(s) of "
                f"{self.topic_name} offer {', '.join(sorted(set(offered))) or 'nothing'}")
