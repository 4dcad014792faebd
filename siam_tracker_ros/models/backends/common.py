"""What every network runner shares: the unavailable-runtime error and the thread count."""
from __future__ import annotations

import os
from typing import Optional

import torch

from ...core.errors import ConfigError


class BackendUnavailable(ConfigError):
    """The requested runtime is not installed or has no usable device here."""


def threads_or_default(num_threads: Optional[int]) -> int:
    """Explicit thread count, else torch's current one (the tracker sets it from options)."""
    return int(num_threads) if num_threads else max(1, torch.get_num_threads() or os.cpu_count() or 1)
