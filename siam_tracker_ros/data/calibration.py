"""Calibration inputs for int8 quantisation: search and template crops of one seeded synthetic
sequence (textured target and background, :mod:`.synthetic`; nothing is downloaded), in the
trackers' network input layout (float32 BGR 0..255, N x 3 x S x S)."""
from __future__ import annotations

import numpy as np

from ..core.boxes import context_side
from ..core.crop import channel_mean, crop_patch
from .synthetic import SyntheticSpec, generate_sequence

# calibration: crops of one seeded synthetic sequence, around the target and off it
CALIBRATION_SEED = 20261205
CALIBRATION_CROPS = 12


def calibration_crops(exemplar_size: int = 127, instance_size: int = 255, count: int = CALIBRATION_CROPS,
                      seed: int = CALIBRATION_SEED) -> tuple:
    """(template (1, 3, E, E), [search (1, 3, S, S)] * count) float32 BGR 0..255 arrays: the
    template around the target of frame 0, search windows around the target (and, every third
    one, off it) of later frames, at the tracker's context (side = 2x the target's context
    side for a search crop)."""
    seq = generate_sequence(SyntheticSpec(seed=seed, num_frames=count + 1, frame_size_wh=(640, 480),
                                          target_size_wh=(72, 60), speed_px=6.0, distractors=2,
                                          scale_range=(1.0, 1.4), illumination_change=0.3,
                                          name="int8-calibration"))
    rng = np.random.default_rng(seed)

    def crop(index: int, centre, out_size: int, box) -> np.ndarray:
        frame = np.ascontiguousarray(seq.frames[index])
        side = context_side((float(box[2]), float(box[3]))) * out_size / exemplar_size
        patch, _ = crop_patch(frame, centre, max(1, int(round(side))), out_size,
                              channel_mean(frame))
        return np.ascontiguousarray(patch.transpose(2, 0, 1)[None], dtype=np.float32)

    box0 = seq.boxes_xywh[0]
    template = crop(0, (box0[0] + box0[2] / 2, box0[1] + box0[3] / 2), exemplar_size, box0)
    searches = []
    for index in range(1, count + 1):
        box = seq.boxes_xywh[index]
        centre = np.array([box[0] + box[2] / 2, box[1] + box[3] / 2])
        if not np.isfinite(centre).all():
            box, centre = box0, np.array([320.0, 240.0])
        if index % 3 == 0:
            centre = centre + rng.uniform(-0.6, 0.6, 2) * instance_size
        searches.append(crop(index, centre, instance_size, box))
    return template, searches


__all__ = ["CALIBRATION_CROPS", "CALIBRATION_SEED", "calibration_crops"]
