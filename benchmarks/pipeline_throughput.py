"""Training-pipeline throughput: course.data.make_dataset against a per-image NumPy loop.

Both sides do the same work on the same images, in the same run: shuffle,
random horizontal flip, zero-pad by 4 and crop back to 32x32 at a random
offset per image, per-channel normalisation to float32, batches of 256.

* pipeline: ``make_dataset(x, y, 256, training=True, augment="flip,crop",
  normalize=norm)``: batched, vectorised tf ops, AUTOTUNE map + prefetch.
* loop: plain Python over images, NumPy per image (slice-flip, ``np.pad``,
  slice-crop, normalise into a preallocated batch).

Data: real CIFAR-10 when ``COURSE_DATA_DIR`` points at a folder holding
``cifar-10-batches-py`` (the script says which), else the synthetic set.

Usage::

    python benchmarks/pipeline_throughput.py [--rounds 3] [--epochs 3] [--loop-images 5000]

The two sides run in interleaved rounds (so both see the same load on a
shared machine); the medians over rounds are compared. The last line
printed is the ratio pipeline / loop.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

BATCH = 256
PAD = 4


def load_images():
    from course.data import load_cifar10, load_synthetic

    if os.environ.get("COURSE_DATA_DIR"):
        d = load_cifar10(source="local")
    else:
        d = load_synthetic(n_train=10000, n_test=0, seed=0)
    return d.x_train, d.y_train, d.source


def numpy_loop_epoch(x, y, mean, std, rng, max_images):
    """One pass of the per-image baseline; returns the number of images produced."""
    n = min(len(x), max_images)
    order = rng.permutation(len(x))[:n]
    scale = (1.0 / (255.0 * std)).astype(np.float32)
    bias = (-mean / std).astype(np.float32)
    h, w = x.shape[1], x.shape[2]
    done = 0
    checksum = 0.0
    for lo in range(0, n, BATCH):
        idx = order[lo:lo + BATCH]
        out = np.empty((len(idx), h, w, x.shape[3]), np.float32)
        for j, i in enumerate(idx):
            img = x[i]
            if rng.random() < 0.5:
                img = img[:, ::-1]
            padded = np.pad(img, ((PAD, PAD), (PAD, PAD), (0, 0)))
            oy, ox = rng.integers(0, 2 * PAD + 1, size=2)
            crop = padded[oy:oy + h, ox:ox + w]
            out[j] = crop * scale + bias
        labels = y[idx]
        checksum += float(out[0, 0, 0, 0]) + float(labels[0])
        done += len(idx)
    return done, checksum


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=0,
                    help="timed pipeline epochs per round (default: enough for about 25,000 images)")
    ap.add_argument("--loop-images", type=int, default=5000, help="images the NumPy loop processes per round")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (loop, then pipeline)")
    args = ap.parse_args(argv)

    x, y, source = load_images()
    if args.epochs <= 0:
        args.epochs = max(2, -(-25000 // len(x)))
    print(f"data: {source} ({len(x)} training images, {x.shape[1:]} {x.dtype})")
    print(f"work per image: flip + pad-{PAD}-and-crop (own offset) + per-channel normalise, batch {BATCH}")
    print(f"os.nice: {os.nice(0)} (0 = not niced); cpus: {os.cpu_count()}; load average: "
          f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}")

    from course.data import fit_normalization, make_dataset

    norm = fit_normalization(x, kind="channel")
    rng = np.random.default_rng(0)
    numpy_loop_epoch(x, y, norm.mean, norm.std, rng, 512)  # warm-up

    import tensorflow as tf

    from course.data import pipeline

    kw = dict(training=True, augment="flip,crop", normalize=norm, seed=0)
    ds = make_dataset(x, y, BATCH, **kw)  # finite: Keras starts a new iterator every epoch
    ds_rep = make_dataset(x, y, BATCH, repeat=True, **kw)  # one iterator for the whole run
    xla = len(x) >= pipeline._XLA_MIN_IMAGES and pipeline._xla_available()
    steps = -(-len(x) // BATCH)
    print(f"pipeline: make_dataset(x, y, {BATCH}, training=True, augment='flip,crop', normalize=<channel "
          f"Normalizer>), XLA {'on' if xla else 'off'} (jit_compile='auto'), {args.epochs} epochs per round: "
          f"(a) a new iterator per epoch, as model.fit(ds) does; (b) repeat=True, one iterator, "
          f"as model.fit(ds, steps_per_epoch={steps})")
    for xb, yb in ds:  # warm-up epoch: tracing, XLA compilation, thread pools
        pass
    rep_it = iter(ds_rep)
    for _ in range(steps):
        next(rep_it)

    # Interleaved rounds, so all sides see the same (shared, noisy) machine.
    loop_rates, tf_rates, rep_rates = [], [], []
    for r in range(args.rounds):
        t = time.perf_counter()
        n_loop, _ = numpy_loop_epoch(x, y, norm.mean, norm.std, rng, args.loop_images)
        loop_rates.append(n_loop / (time.perf_counter() - t))
        n_tf = 0
        t = time.perf_counter()
        for _ in range(args.epochs):
            for xb, yb in ds:
                n_tf += int(xb.shape[0])
        tf_rates.append(n_tf / (time.perf_counter() - t))
        n_rep = 0
        t = time.perf_counter()
        for _ in range(args.epochs * steps):
            xr, yr = next(rep_it)
            n_rep += int(xr.shape[0])
        rep_rates.append(n_rep / (time.perf_counter() - t))
        print(f"round {r + 1}: numpy loop {loop_rates[-1]:9,.0f} images/s ({n_loop} images)   "
              f"pipeline (a) {tf_rates[-1]:9,.0f} images/s ({n_tf})   (b) {rep_rates[-1]:9,.0f} images/s ({n_rep})")
    assert xb.dtype == tf.float32 and tuple(xb.shape[1:]) == x.shape[1:], (xb.dtype, xb.shape)

    med = lambda v: float(np.median(v))  # noqa: E731
    print(f"numpy per-image loop:             median {med(loop_rates):9,.0f} images/s, best {max(loop_rates):,.0f}")
    print(f"pipeline (a) iterator per epoch:  median {med(tf_rates):9,.0f} images/s, best {max(tf_rates):,.0f}"
          f"   ratio {med(tf_rates) / med(loop_rates):.1f}x")
    print(f"pipeline (b) repeat=True:         median {med(rep_rates):9,.0f} images/s, best {max(rep_rates):,.0f}"
          f"   ratio {med(rep_rates) / med(loop_rates):.1f}x")
    best = max(med(tf_rates), med(rep_rates))
    print(f"target (2 cores): >= 20,000 images/s and >= 10x the loop -> "
          f"{'met' if best >= 20000 and best >= 10 * med(loop_rates) else 'NOT met'} (medians, better mode)")
    print(f"ratio pipeline/loop (median of {args.rounds} rounds; (a) per-epoch iterator, (b) repeat=True): "
          f"{med(tf_rates) / med(loop_rates):.1f}x / {med(rep_rates) / med(loop_rates):.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
