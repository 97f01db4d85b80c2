"""Train a small CNN on MNIST with PyTorch and export it with torch.onnx.export (import acceptance test).

Usage: /usr/bin/python3 train_small_cnn.py --data DATASETS_DIR --out model.onnx
         [--train 10000] [--test 10000] [--epochs 1] [--seed 0] [--opset 13]
Reads <DATASETS_DIR>/mnist/*-ubyte.gz (IDX) with gzip + numpy, scales pixels to [0, 1] like TinyFleet's loader,
trains on the first --train training images, evaluates on the first --test test images, and prints one JSON
line: {"test_accuracy", "test_loss", "test_samples", "train_samples", "seconds", "torch"}.
Needs Debian's python3-torch (and numpy).
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
from torch import nn


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(mnist_dir, split, limit):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(mnist_dir, f"{prefix}-images-idx3-ubyte.gz"))[:limit]
    y = read_idx(os.path.join(mnist_dir, f"{prefix}-labels-idx1-ubyte.gz"))[:limit]
    return torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1), torch.from_numpy(y.astype(np.int64))


def small_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU6(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 10),
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--train", type=int, default=10000)
    ap.add_argument("--test", type=int, default=10000)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--opset", type=int, default=13)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    t0 = time.time()
    mnist = os.path.join(args.data, "mnist")
    xtr, ytr = load(mnist, "train", args.train)
    xte, yte = load(mnist, "test", args.test)
    model = small_cnn()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(args.seed)
    for _ in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=gen)
        for i in range(0, len(xtr), 64):
            idx = perm[i: i + 64]
            opt.zero_grad()
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        logits = model(xte)
        acc = (logits.argmax(1) == yte).float().mean().item()
        test_loss = loss_fn(logits, yte).item()
    torch.onnx.export(model, xte[:1], args.out, opset_version=args.opset, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    print(json.dumps({"test_accuracy": acc, "test_loss": test_loss, "test_samples": len(xte),
                      "train_samples": len(xtr), "seconds": time.time() - t0, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
