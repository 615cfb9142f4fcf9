"""Model zoo: architecture definitions (no weights) at their papers' input sizes.

The five ImageNet networks of seed 003 §II-D (AlexNet, VGG-16, GoogLeNet, ResNet) plus
MobileNetV2 (seed 003 §V-C.1, compact models), width/depth variants used to calibrate the
cost model, and two small trainable networks for scikit-learn's digits (8×8 images).
Nothing is downloaded: weights are randomly initialised with a fixed seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from edgelab.errors import unknown_name

# ----------------------------------------------------------------------------- AlexNet


class AlexNet(nn.Module):
    """AlexNet as in Krizhevsky et al. 2012 (two-GPU grouping, 227×227 input).

    The grouped convolutions (conv2, conv4, conv5) are what give the 724 M MACs and 61 M
    weights that seed 003 §II-D quotes; torchvision's single-tower variant has 714 M MACs.
    """

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(inplace=True),
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True),
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
        )
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Dropout(0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.classifier(self.flatten(self.features(x)))


# ----------------------------------------------------------------------------- VGG

_VGG_CFG: dict[str, list[int | str]] = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
              512, 512, 512, "M"],
}


class VGG(nn.Module):
    """VGG (Simonyan and Zisserman 2015), configurations A (VGG-11) and D (VGG-16)."""

    def __init__(self, cfg: list[int | str], num_classes: int = 1000) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, int(v), 3, padding=1), nn.ReLU(inplace=True)]
                c = int(v)
        self.features = nn.Sequential(*layers)
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
            nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.classifier(self.flatten(self.features(x)))


# ----------------------------------------------------------------------------- GoogLeNet


class ConvReLU(nn.Sequential):
    """Convolution followed by ReLU (GoogLeNet v1 has no batch norm)."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1, padding: int = 0) -> None:
        super().__init__(nn.Conv2d(cin, cout, k, stride=stride, padding=padding),
                         nn.ReLU(inplace=True))


class Inception(nn.Module):
    """Inception module of Szegedy et al. 2015 (1×1, 3×3, 5×5 and pool-projection branches)."""

    def __init__(self, cin: int, c1: int, c3r: int, c3: int, c5r: int, c5: int, pp: int) -> None:
        super().__init__()
        self.b1 = ConvReLU(cin, c1, 1)
        self.b2 = nn.Sequential(ConvReLU(cin, c3r, 1), ConvReLU(c3r, c3, 3, padding=1))
        self.b3 = nn.Sequential(ConvReLU(cin, c5r, 1), ConvReLU(c5r, c5, 5, padding=2))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, padding=1), ConvReLU(cin, pp, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)


class GoogLeNet(nn.Module):
    """GoogLeNet (Inception v1), 224×224, without the training-only auxiliary heads.

    The stride-2 max-pools round down (``ceil_mode=False``), which gives feature maps of
    55, 27, 13 and 6 pixels and 1.43 G MACs: the count of Sze et al. (Proc. IEEE 2017) that
    seed 003 §II-D quotes. Caffe's reference model rounds up (56, 28, 14, 7), as in the
    original paper's Table 1, and costs 1.59 G MACs; pass ``ceil_mode=True`` for it.
    """

    def __init__(self, num_classes: int = 1000, ceil_mode: bool = False) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            ConvReLU(3, 64, 7, stride=2, padding=3), nn.MaxPool2d(3, 2, ceil_mode=ceil_mode),
            nn.LocalResponseNorm(5), ConvReLU(64, 64, 1), ConvReLU(64, 192, 3, padding=1),
            nn.LocalResponseNorm(5), nn.MaxPool2d(3, 2, ceil_mode=ceil_mode),
        )
        self.i3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.i3b = Inception(256, 128, 128, 192, 32, 96, 64)
        self.pool3 = nn.MaxPool2d(3, 2, ceil_mode=ceil_mode)
        self.i4a = Inception(480, 192, 96, 208, 16, 48, 64)
        self.i4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.i4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.i4d = Inception(512, 112, 144, 288, 32, 64, 64)
        self.i4e = Inception(528, 256, 160, 320, 32, 128, 128)
        self.pool4 = nn.MaxPool2d(3, 2, ceil_mode=ceil_mode)
        self.i5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.i5b = Inception(832, 384, 192, 384, 48, 128, 128)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.dropout = nn.Dropout(0.4)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        x = self.stem(x)
        x = self.pool3(self.i3b(self.i3a(x)))
        x = self.pool4(self.i4e(self.i4d(self.i4c(self.i4b(self.i4a(x))))))
        x = self.i5b(self.i5a(x))
        return self.fc(self.dropout(self.flatten(self.avgpool(x))))


# ----------------------------------------------------------------------------- ResNet


class BasicBlock(nn.Module):
    """ResNet basic block (two 3×3 convolutions and an identity or 1×1 shortcut)."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = (
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            if stride != 1 or cin != cout else None
        )
        self.relu2 = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        idt = x if self.down is None else self.down(x)
        y = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.relu2(y + idt)


class ResNet(nn.Module):
    """ResNet-18/34 (He et al. 2016), 224×224."""

    def __init__(self, blocks: tuple[int, int, int, int], num_classes: int = 1000) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        )
        layers: list[nn.Module] = []
        cin = 64
        for i, (n, cout) in enumerate(zip(blocks, (64, 128, 256, 512), strict=True)):
            for j in range(n):
                layers.append(BasicBlock(cin, cout, 2 if (j == 0 and i > 0) else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.fc(self.flatten(self.avgpool(self.layers(self.stem(x)))))


class Bottleneck(nn.Module):
    """ResNet bottleneck block (1×1 reduce, 3×3, 1×1 expand ×4) with an identity or 1×1
    shortcut. ``stride_in_1x1`` puts the stride on the first 1×1 convolution, as in He et al.'s
    Caffe ResNet-50 (v1); the default puts it on the 3×3, as torchvision and MLPerf do (v1.5)."""

    expansion = 4

    def __init__(self, cin: int, mid: int, stride: int = 1, stride_in_1x1: bool = False) -> None:
        super().__init__()
        cout = mid * self.expansion
        s1, s3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.conv1 = nn.Conv2d(cin, mid, 1, s1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(mid, mid, 3, s3, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv3 = nn.Conv2d(mid, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.down = (
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            if stride != 1 or cin != cout else None
        )
        self.relu3 = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        idt = x if self.down is None else self.down(x)
        y = self.relu1(self.bn1(self.conv1(x)))
        y = self.bn3(self.conv3(self.relu2(self.bn2(self.conv2(y)))))
        return self.relu3(y + idt)


class ResNetBottleneck(nn.Module):
    """ResNet-50 (He et al. 2016, bottleneck blocks 3-4-6-3), 224×224."""

    def __init__(self, blocks: tuple[int, int, int, int] = (3, 4, 6, 3), num_classes: int = 1000,
                 stride_in_1x1: bool = False) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        )
        layers: list[nn.Module] = []
        cin = 64
        for i, (n, mid) in enumerate(zip(blocks, (64, 128, 256, 512), strict=True)):
            for j in range(n):
                layers.append(Bottleneck(cin, mid, 2 if (j == 0 and i > 0) else 1, stride_in_1x1))
                cin = mid * Bottleneck.expansion
        self.layers = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.fc(self.flatten(self.avgpool(self.layers(self.stem(x)))))


# ----------------------------------------------------------------------------- MobileNetV2


def _make_divisible(v: float, divisor: int = 8) -> int:
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class InvertedResidual(nn.Module):
    """MobileNetV2 inverted residual block (expand 1×1, depthwise 3×3, project 1×1)."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        layers: list[nn.Module] = []
        if expand != 1:
            layers += [nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden),
                       nn.ReLU6(inplace=True)]
        layers += [
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetV2(nn.Module):
    """MobileNetV2 (Sandler et al. 2018) with a width multiplier, 224×224.

    ``scale_last`` scales the last 1×1 convolution (1280 channels) by the width below 1 too, as
    MCUNet's scaled baselines for microcontrollers do (Lin et al., NeurIPS 2020).
    """

    def __init__(self, width: float = 1.0, num_classes: int = 1000,
                 scale_last: bool = False) -> None:
        super().__init__()
        cfg = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
               (6, 160, 3, 2), (6, 320, 1, 1)]
        cin = _make_divisible(32 * width)
        last = _make_divisible(1280 * (width if scale_last else max(1.0, width)))
        feats: list[nn.Module] = [nn.Conv2d(3, cin, 3, 2, 1, bias=False), nn.BatchNorm2d(cin),
                                  nn.ReLU6(inplace=True)]
        for t, c, n, s in cfg:
            cout = _make_divisible(c * width)
            for i in range(n):
                feats.append(InvertedResidual(cin, cout, s if i == 0 else 1, t))
                cin = cout
        feats += [nn.Conv2d(cin, last, 1, bias=False), nn.BatchNorm2d(last), nn.ReLU6(inplace=True)]
        self.features = nn.Sequential(*feats)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(last, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.classifier(self.flatten(self.avgpool(self.features(x))))


# ----------------------------------------------------------------------------- MnasNet


class MNASNet(nn.Module):
    """MnasNet-B1 (Tan et al., CVPR 2019), width 1.0, 224×224: inverted residuals with 3×3 and
    5×5 depthwise convolutions and ReLU. A second depthwise family beside MobileNetV2, so the
    cost model's depthwise-convolution terms can be checked on a family they were not fitted on.
    """

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
            nn.Conv2d(32, 32, 3, 1, 1, groups=32, bias=False), nn.BatchNorm2d(32),
            nn.ReLU(inplace=True), nn.Conv2d(32, 16, 1, bias=False), nn.BatchNorm2d(16),
        ]
        cin = 16
        for cout, k, s, e, n in [(24, 3, 2, 3, 3), (40, 5, 2, 3, 3), (80, 5, 2, 6, 3),
                                 (96, 3, 1, 6, 2), (192, 5, 2, 6, 4), (320, 3, 1, 6, 1)]:
            for i in range(n):
                layers.append(_MnasBlock(cin, cout, k, s if i == 0 else 1, e))
                cin = cout
        layers += [nn.Conv2d(320, 1280, 1, bias=False), nn.BatchNorm2d(1280), nn.ReLU(inplace=True)]
        self.layers = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.classifier(self.flatten(self.avgpool(self.layers(x))))


class _MnasBlock(nn.Module):
    def __init__(self, cin: int, cout: int, k: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.use_res = cin == cout and stride == 1
        self.conv = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
            nn.Conv2d(mid, mid, k, stride, k // 2, groups=mid, bias=False), nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True), nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """One inference on a batch ``x`` (seed 003 §II-D zoo; the class names its paper)."""
        return x + self.conv(x) if self.use_res else self.conv(x)


# ----------------------------------------------------------------------------- SqueezeNet


class Fire(nn.Module):
    """SqueezeNet's fire module: a 1×1 squeeze, then parallel 1×1 and 3×3 expands, concatenated."""

    def __init__(self, cin: int, squeeze: int, e1: int, e3: int) -> None:
        super().__init__()
        self.squeeze = nn.Sequential(nn.Conv2d(cin, squeeze, 1), nn.ReLU(inplace=True))
        self.e1 = nn.Sequential(nn.Conv2d(squeeze, e1, 1), nn.ReLU(inplace=True))
        self.e3 = nn.Sequential(nn.Conv2d(squeeze, e3, 3, padding=1), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        s = self.squeeze(x)
        return torch.cat([self.e1(s), self.e3(s)], 1)


class SqueezeNet(nn.Module):
    """SqueezeNet 1.1 (Iandola et al. 2016), 224×224: AlexNet accuracy with 1.2 M weights."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 3, 2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, ceil_mode=True),
            Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), nn.MaxPool2d(3, 2, ceil_mode=True),
            Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), nn.MaxPool2d(3, 2, ceil_mode=True),
            Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256),
            Fire(512, 64, 256, 256),
        )
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Conv2d(512, num_classes, 1),
                                        nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.classifier(self.features(x))


# ----------------------------------------------------------------------------- digits


class DigitsMLP(nn.Module):
    """A 64-64-10 multilayer perceptron for scikit-learn's 8×8 digits (seed 003 §II-D)."""

    def __init__(self, hidden: int = 64, num_classes: int = 10) -> None:
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(64, hidden)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.fc2(self.relu(self.fc1(self.flatten(x))))


class _TwoConvNet(nn.Module):
    """Two conv-ReLU-maxpool(2) stages on a 1×8×8 digit, then FC-ReLU-FC: the shape shared by
    :class:`DigitsCNN` and :class:`LeNet5` (same layer names, so profiles and splits agree)."""

    def __init__(self, c1: int, c2: int, kernel: int, hidden: int, num_classes: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, c1, kernel, padding=kernel // 2)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(c1, c2, kernel, padding=kernel // 2)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(c2 * 2 * 2, hidden)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        return self.fc2(self.relu3(self.fc1(self.flatten(x))))


class DigitsCNN(_TwoConvNet):
    """A LeNet-style CNN for 1×8×8 digits: two 3×3 convolutions, pooling, two FC layers."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__(16, 32, 3, 64, num_classes)


# ----------------------------------------------------------------------------- digits LeNets
# The two MNIST networks of Han et al.'s pruning (NeurIPS 2015) and Deep Compression (ICLR
# 2016), resized for scikit-learn's 8×8 digits (seed 003 §V-C.1): same layer types and widths,
# a 64-pixel input instead of 784, so the FC layers hold fewer weights than the originals.


class LeNet300100(nn.Module):
    """LeNet-300-100 for 8×8 digits: FC 64-300-100-10 with ReLU (seed 003 §V-C.1)."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(64, 300)
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(300, 100)
        self.relu2 = nn.ReLU()
        self.fc3 = nn.Linear(100, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.fc3(self.relu2(self.fc2(self.relu1(self.fc1(self.flatten(x))))))


class LeNet5(_TwoConvNet):
    """LeNet-5 as Han et al. used it (Caffe's 20-50-500 variant) for 1×8×8 digits.

    Two 5×5 convolutions (20 and 50 channels, padding 2 so an 8×8 map keeps its size), each
    followed by ReLU and 2×2 max pooling, then FC 200-500-10 (seed 003 §V-C.1).
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__(20, 50, 5, 500, num_classes)


# ----------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class ModelSpec:
    """A zoo entry: constructor, input shape (C, H, W), family and paper."""

    name: str
    build: Callable[[], nn.Module]
    input_shape: tuple[int, int, int]
    family: str
    paper: str


ZOO: dict[str, ModelSpec] = {
    s.name: s
    for s in [
        ModelSpec("alexnet", AlexNet, (3, 227, 227), "alexnet", "Krizhevsky et al., NeurIPS 2012"),
        ModelSpec("vgg11", lambda: VGG(_VGG_CFG["vgg11"]), (3, 224, 224), "vgg",
                  "Simonyan & Zisserman, ICLR 2015"),
        ModelSpec("vgg16", lambda: VGG(_VGG_CFG["vgg16"]), (3, 224, 224), "vgg",
                  "Simonyan & Zisserman, ICLR 2015"),
        ModelSpec("googlenet", GoogLeNet, (3, 224, 224), "googlenet", "Szegedy et al., CVPR 2015"),
        ModelSpec("googlenet_caffe", lambda: GoogLeNet(ceil_mode=True), (3, 224, 224), "googlenet",
                  "Szegedy et al., CVPR 2015 (Caffe's BVLC model: pools round up)"),
        ModelSpec("resnet18", lambda: ResNet((2, 2, 2, 2)), (3, 224, 224), "resnet",
                  "He et al., CVPR 2016"),
        ModelSpec("resnet34", lambda: ResNet((3, 4, 6, 3)), (3, 224, 224), "resnet",
                  "He et al., CVPR 2016"),
        ModelSpec("resnet50", ResNetBottleneck, (3, 224, 224), "resnet",
                  "He et al., CVPR 2016 (v1.5: stride on the 3×3, as torchvision and MLPerf)"),
        ModelSpec("resnet50_v1", lambda: ResNetBottleneck(stride_in_1x1=True), (3, 224, 224),
                  "resnet", "He et al., CVPR 2016 (v1: stride on the first 1×1, the Caffe model)"),
        ModelSpec("mobilenet_v2", MobileNetV2, (3, 224, 224), "mobilenet",
                  "Sandler et al., CVPR 2018"),
        ModelSpec("mobilenet_v2_0.5", lambda: MobileNetV2(0.5), (3, 224, 224), "mobilenet",
                  "Sandler et al., CVPR 2018 (width 0.5)"),
        ModelSpec("mobilenet_v2_1.4", lambda: MobileNetV2(1.4), (3, 224, 224), "mobilenet",
                  "Sandler et al., CVPR 2018 (width 1.4)"),
        ModelSpec("mobilenet_v2_0.35_r144", lambda: MobileNetV2(0.35, scale_last=True),
                  (3, 144, 144), "mobilenet",
                  "Lin et al., NeurIPS 2020 (MCUNet's MbV2-s baseline: width 0.35, 144×144)"),
        ModelSpec("mobilenet_v2_0.3_r80", lambda: MobileNetV2(0.3, scale_last=True),
                  (3, 80, 80), "mobilenet",
                  "Lin et al., NeurIPS 2020 (MCUNet's MbV2-s baseline: width 0.3, 80×80)"),
        ModelSpec("mnasnet", MNASNet, (3, 224, 224), "mnasnet", "Tan et al., CVPR 2019 (B1, width 1.0)"),
        ModelSpec("squeezenet", SqueezeNet, (3, 224, 224), "squeezenet",
                  "Iandola et al., arXiv:1602.07360 (v1.1)"),
        ModelSpec("digits_mlp", DigitsMLP, (1, 8, 8), "digits", "MLP 64-64-10 for sklearn digits"),
        ModelSpec("digits_cnn", DigitsCNN, (1, 8, 8), "digits", "LeNet-style CNN for sklearn digits"),
        ModelSpec("lenet_300_100", LeNet300100, (1, 8, 8), "digits",
                  "LeNet-300-100 (LeCun et al. 1998; Han et al., NeurIPS 2015) for 8x8 digits"),
        ModelSpec("lenet5", LeNet5, (1, 8, 8), "digits",
                  "LeNet-5, Caffe 20-50-500 variant (Han et al., NeurIPS 2015) for 8x8 digits"),
    ]
}

# ----------------------------------------------------------------------------- digits stand-ins
# AlexNet and VGG-16's layer chains, narrow enough to train on scikit-learn's digits in seconds
# (upsampled to an input the chain accepts), so JALAD's accuracy cost is measured at the same
# splits the cost model prices for the full-size networks (seed 003 §V-C.2).


def _he_init(net: nn.Module) -> None:
    """He (fan-out) initialisation of the convolutions, as torchvision's VGG: without batch norm
    the default initialisation leaves a 13-convolution chain untrainable in a few epochs."""
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(m.bias)


class DigitsAlexNet(nn.Module):
    """AlexNet's layer chain (same layers in the same order as :class:`AlexNet`) with narrow
    widths, for 1×67×67 upsampled digits: 67 is the smallest size whose stride-4 11×11
    convolution and three 3×3/2 max-pools leave a 1×1 map (seed 003 §V-C.2, JALAD [81])."""

    def __init__(self, widths: tuple[int, int, int, int, int] = (8, 16, 24, 24, 16),
                 hidden: int = 64, num_classes: int = 10, dropout: float = 0.1) -> None:
        super().__init__()
        c1, c2, c3, c4, c5 = widths
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, 11, stride=4), nn.ReLU(inplace=True),
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(c1, c2, 5, padding=2, groups=2), nn.ReLU(inplace=True),
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c3, c4, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.Conv2d(c4, c5, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
        )
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(c5, hidden), nn.ReLU(inplace=True),
            nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, num_classes),
        )
        _he_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.classifier(self.flatten(self.features(x)))


class DigitsVGG16(nn.Module):
    """VGG-16's layer chain (configuration D, same layers in the same order as :class:`VGG`)
    with every width divided by ``shrink``, for 1×32×32 upsampled digits: five 2×2 pools leave
    a 1×1 map (seed 003 §V-C.2, JALAD [81])."""

    def __init__(self, shrink: int = 16, hidden: int = 64, num_classes: int = 10,
                 dropout: float = 0.1) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = 1
        for v in _VGG_CFG["vgg16"]:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, int(v) // shrink, 3, padding=1), nn.ReLU(inplace=True)]
                c = int(v) // shrink
        self.features = nn.Sequential(*layers)
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Linear(c, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )
        _he_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.classifier(self.flatten(self.features(x)))


ZOO.update({s.name: s for s in [
    ModelSpec("digits_alexnet", DigitsAlexNet, (1, 67, 67), "digits",
              "AlexNet's layer chain, narrow, for digits upsampled to 67×67 (JALAD stand-in)"),
    ModelSpec("digits_vgg16", DigitsVGG16, (1, 32, 32), "digits",
              "VGG-16's layer chain, widths ÷ 16, for digits upsampled to 32×32 (JALAD stand-in)"),
]})

#: The digits-trained stand-in of each large zoo model whose layer chain it copies.
DIGITS_STAND_INS = {"alexnet": "digits_alexnet", "vgg16": "digits_vgg16"}

#: The models seed 003 §II-D names, with the surveys' input sizes.
SURVEY_MODELS = ("alexnet", "vgg16", "googlenet", "resnet18", "mobilenet_v2")


def list_models() -> list[str]:
    """Names accepted by :func:`build` (seed 003 §II-D)."""
    return list(ZOO)


def spec(name: str) -> ModelSpec:
    """The zoo entry for ``name``, or an error listing the valid names (seed 003 §II-D)."""
    if name not in ZOO:
        raise unknown_name("model", name, ZOO)
    return ZOO[name]


def build(name: str, seed: int = 0) -> nn.Module:
    """Build a zoo model in eval mode with seeded random weights (seed 003 §II-D)."""
    s = spec(name)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = s.build()
    return model.eval()


def example_input(name: str, batch: int = 1, input_shape: tuple[int, ...] | None = None) -> torch.Tensor:
    """A seeded example input of the model's paper input size (or ``input_shape``).

    Seed 003 §II-D.
    """
    shape = tuple(input_shape) if input_shape is not None else spec(name).input_shape
    g = torch.Generator().manual_seed(0)
    return torch.randn((batch, *shape), generator=g)
