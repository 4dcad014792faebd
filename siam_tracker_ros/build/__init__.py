"""Tracker assembly: configs (ours or PySOT's) + models -> ready trackers.

:mod:`.factory` (``build_tracker``: config files, overrides, the long-term and verifier
wrappers), :mod:`.pysot_factory` (a PySOT experiment's tracker), :mod:`.networks` (the network a
core tracker runs, prepared for its runtime options), :mod:`.verifier` (the appearance
verifier with its model), :mod:`.spec` (:class:`TrackerSpec`: the one way to name and build a
tracker; importing the package loads only this, no torch). Imports ``core`` and ``models``; evaluation, training, the CLI and
the ROS node build their trackers here.
"""

from .spec import DEFAULT_EXACT, TrackerSpec, default_name, make_tracker_spec

__all__ = ["DEFAULT_EXACT", "TrackerSpec", "default_name", "make_tracker_spec"]
