"""Pure, seeded mask generators, one module per family (dense, conv, recurrent). Every function *returns the
mask*; applying it is a separate step (:mod:`dropviz.layers`), so a page can draw exactly what a layer applied.
``p`` is always the DROP probability. Imports torch only."""

from dropviz._validate import check_p, make_generator
from dropviz.masks.conv import (
    CUTOUT_SHAPES,
    CutoutShape,
    Holes,
    MaxDropMask,
    cutout_length,
    cutout_mask,
    dropblock_expected_rate,
    dropblock_gamma,
    dropblock_mask,
    expand_blocks,
    hole_extent,
    maxdrop_mask,
    pixel_mask,
    spatial_mask,
)
from dropviz.masks.dense import (
    WeightMask,
    bernoulli_mask,
    dropconnect_mask,
    gaussian_mask,
    gaussian_std,
    standout_keep_prob,
    standout_mask,
)
from dropviz.masks.recurrent import (
    GATES,
    WIRES,
    MaskSchedule,
    embedding_mask,
    naive_schedule,
    per_sequence_mask,
    per_step_mask,
    rnndrop_schedule,
    semeniuta_schedule,
    token_mask,
    variational_schedule,
    zaremba_schedule,
)

__all__ = [
    "CUTOUT_SHAPES", "GATES", "WIRES", "CutoutShape", "Holes", "MaskSchedule", "MaxDropMask", "WeightMask",
    "bernoulli_mask", "check_p", "cutout_length", "cutout_mask", "dropblock_expected_rate", "dropblock_gamma",
    "dropblock_mask", "dropconnect_mask", "embedding_mask", "expand_blocks", "gaussian_mask", "gaussian_std",
    "hole_extent", "make_generator", "maxdrop_mask", "naive_schedule", "per_sequence_mask", "per_step_mask",
    "pixel_mask", "rnndrop_schedule", "semeniuta_schedule", "spatial_mask", "standout_keep_prob", "standout_mask",
    "token_mask", "variational_schedule", "zaremba_schedule",
]
