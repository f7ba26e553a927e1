#!/usr/bin/env python3
"""Train the example SimpleCNN on synthetic radiographs and save model/mlcube/workspace/additional_files/cnn_weights.pth.

    python3 examples/chestxray/tools/train.py            # defaults reproduce the committed weights

Images come from generate_data.render() and are resized exactly as the data preparator's `prepare` does
(images.resize), so training sees what `infer` will see. Training labels mix one-finding images drawn with
the NIH frequencies and images with 0-3 findings drawn uniformly, so that rare findings (hernia, pneumonia)
are seen often enough. A held-out set (another seed, NIH single-label frequencies, rendered at 256 px like
the demo data) gives the macro ROC AUC printed after every epoch. Everything is seeded; needs numpy,
Pillow and torch (CPU is enough: a few minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(EXAMPLE, "data_preparator", "project"))
sys.path.insert(0, os.path.join(EXAMPLE, "model", "project"))
sys.path.insert(0, os.path.join(EXAMPLE, "metrics", "project"))

import generate_data  # noqa: E402
from images import resize  # noqa: E402
from metrics import roc_auc  # noqa: E402
from PIL import Image  # noqa: E402

DEFAULT_OUT = os.path.join(EXAMPLE, "model", "mlcube", "workspace", "additional_files", "cnn_weights.pth")
LABELS = generate_data.LABELS
OUTPUT_SIZE = (28, 28, 1)


def training_findings(count: int, seed: int) -> list[tuple[str, ...]]:
    nih = generate_data.draw_labels(count, seed)
    rng = np.random.default_rng([seed, 0x7A1])
    out = []
    for i in range(count):
        r = rng.random()
        if r < 0.4:
            out.append(nih[i])
        elif r < 0.5:
            out.append(())
        else:
            k = 1 if r < 0.75 else int(rng.integers(2, 4))
            out.append(tuple(LABELS[j] for j in sorted(rng.choice(len(LABELS), size=k, replace=False))))
    return out


def _render_chunk(job):
    seed, start, findings, size = job
    images = np.empty((len(findings), *OUTPUT_SIZE), dtype=np.uint8)
    for k, f in enumerate(findings):
        arr = generate_data.render(f, np.random.default_rng([seed, start + k + 1]), size)
        images[k] = resize(Image.fromarray(arr), OUTPUT_SIZE)
    return start, images


def make_set(findings, seed, size, workers):
    """Render + resize in worker processes -> (N, 28, 28, 1) uint8 images and (N, 14) 0/1 labels."""
    n = len(findings)
    images = np.empty((n, *OUTPUT_SIZE), dtype=np.uint8)
    jobs = [(seed, s, findings[s : s + 250], size) for s in range(0, n, 250)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for start, chunk in pool.imap_unordered(_render_chunk, jobs):
            images[start : start + len(chunk)] = chunk
    labels = np.zeros((n, len(LABELS)), dtype=np.float32)
    index = {name: j for j, name in enumerate(LABELS)}
    for i, f in enumerate(findings):
        for name in f:
            labels[i, index[name]] = 1
    return images, labels


def macro_auc(labels, scores):
    aucs = [roc_auc(labels[:, j], scores[:, j]) for j in range(labels.shape[1])]
    defined = [a for a in aucs if a is not None]
    return float(np.mean(defined)), aucs


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--train-count", type=int, default=10000)
    p.add_argument("--train-seed", type=int, default=1000)
    p.add_argument("--train-size", type=int, default=128, help="render size of training images (resized to 28)")
    p.add_argument("--val-count", type=int, default=2000)
    p.add_argument("--val-seed", type=int, default=1001)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--workers", type=int, default=0, help="processes for rendering (default: all cores)")
    p.add_argument("--output", default=DEFAULT_OUT)
    args = p.parse_args(argv)

    workers = args.workers or generate_data.default_workers()
    t0 = time.time()
    # render before importing torch: the workers are forked from a process without torch threads
    x_train, y_train = make_set(training_findings(args.train_count, args.train_seed), args.train_seed,
                                args.train_size, workers)
    x_val, y_val = make_set(generate_data.draw_labels(args.val_count, args.val_seed), args.val_seed, 256, workers)
    print(f"data: {len(x_train)} train / {len(x_val)} val images in {time.time() - t0:.0f}s", flush=True)

    import torch
    from models import SimpleCNN, normalize
    from torch import nn

    torch.manual_seed(0)
    torch.set_num_threads(workers)
    g = torch.Generator().manual_seed(0)
    xt = torch.from_numpy(x_train).permute(0, 3, 1, 2).contiguous()
    yt = torch.from_numpy(y_train)
    xv = normalize(torch.from_numpy(x_val).permute(0, 3, 1, 2).contiguous())

    model = SimpleCNN(in_channels=1, num_classes=len(LABELS))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * ((len(xt) + args.batch_size - 1) // args.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.15)
    loss_fn = nn.BCEWithLogitsLoss()

    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xt), generator=g)
        total, t_epoch = 0.0, time.time()
        for s in range(0, len(xt), args.batch_size):
            idx = perm[s : s + args.batch_size]
            xb = normalize(xt[idx])
            # augmentation: small shifts (the renderer already varies anatomy, exposure and noise)
            dx, dy = (int(v) for v in torch.randint(-1, 2, (2,), generator=g))
            xb = torch.roll(xb, shifts=(dy, dx), dims=(2, 3))
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yt[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        model.eval()
        with torch.inference_mode():
            scores = torch.sigmoid(model(xv)).numpy()
        auc, _ = macro_auc(y_val, scores)
        print(f"epoch {epoch + 1:2d}: loss {total / len(xt):.4f}  val macro AUC {auc:.4f}  ({time.time() - t_epoch:.0f}s)",
              flush=True)

    _, aucs = macro_auc(y_val, scores)
    print("per-label val AUC: " + ", ".join(f"{n} {a:.3f}" if a is not None else f"{n} -" for n, a in zip(LABELS, aucs, strict=True)))
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    with open(args.output, "wb") as f:
        torch.save(state, f, _use_new_zipfile_serialization=True)
    print(f"saved {args.output} ({os.path.getsize(args.output) / 1024:.0f} KiB) after {time.time() - t0:.0f}s total")


if __name__ == "__main__":
    main()
