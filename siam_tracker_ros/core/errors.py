"""Exception types. Every message is one readable line a CLI can print as is."""


class SiamTrackerError(Exception):
    """Base class of every error this package raises on purpose."""


class InvalidInputError(SiamTrackerError, ValueError):
    """A frame, box or other runtime input cannot be used (NaN, outside the frame, empty ...)."""


class ConfigError(SiamTrackerError, ValueError):
    """A configuration file or value is invalid (unknown key, wrong type, out of range)."""


class CheckpointError(SiamTrackerError):
    """A checkpoint is missing, unreadable or does not fit the model built from the config."""


class NotInitializedError(SiamTrackerError, RuntimeError):
    """A tracker was asked to track (or search) before ``initialize`` gave it a target."""
