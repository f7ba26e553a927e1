"""SimpleCNN of MedPerf's chest X-ray tutorial model: five 3x3 conv layers with BatchNorm, 28x28 input.

Parameter names (layer1.0.weight, ..., fc.4.bias) follow the tutorial's model, so weights trained for one
load into the other.
"""

import torch
from torch import nn


def _block(in_ch, out_ch, padding=0, pool=False):
    layers = [nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=padding), nn.BatchNorm2d(out_ch), nn.ReLU()]
    if pool:
        layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


class SimpleCNN(nn.Module):
    """28x28 -> conv16 -> conv16 + maxpool -> conv64 -> conv64 -> conv64 (pad 1) + maxpool -> fc 1024-128-128-classes."""

    def __init__(self, in_channels: int = 1, num_classes: int = 14):
        super().__init__()
        self.layer1 = _block(in_channels, 16)  # 28 -> 26
        self.layer2 = _block(16, 16, pool=True)  # 26 -> 24 -> 12
        self.layer3 = _block(16, 64)  # 12 -> 10
        self.layer4 = _block(64, 64)  # 10 -> 8
        self.layer5 = _block(64, 64, padding=1, pool=True)  # 8 -> 8 -> 4
        self.fc = nn.Sequential(
            nn.Linear(64 * 4 * 4, 128),
            nn.ReLU(),
            nn.Linear(128, 128),
            nn.ReLU(),
            nn.Linear(128, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer5(self.layer4(self.layer3(self.layer2(self.layer1(x)))))
        return self.fc(x.reshape(x.size(0), -1))  # logits; a sigmoid gives the probabilities


def normalize(images_uint8: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) uint8 -> float in [-1, 1], the tutorial's ToTensor() + Normalize(mean=0.5, std=0.5)."""
    return images_uint8.float().mul_(2.0 / 255.0).sub_(1.0)
