"""Overhead of UpdateRatioMonitor on a small CNN.

Trains the same small CNN (about 140k parameters, 32x32x3 inputs, random
images and labels) for one epoch at a time, alternately without and with
``UpdateRatioMonitor(every=10)``, several times, and reports the median
epoch time of each and their ratio. Interleaving the repeats makes slow
phases of a shared machine hit both variants alike. The first fit of each
variant (tracing and compiling the train step) is not timed. Both the wall
time and the process CPU time are recorded: on a contended CPU machine the
wall time mostly measures the neighbours, the CPU time measures the work
the monitor adds; on a GPU use ``--clock wall``.

    PYTHONPATH=. python benchmarks/update_ratio_overhead.py [--repeats 7] [--every 10] [--clock cpu|wall]

The last line is the overhead ratio (monitored / plain epoch time); the
target is below 1.05.
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def build_cnn(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((32, 32, 3)),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(128, 3, padding="same", activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(10),
    ])
    model.compile(
        keras.optimizers.SGD(0.01, momentum=0.9),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed epochs per variant (default 7)")
    parser.add_argument("--images", type=int, default=3000, help="synthetic training images (default 3000)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--every", type=int, default=10, help="the monitor's `every` (default 10)")
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu",
                        help="which ratio to report last: process CPU time (default; robust on a shared "
                             "machine, but blind to accelerator time) or the median paired wall-time ratio "
                             "(use on a GPU or an idle machine)")
    args = parser.parse_args(argv)

    import keras
    import numpy as np

    from course.callbacks import UpdateRatioMonitor

    rng = np.random.default_rng(0)
    x = rng.random((args.images, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, 10, args.images)
    keras.utils.set_random_seed(0)
    model = build_cnn(keras)
    monitor = UpdateRatioMonitor(every=args.every, verbose=0)
    steps = -(-args.images // args.batch_size)
    print(f"backend {keras.backend.backend()}, {model.count_params()} parameters, {args.images} images, "
          f"batch {args.batch_size} ({steps} steps/epoch), every={args.every}, {args.repeats} repeats")

    def epoch(callbacks):
        wall, cpu = time.perf_counter(), time.process_time()
        model.fit(x, y, batch_size=args.batch_size, epochs=1, verbose=0, callbacks=callbacks)
        return time.perf_counter() - wall, time.process_time() - cpu

    epoch([])  # warm-up: trace/compile the train step
    epoch([monitor])
    times = {"plain": [], "monitor": []}
    for i in range(args.repeats):
        # Alternate which variant goes first, so neither always follows the other.
        order = [("plain", []), ("monitor", [monitor])]
        for name, callbacks in order if i % 2 == 0 else order[::-1]:
            times[name].append(epoch(callbacks))
            if name == "monitor":
                # The monitor really measured: one value per `every` steps.
                assert len(monitor.steps) == -(-steps // args.every), monitor.steps
                assert np.isfinite(monitor.epoch_medians[-1])
        (pw, pc), (mw, mc) = times["plain"][-1], times["monitor"][-1]
        print(f"repeat {i + 1}: wall plain {pw:.3f} s, monitored {mw:.3f} s | "
              f"cpu plain {pc:.3f} s, monitored {mc:.3f} s")
    med = statistics.median
    wall_p, wall_m = med(t[0] for t in times["plain"]), med(t[0] for t in times["monitor"])
    cpu_p, cpu_m = med(t[1] for t in times["plain"]), med(t[1] for t in times["monitor"])
    paired = med(m[0] / p[0] for p, m in zip(times["plain"], times["monitor"]))
    print(f"last epoch's update_ratio_median: {monitor.epoch_medians[-1]:.3e}")
    print(f"median wall time per epoch: plain {wall_p:.3f} s, monitored {wall_m:.3f} s -> {wall_m / wall_p:.3f}")
    print(f"median of the {args.repeats} paired wall-time ratios: {paired:.3f}")
    print(f"median CPU time per epoch: plain {cpu_p:.3f} s, monitored {cpu_m:.3f} s -> {cpu_m / cpu_p:.3f}")
    ratio = cpu_m / cpu_p if args.clock == "cpu" else paired
    print(f"overhead ratio ({args.clock} time, monitored / plain): {ratio:.3f} ({(ratio - 1) * 100:+.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
