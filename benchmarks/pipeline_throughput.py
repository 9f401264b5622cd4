"""Training-pipeline throughput: course.data.make_dataset against what users write instead.

Every side does the same work on the same images, in the same run: shuffle,
random horizontal flip, zero-pad by 4 and crop back to 32x32 at a random
offset, per-channel normalisation to float32, batches of 256.

* pipeline (a): ``make_dataset(x, y, 256, training=True, augment="flip,crop",
  normalize=norm)`` iterated anew every epoch, as ``model.fit(ds, epochs=E)``
  does (a shuffled dataset keeps one pipeline iterator for its life and each
  iteration takes the next epoch from it);
* pipeline (b): the same with ``repeat=True``, one iterator for the run, as
  ``model.fit(ds, steps_per_epoch=S, epochs=E)``;
* pipeline (a0): (a) with ``persistent=False``: tf.data's default, a new
  pipeline per epoch (what (a) was before; the start-up costs about as much
  as the epoch);
* Keras layers: ``RandomFlip``, ``ZeroPadding2D`` + ``RandomCrop`` (one crop
  offset per batch: Keras' known weakness) and ``Normalization`` mapped over
  batches of ``Dataset.from_tensor_slices``;
* tf.image per-image map: ``random_flip_left_right``, ``resize_with_crop_or_pad``,
  ``random_crop`` and the normalisation mapped over single images, then batched;
* numpy loop: plain Python over images, NumPy per image.

Then the same comparison through Keras itself: ``model.fit`` of a model that
does almost nothing (global average pooling and a dense layer), so the input
pipeline sets the pace, with (a) ``fit(ds, epochs=E)`` and (b)
``fit(ds_repeat, steps_per_epoch=S, epochs=E)``.

Data: real CIFAR-10 when ``COURSE_DATA_DIR`` points at a folder holding
``cifar-10-batches-py`` (the script says which), else the synthetic set.

Usage::

    python benchmarks/pipeline_throughput.py [--rounds 3] [--epochs 0] [--loop-images 5000] [--fit-epochs 6]

The sides run in interleaved rounds (so all see the same load on a shared
machine), each on a fresh dataset with one untimed warm-up epoch, freed
before the next side runs (a live persistent or repeated dataset keeps
prefetching in the background, which would slow the others and flatter
itself); medians over rounds are compared. The last line printed gives the
ratios: (a) / (b) (the plain path against the repeat mode), then (a) against
the numpy loop, the Keras layers and the tf.image map.
"""

from __future__ import annotations

import argparse
import gc
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


def keras_layers_dataset(x, y, norm):
    """What the Keras guides suggest: preprocessing layers mapped over batches."""
    import keras
    import tensorflow as tf

    h, w = x.shape[1], x.shape[2]
    augment = keras.Sequential([
        keras.layers.RandomFlip("horizontal", seed=0),
        keras.layers.ZeroPadding2D(PAD),
        keras.layers.RandomCrop(h, w, seed=0),
    ])
    normalize = keras.layers.Normalization(mean=norm.mean * 255.0, variance=(norm.std * 255.0) ** 2)

    def step(images, labels):
        return normalize(augment(tf.cast(images, tf.float32), training=True)), labels

    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=0).batch(BATCH)
    return ds.map(step, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def tf_image_dataset(x, y, norm):
    """The tf.image tutorial way: a map over single images, then batch."""
    import tensorflow as tf

    h, w, c = x.shape[1:]
    mean, std = tf.constant(norm.mean), tf.constant(norm.std)

    def one(image, label):
        image = tf.image.random_flip_left_right(image)
        image = tf.image.resize_with_crop_or_pad(image, h + 2 * PAD, w + 2 * PAD)
        image = tf.image.random_crop(image, [h, w, c])
        return (tf.cast(image, tf.float32) / 255.0 - mean) / std, label

    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=0)
    return ds.map(one, num_parallel_calls=tf.data.AUTOTUNE).batch(BATCH).prefetch(tf.data.AUTOTUNE)


def epochs_rate(ds, epochs):
    n = 0
    t = time.perf_counter()
    for _ in range(epochs):
        for xb, _ in ds:
            n += int(xb.shape[0])
    return n / (time.perf_counter() - t), n


def stream_rate(iterator, batches):
    n = 0
    t = time.perf_counter()
    for _ in range(batches):
        xb, _ = next(iterator)
        n += int(xb.shape[0])
    return n / (time.perf_counter() - t), n


def tiny_model(shape, classes):
    import keras

    model = keras.Sequential([keras.Input(shape), keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(classes, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    return model


def fit_rate(model, ds, epochs, n, steps=None):
    t = time.perf_counter()
    model.fit(ds, epochs=epochs, steps_per_epoch=steps, verbose=0)
    return epochs * n / (time.perf_counter() - t)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=0,
                    help="timed pipeline epochs per round (default: enough for about 25,000 images)")
    ap.add_argument("--loop-images", type=int, default=5000, help="images the NumPy loop processes per round")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    ap.add_argument("--fit-epochs", type=int, default=6, help="epochs per model.fit measurement (0: skip)")
    args = ap.parse_args(argv)

    x, y, source = load_images()
    if args.epochs <= 0:
        args.epochs = max(2, -(-25000 // len(x)))
    print(f"data: {source} ({len(x)} training images, {x.shape[1:]} {x.dtype})")
    print(f"work per image: flip + pad-{PAD}-and-crop + per-channel normalise, batch {BATCH}")
    print(f"os.nice: {os.nice(0)} (0 = not niced); cpus: {os.cpu_count()}; load average: "
          f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}")

    from course import runtime

    runtime.setup(seed=0)
    from course.data import fit_normalization, make_dataset, pipeline

    norm = fit_normalization(x, kind="channel")
    rng = np.random.default_rng(0)
    numpy_loop_epoch(x, y, norm.mean, norm.std, rng, 512)  # warm-up

    kw = dict(training=True, augment="flip,crop", normalize=norm, seed=0)
    steps = -(-len(x) // BATCH)
    builders = {
        "(a) fit(ds)": lambda: make_dataset(x, y, BATCH, **kw),
        "(b) repeat=True": lambda: make_dataset(x, y, BATCH, repeat=True, **kw),
        "(a0) persistent=False": lambda: make_dataset(x, y, BATCH, persistent=False, **kw),
        "Keras layers": lambda: keras_layers_dataset(x, y, norm),
        "tf.image map": lambda: tf_image_dataset(x, y, norm),
    }
    xla = len(x) >= pipeline._XLA_MIN_IMAGES and pipeline._xla_available()
    print(f"pipeline: make_dataset(x, y, {BATCH}, training=True, augment='flip,crop', normalize=<channel "
          f"Normalizer>), XLA {'on' if xla else 'off'} (jit_compile='auto'), {args.epochs} epochs per round")
    print("each side: a fresh dataset, one untimed warm-up epoch (tracing, XLA compilation, thread pools), "
          "then the timed epochs, then the dataset is freed (no background prefetching during the others)")

    def measure(name):
        ds = builders[name]()
        if name == "(b) repeat=True":
            it = iter(ds)
            stream_rate(it, steps)  # warm-up epoch
            rate = stream_rate(it, args.epochs * steps)[0]
            del it
        else:
            epochs_rate(ds, 1)  # warm-up epoch
            rate = epochs_rate(ds, args.epochs)[0]
        del ds
        gc.collect()
        return rate

    names = ["numpy loop"] + list(builders)
    rates = {k: [] for k in names}
    for r in range(args.rounds):
        t = time.perf_counter()
        n_loop, _ = numpy_loop_epoch(x, y, norm.mean, norm.std, rng, args.loop_images)
        rates["numpy loop"].append(n_loop / (time.perf_counter() - t))
        for name in builders:
            rates[name].append(measure(name))
        print(f"round {r + 1}: " + "   ".join(f"{k} {v[-1]:,.0f}" for k, v in rates.items()) + "  images/s")

    med = {k: float(np.median(v)) for k, v in rates.items()}
    for k in names:
        print(f"{k:24s} median {med[k]:10,.0f} images/s, best {max(rates[k]):10,.0f}   "
              f"x{med[k] / med['numpy loop']:.1f} the numpy loop")

    fit_a = fit_b = None
    if args.fit_epochs > 0:
        import keras

        keras.utils.set_random_seed(0)
        model = tiny_model(x.shape[1:], int(y.max()) + 1)
        model.fit(make_dataset(x, y, BATCH, **kw), epochs=1, verbose=0)  # trace the train step once
        fit_sides = {
            "fit(ds)": (lambda: make_dataset(x, y, BATCH, **kw), None),
            "fit(repeat, steps_per_epoch)": (lambda: make_dataset(x, y, BATCH, repeat=True, **kw), steps),
            "fit(persistent=False)": (lambda: make_dataset(x, y, BATCH, persistent=False, **kw), None),
        }
        fits = {k: [] for k in fit_sides}
        for _ in range(args.rounds):
            for name, (build, spe) in fit_sides.items():
                ds = build()
                model.fit(ds, epochs=1, steps_per_epoch=spe, verbose=0)  # warm-up epoch
                fits[name].append(fit_rate(model, ds, args.fit_epochs, len(x), spe))
                del ds
                gc.collect()
        fit_a, fit_b = (float(np.median(fits[k])) for k in ("fit(ds)", "fit(repeat, steps_per_epoch)"))
        print(f"model.fit of a GlobalAveragePooling+Dense model, {args.fit_epochs} epochs, median of "
              f"{args.rounds}: " + "   ".join(f"{k} {np.median(v):,.0f}" for k, v in fits.items()) + "  images/s")

    fit_text = f"; model.fit: {fit_a / fit_b:.2f}x" if fit_a else ""
    print(f"ratio (a) fit(ds) / (b) repeat=True: {med['(a) fit(ds)'] / med['(b) repeat=True']:.2f}x{fit_text}; "
          f"(a) against the numpy loop {med['(a) fit(ds)'] / med['numpy loop']:.1f}x, "
          f"Keras layers {med['(a) fit(ds)'] / med['Keras layers']:.1f}x, "
          f"tf.image map {med['(a) fit(ds)'] / med['tf.image map']:.1f}x "
          f"(medians of {args.rounds} rounds)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
