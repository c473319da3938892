"""Dropout layers for your own torch code, one module per family, timm/torchvision style: a functional form per
method plus a thin ``nn.Module`` whose training rule is one call to it. ``p`` is the drop probability; every
layer takes an optional ``generator`` and keeps its last mask in ``last_mask``. Imports torch only.

    >>> from dropviz.layers import DropBlock2d
    >>> y = DropBlock2d(p=0.2, block_size=5)(torch.rand(8, 16, 32, 32))
"""

from dropviz.layers._base import MaskLayer
from dropviz.layers.bayesian import LinearSVDO, MCDropout, WeightNormLinear
from dropviz.layers.conv import (
    Applied,
    Cutout,
    DropBlock2d,
    MaxDrop2d,
    MaxPoolDropout2d,
    Settings,
    SpatialDropout2d,
    apply_cutout,
    apply_dropblock,
    apply_maxdrop,
    apply_maxpool,
    apply_pixel,
    apply_spatial,
    cutout,
    drop_block2d,
    fit_window,
    max_drop2d,
    maxpool_dropout,
    probabilistic_weighted_pool,
    pwp_weights,
    scaled_max_pool,
    spatial_dropout2d,
)
from dropviz.layers.dense import (
    BatchDropout,
    DropConnectLinear,
    Dropout,
    GaussianDropout,
    StandoutLinear,
    batch_dropout,
    dropconnect_forward,
    dropconnect_gaussian_inference,
    dropconnect_linear,
    dropconnect_moments,
    dropout,
    gaussian_dropout,
    standout,
)
from dropviz.layers.recurrent import (
    DropoutLSTM,
    EmbeddingDropout,
    LSTMOutput,
    MaskedLSTM,
    embedding_dropout,
    input_projection,
    lstm_forward,
)

__all__ = [
    "Applied", "BatchDropout", "Cutout", "DropBlock2d", "DropConnectLinear", "Dropout", "DropoutLSTM",
    "EmbeddingDropout", "GaussianDropout", "LSTMOutput", "LinearSVDO", "MCDropout", "WeightNormLinear",
    "MaskLayer", "MaskedLSTM", "MaxDrop2d", "MaxPoolDropout2d", "Settings",
    "SpatialDropout2d", "StandoutLinear", "apply_cutout", "apply_dropblock", "apply_maxdrop",
    "apply_maxpool", "apply_pixel", "apply_spatial", "batch_dropout", "cutout", "drop_block2d", "dropconnect_forward",
    "dropconnect_gaussian_inference", "dropconnect_linear", "dropconnect_moments", "dropout", "embedding_dropout",
    "fit_window", "gaussian_dropout", "input_projection", "lstm_forward", "max_drop2d", "maxpool_dropout",
    "probabilistic_weighted_pool", "pwp_weights", "scaled_max_pool", "spatial_dropout2d", "standout",
]
