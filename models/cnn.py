"""A small CNN for MNIST digits whose forward pass returns every intermediate map.

Nothing is stored on the module during a forward pass: a model cached with
`st.cache_resource` is shared by every session and thread, so activations must
travel in the return value, never in hooks or attributes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass(frozen=True)
class DigitCNNConfig:
    conv1_channels: int = 32
    conv2_channels: int = 32
    conv3_channels: int = 64
    conv4_channels: int = 64
    conv5_channels: int = 128
    kernel_size: int = 3
    # The first layer's kernel, when it differs from the rest (0: the same). A live-trained 5x5
    # first layer learns patterns big enough to watch change; the pretrained model keeps 3x3.
    conv1_kernel_size: int = 0
    dropout: float = 0.25
    num_classes: int = 10


@dataclass
class DigitCNNOutput:
    logits: torch.Tensor  # (B, 10)
    conv1_pre: torch.Tensor  # (B, C1, 28, 28) conv1 before ReLU: the plain sum of patch * filter + bias
    # Post-ReLU maps of each conv layer, in order, keyed conv1..conv5.
    feature_maps: dict[str, torch.Tensor]

    @property
    def probs(self) -> torch.Tensor:
        return self.logits.softmax(dim=-1)  # (B, 10)


def _conv_bn(in_ch: int, out_ch: int, k: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, k, padding=k // 2, bias=False), nn.BatchNorm2d(out_ch))


class DigitCNN(nn.Module):
    """conv1 (no batch norm, so its output is exactly patch . filter + bias, as the page
    spells out) -> conv2 -> pool -> conv3 -> conv4 -> pool -> conv5 -> global average -> linear.

    Input pixels are in [0, 1], white ink on black, with no extra normalisation, so the
    dot product shown on the page uses the very values the user sees.
    """

    def __init__(self, config: DigitCNNConfig | None = None):
        super().__init__()
        self.config = config or DigitCNNConfig()
        c, k = self.config, self.config.kernel_size
        k1 = c.conv1_kernel_size or k
        self.conv1 = nn.Conv2d(1, c.conv1_channels, k1, padding=k1 // 2)
        self.conv2 = _conv_bn(c.conv1_channels, c.conv2_channels, k)
        self.conv3 = _conv_bn(c.conv2_channels, c.conv3_channels, k)
        self.conv4 = _conv_bn(c.conv3_channels, c.conv4_channels, k)
        self.conv5 = _conv_bn(c.conv4_channels, c.conv5_channels, k)
        self.dropout = nn.Dropout(c.dropout)
        self.classifier = nn.Linear(c.conv5_channels, c.num_classes)

    def forward(self, images: torch.Tensor) -> DigitCNNOutput:
        if images.dim() == 3:
            images = images.unsqueeze(1)  # (B, 28, 28) -> (B, 1, 28, 28)
        conv1_pre = self.conv1(images)  # (B, C1, 28, 28)
        conv1 = F.relu(conv1_pre)
        conv2 = F.relu(self.conv2(conv1))  # (B, C2, 28, 28)
        conv3 = F.relu(self.conv3(F.max_pool2d(conv2, 2)))  # (B, C3, 14, 14)
        conv4 = F.relu(self.conv4(conv3))  # (B, C4, 14, 14)
        conv5 = F.relu(self.conv5(F.max_pool2d(conv4, 2)))  # (B, C5, 7, 7)
        pooled = conv5.mean(dim=(2, 3))  # (B, C5)
        logits = self.classifier(self.dropout(pooled))  # (B, 10)
        maps = {"conv1": conv1, "conv2": conv2, "conv3": conv3, "conv4": conv4, "conv5": conv5}
        return DigitCNNOutput(logits=logits, conv1_pre=conv1_pre, feature_maps=maps)
