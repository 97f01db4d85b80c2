"""Export small PyTorch models, one per op pattern, with torch.onnx.export (test fixtures for import).

Usage: /usr/bin/python3 export_op_models.py OUT_DIR [--opset 13]
Prints one JSON line: {"models": [{"name", "path", "input_shape"}], "torch": version}. Seeded.
Needs Debian's python3-torch; the TinyFleet import tests skip when it is missing.
"""
import argparse
import json
import os

import torch
from torch import nn


class View(nn.Module):
    def forward(self, x):
        return x.view(x.size(0), -1)


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        return torch.relu(x + self.bn(self.conv(x)))


class Cat(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 1)
        self.b = nn.Conv2d(3, 2, 3, padding=1)

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x)], dim=1)


def models():
    yield "conv_bn_relu", (3, 8, 8), nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
    yield "conv_stride_dilation", (3, 9, 9), nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.Conv2d(4, 5, 3, dilation=2, bias=False))
    yield "depthwise_relu6", (4, 9, 9), nn.Sequential(nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False), nn.ReLU6())
    yield "pools", (3, 12, 12), nn.Sequential(nn.MaxPool2d(2), nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False), nn.MaxPool2d(3, stride=3, ceil_mode=True))
    yield "gap_linear", (3, 6, 6), nn.Sequential(nn.Conv2d(3, 8, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 5))
    yield "flatten_linear_nobias", (3, 5, 4), nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Flatten(), nn.Linear(80, 6, bias=False), nn.ReLU())
    yield "view_linear", (2, 4, 4), nn.Sequential(nn.Conv2d(2, 3, 1), View(), nn.Linear(48, 5))
    yield "bn1d_dropout_softmax", (10,), nn.Sequential(nn.Linear(10, 6), nn.BatchNorm1d(6), nn.Dropout(0.5), nn.Linear(6, 3), nn.Softmax(dim=1))
    yield "pool_bn2d_relu", (3, 8, 8), nn.Sequential(nn.MaxPool2d(2), nn.BatchNorm2d(3), nn.ReLU())
    yield "residual", (4, 6, 6), Residual(4)
    yield "concat", (3, 5, 5), Cat()
    yield "conv1d", (3, 16), nn.Sequential(nn.Conv1d(3, 4, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(4, 2))

    # PyTorch pads stride-2 convs symmetrically; on even sizes that is not TinyFleet's "same" (import rejects it)
    yield "unsupported_even_stride2", (3, 8, 8), nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--opset", type=int, default=13)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    out = []
    for name, shape, model in models():
        for m in model.modules():  # non-trivial BatchNorm statistics
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.uniform_(-0.5, 0.5)
        model.eval()
        path = os.path.join(args.out, f"{name}.onnx")
        x = torch.randn(2, *shape)
        torch.onnx.export(model, x, path, opset_version=args.opset, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "N"}, "output": {0: "N"}})
        out.append({"name": name, "path": path, "input_shape": list(shape)})
    print(json.dumps({"models": out, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
