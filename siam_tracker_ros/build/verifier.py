"""Wrap a searchable tracker in the appearance verifier, with its verification model."""
from __future__ import annotations

from ..core.appearance_verifier import AppearanceVerifiedTracker, VerifierConfig
from ..core.config import RuntimeOptions
from ..core.tracker import SearchableTracker
from ..models.parameter_free import build_parameter_free_model


def appearance_verified(base: SearchableTracker, cfg: VerifierConfig = VerifierConfig(),
                        options: RuntimeOptions = RuntimeOptions()) -> AppearanceVerifiedTracker:
    """``base`` verified by the parameter-free model's appearance match (windows with the
    base's template geometry)."""
    return AppearanceVerifiedTracker(base, build_parameter_free_model(), cfg, options)


__all__ = ["appearance_verified"]
