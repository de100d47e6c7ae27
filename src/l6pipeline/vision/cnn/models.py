"""The lesson's small CNN: stride-2 3x3 convolutions, batch norm, ReLU, our dropout, pooling.

fast.ai's ``simple_cnn`` built from ``conv_layer`` blocks (conv -> BatchNorm -> ReLU), ending
like its ``create_head``: adaptive average pooling, dropout and a linear layer.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from l6pipeline.core.nn.dropout import Dropout


def conv_block(c_in: int, c_out: int, stride: int = 2, batch_norm: bool = True) -> nn.Sequential:
    """3x3 convolution (padding 1) -> [``BatchNorm2d``] -> ReLU (fast.ai's ``conv_layer``).

    No conv bias when BN follows it.
    """
    layers: list[nn.Module] = [
        nn.Conv2d(c_in, c_out, kernel_size=3, stride=stride, padding=1, bias=not batch_norm)
    ]
    if batch_norm:
        layers.append(nn.BatchNorm2d(c_out))
    layers.append(nn.ReLU(inplace=False))
    return nn.Sequential(*layers)


class SmallCNN(nn.Module):
    """``features`` (conv blocks) -> adaptive average pool -> dropout -> linear head.

    ``features[-1]`` is the last convolutional block: hook it for heatmaps.
    """

    def __init__(
        self,
        in_channels: int = 1,
        n_classes: int = 10,
        widths: Sequence[int] = (16, 32, 64),
        strides: Sequence[int] | None = None,
        p_dropout: float = 0.1,
        batch_norm: bool = True,
    ) -> None:
        super().__init__()
        strides = list(strides) if strides is not None else [2] * len(widths)
        if len(strides) != len(widths):
            raise ValueError(f"{len(widths)} widths but {len(strides)} strides")
        channels = [in_channels, *widths]
        self.features = nn.Sequential(
            *(
                conv_block(c_in, c_out, stride, batch_norm)
                for c_in, c_out, stride in zip(channels[:-1], channels[1:], strides, strict=True)
            )
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = Dropout(p_dropout)
        self.head = nn.Linear(channels[-1], n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.features(x)).flatten(1)
        return self.head(self.dropout(x))
