"""Sequences with ground truth: the shared :class:`Sequence` type and synthetic sequences."""
