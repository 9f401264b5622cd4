"""The degradation problem (He et al., 2016) on this machine: plain vs residual networks of two depths.

The experiment of notebook 04, section 5, with the notebook's own recipe and
data split (``course.notebook``: the training images less 500 for
validation, and the test set), one process, networks trained one after the
other with the same seed:

- ``--full`` (default): the paper's CIFAR networks, ``course.models.resnet_cifar``
  with ``residual=False`` (plain) and ``True``, 20 and 56 layers, width 16,
  32x32 images, flips + 4-pixel pad-crop (``course.data.make_dataset``), SGD
  with momentum 0.9, learning rate 0.1 after one epoch of linear warm-up, then a
  cosine decay per step (``course.callbacks.LearningRateDecay``), weight decay 1e-4, batch 128,
  10 epochs, the test set evaluated after every epoch for the curves;
- ``--fast``: notebook 04's fast mode, 8 and 20 layers of width 8 on 128
  training images downsampled to 16x16, batch 32, 12 epochs, learning rate 0.05.

The baseline is each depth's plain network, the project its residual twin;
it prints one line per epoch and network, the final training error (the
training images in inference mode, without augmentation) and test error of
each network with its training time, and last the headline: how much higher
the deeper plain network's training error is than the shallower one's, next
to the same ratio for the residual networks (He et al.: plain-56 trains worse
than plain-20; ResNet-56 better than ResNet-20). Curves go to
``--out``/training_loss_*.png, figures to ``--out``/summary.json.

    COURSE_DATA_DIR=/path/to/data python benchmarks/plain_vs_residual.py [--full | --fast] [--epochs N]

Measured: see notebook 04, section 5 (the figures there come from this script).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

RECIPES = {
    "full": dict(depths=(20, 56), width=16, image_size=32, n_images=None, batch_size=128, epochs=10,
                 learning_rate=0.1, warmup_epochs=1, weight_decay=1e-4, augment="flip,crop4", validate=True),
    "fast": dict(depths=(8, 20), width=8, image_size=16, n_images=128, batch_size=32, epochs=12,
                 learning_rate=0.05, warmup_epochs=0, weight_decay=1e-4, augment="flip,crop2", validate=False),
}


def downsample(x, size):
    """uint8 images (N, 32, 32, C) averaged down to (N, size, size, C) (size divides 32)."""
    f = x.shape[1] // size
    if f == 1:
        return x
    return np.round(x.reshape(len(x), size, f, size, f, x.shape[-1]).mean(axis=(2, 4))).astype(np.uint8)


def accuracy(model, x, y, batch_size=500):
    """Accuracy of ``model`` on uint8 images, in inference mode (eager calls: nothing to trace)."""
    import keras

    hits = 0
    for i in range(0, len(x), batch_size):
        scores = keras.ops.convert_to_numpy(model(x[i:i + batch_size] / np.float32(255), training=False))
        hits += int(np.sum(np.argmax(scores, axis=1) == y[i:i + batch_size]))
    return hits / len(x)


def train_network(depth, residual, x, y, x_test, y_test, recipe, seed, jit_compile=False, printer=print):
    import keras

    from course.callbacks import LearningRateDecay
    from course.data import fit_normalization, make_dataset
    from course.models import resnet_cifar
    from course.training import compile_model

    keras.utils.set_random_seed(seed)
    model = resnet_cifar(x.shape[1:], 10, depth=depth, width=recipe["width"], residual=residual,
                         weight_decay=recipe["weight_decay"], normalize=fit_normalization(x),
                         zero_init_residual=residual and recipe.get("zero_init_residual", False))
    # metrics (and their share of the traced step) only when the test curves need them
    compile_model(model, keras.optimizers.SGD(recipe["learning_rate"], momentum=0.9),
                  metrics=["accuracy"] if recipe["validate"] else None, jit_compile=jit_compile)
    train = make_dataset(x, y, recipe["batch_size"], training=True, augment=recipe["augment"], seed=seed, repeat=True)
    steps = math.ceil(len(x) / recipe["batch_size"])
    test = make_dataset(x_test, y_test, 500) if recipe["validate"] else None
    name = f"{'ResNet' if residual else 'plain'}-{depth}"

    class Progress(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            val = f", test error {1 - logs['val_accuracy']:.3f}" if "val_accuracy" in logs else ""
            train = f", training error {1 - logs['accuracy']:.3f}" if "accuracy" in logs else ""
            printer(f"  {name} epoch {epoch + 1}: {time.perf_counter() - start:.0f} s, training loss "
                    f"{logs.get('loss', float('nan')):.3f}{train}{val}")

    start = time.perf_counter()
    # full: one epoch of linear warm-up before the cosine decay (plain-56 diverges at 0.1 without it)
    decay = LearningRateDecay("cosine", per="step", warmup=recipe.get("warmup_epochs", 0) * steps)
    history = model.fit(train, epochs=recipe["epochs"], steps_per_epoch=steps, validation_data=test, verbose=0,
                        callbacks=[decay, Progress()])
    seconds = time.perf_counter() - start
    return {"name": name, "depth": depth, "residual": residual, "params": int(model.count_params()),
            "seconds": seconds, "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
            "train_error": 1 - accuracy(model, x, y), "test_error": 1 - accuracy(model, x_test, y_test)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--full", action="store_true", help="the paper's networks (default)")
    mode.add_argument("--fast", action="store_true", help="notebook 04's fast mode")
    ap.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    ap.add_argument("--images", type=int, default=None, help="override the recipe's number of training images")
    ap.add_argument("--learning-rate", type=float, default=None, help="override the recipe's learning rate")
    ap.add_argument("--depths", type=int, nargs=2, default=None, help="override the recipe's two depths")
    ap.add_argument("--zero-init-residual", action="store_true", default=None,
                    help="start every residual branch's last batch norm at 0")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs/plain_vs_residual")
    args = ap.parse_args(argv)
    recipe = dict(RECIPES["fast" if args.fast else "full"])
    for key in ("epochs", "images", "learning_rate", "depths", "zero_init_residual"):
        if getattr(args, key) is not None:
            recipe["n_images" if key == "images" else key] = getattr(args, key)

    import course.notebook

    nb = course.notebook.setup(fast=bool(args.fast), seed=args.seed, keras=True, threads=1)
    data = nb.load_cifar10("auto", n_train=2000 if args.fast else None, n_val=500)
    if data.kind != "cifar10":
        print("plain_vs_residual: no real CIFAR-10 found (set COURSE_DATA_DIR); the figures would mean little on "
              "the synthetic set", file=sys.stderr)
        return 2
    n = recipe["n_images"] or len(data.y_train)
    x, y = downsample(data.x_train[:n], recipe["image_size"]), data.y_train[:n]
    x_test, y_test = downsample(data.x_test, recipe["image_size"]), data.y_test
    print(f"recipe: {recipe}\ntraining on {len(y)} images of {x.shape[1:]}, testing on {len(y_test)}")
    runs = []
    for depth in recipe["depths"]:
        for residual in (False, True):
            r = train_network(depth, residual, x, y, x_test, y_test, recipe, args.seed, nb.runtime.jit_compile)
            runs.append(r)
            print(f"{r['name']} ({r['params']:,} parameters): training error {r['train_error']:.3f}, test error "
                  f"{r['test_error']:.3f}, {r['seconds']:.0f} s", flush=True)

    from course import plots

    out = Path(args.out)
    for residual in (False, True):
        series = {r["name"]: (np.arange(1, len(r["history"]["loss"]) + 1), r["history"]["loss"])
                  for r in runs if r["residual"] == residual}
        plots.save(plots.line_plot(series, title=f"{'Residual' if residual else 'Plain'} networks: training loss",
                                   xlabel="epoch", ylabel="training loss (augmented batches, per epoch)"),
                   out / f"training_loss_{'residual' if residual else 'plain'}.png")
    (out / "summary.json").write_text(json.dumps({"recipe": recipe, "device": str(nb.runtime), "runs": runs}, indent=1))
    print("\nnetwork      params   training error   test error   seconds")
    for r in runs:
        print(f"{r['name']:11s} {r['params']:8,d}   {r['train_error']:14.3f}   {r['test_error']:10.3f}   "
              f"{r['seconds']:7.0f}")
    shallow, deep = recipe["depths"]
    err = {(r["residual"], r["depth"]): r["train_error"] for r in runs}
    print(f"training error, {deep} vs {shallow} layers: plain {err[False, deep]:.3f} vs {err[False, shallow]:.3f} "
          f"(x{err[False, deep] / max(err[False, shallow], 1e-9):.2f}), residual {err[True, deep]:.3f} vs "
          f"{err[True, shallow]:.3f} (x{err[True, deep] / max(err[True, shallow], 1e-9):.2f})")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("MPLBACKEND", "Agg")
    raise SystemExit(main())
