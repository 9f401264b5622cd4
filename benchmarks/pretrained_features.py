"""Feature extraction with the offline ImageNet network: EfficientNet-Lite0 against keras.applications.EfficientNetB0.

What a transfer-learning notebook does: CIFAR-sized images upsampled on the fly by
``make_dataset(x, None, 64, image_size=S, normalize=imagenet_normalizer())`` and
run through a headless network (``include_top=False, pooling="avg"``) by
``course.data.extract_features``. Both networks see the same pipeline, in
interleaved rounds of the same run:

* project: ``course.models.efficientnet_lite0(include_top=False, pooling="avg")``
  (ImageNet weights from the installed package, loaded offline);
* baseline: ``keras.applications.EfficientNetB0(weights=None, include_top=False,
  pooling="avg")`` (the online path's usual choice; ``weights=None`` because
  this machine cannot download, which does not change its speed).

Also measured:

* the weights' one-time conversion (read the ``.pth`` with numpy, check its
  sha256, convert, write the cache) against a load from the cache, and the
  time to build the model and load the cached weights;
* memory (on by default, ``--no-memory`` skips it; several minutes): peak
  RSS and peak address space (``VmPeak``, what an ``RLIMIT_AS`` limit counts)
  of a fresh process that loads the model and runs two batches; and whether
  the same works inside a grading kernel (``autograder.kernel_guard``, as
  ``course grade`` starts it) under the address-space limit
  ``autograder/config.py`` sets (``GRADING_MEMORY_MB``), for inference and
  for fine-tuning, with the limit each case needs when that one is too small.
  TensorFlow reserves far more address space than it touches (thread stacks,
  malloc arenas, oneDNN), so ``VmPeak`` is 2-3x the RSS.

Data: real CIFAR-10 when ``COURSE_DATA_DIR`` points at a folder holding
``cifar-10-batches-py``, else the synthetic set.

Usage::

    python benchmarks/pretrained_features.py [--sizes 96,128,160,224] [--images 256] [--rounds 3] [--no-memory]

The last line printed is the ratio Lite0 / B0 in images per second at 160 and 224 px, and in
brackets the same ratio in images per CPU-second of the process (steadier on a shared machine,
where the wall-time rates follow the other jobs' load).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

BATCH = 64


def load_images(n):
    from course.data import load_cifar10, load_synthetic

    if os.environ.get("COURSE_DATA_DIR"):
        d = load_cifar10(source="local")
    else:
        d = load_synthetic(n_train=n, n_test=0, seed=0)
    return d.x_train[:n], d.source


def conversion_cost():
    """Seconds: conversion into an empty cache, a load from the cache, conversion without cache."""
    from course.models import efficientnet_lite as lite

    with tempfile.TemporaryDirectory() as folder:
        old = os.environ.get("COURSE_CACHE_DIR")
        os.environ["COURSE_CACHE_DIR"] = folder
        try:
            t = time.perf_counter()
            lite.efficientnet_lite0_weights()
            first = time.perf_counter() - t
            t = time.perf_counter()
            lite.efficientnet_lite0_weights()
            cached = time.perf_counter() - t
            t = time.perf_counter()
            lite.efficientnet_lite0_weights(cache=False)
            uncached = time.perf_counter() - t
            size = (Path(folder) / lite._CACHE_NAME).stat().st_size
        finally:
            if old is None:
                os.environ.pop("COURSE_CACHE_DIR")
            else:
                os.environ["COURSE_CACHE_DIR"] = old
    return first, cached, uncached, size


def rate(model, ds, n):
    """``(images per second of wall time, images per CPU-second of this process)``.

    On a shared machine the wall-time rate follows the other jobs' load (it swung 3x between
    runs minutes apart); the CPU-time rate counts only this process's work, so its ratio is the
    steadier comparison there. On an idle machine the wall-time rate is what a user sees.
    """
    from course.data import extract_features

    t, c = time.perf_counter(), time.process_time()
    feats = extract_features(model, ds)
    dt, dc = time.perf_counter() - t, time.process_time() - c
    assert feats.shape == (n, 1280), feats.shape
    return n / dt, n / dc


# --------------------------------------------------------------------------- memory

_PROBE = textwrap.dedent("""
    import json, os, resource, sys, time
    t0 = time.perf_counter()
    from course import runtime
    runtime.setup(seed=0)
    import numpy as np, keras
    from course.models import efficientnet_lite0
    size, batch, mode = {size}, {batch}, {mode!r}
    t1 = time.perf_counter()
    model = efficientnet_lite0(input_shape=(size, size, 3), include_top=(mode == "fit"), pooling="avg",
                               num_classes=10 if mode == "fit" else 1000)
    t2 = time.perf_counter()
    x = np.random.default_rng(0).uniform(-1, 1, (2 * batch, size, size, 3)).astype("float32")
    if mode == "fit":
        model.compile(keras.optimizers.Adam(1e-4), "sparse_categorical_crossentropy")
        model.fit(x, np.arange(2 * batch) % 10, batch_size=batch, epochs=1, verbose=0)
    else:
        model.predict(x, batch_size=batch, verbose=0)
    status = {{k: int(v.split()[0]) // 1024 for k, v in (line.split(":", 1) for line in open("/proc/self/status"))
              if k in ("VmPeak", "VmHWM")}}
    print("RESULT " + json.dumps(dict(status, import_s=t1 - t0, build_s=t2 - t1, run_s=time.perf_counter() - t2)))
""")


def process_memory(size, batch, mode):
    code = _PROBE.format(size=size, batch=batch, mode=mode)
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=900)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode or not line:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:]}
    return json.loads(line[0][len("RESULT "):])


def kernel_memory(size, batch, mode, limit_mb):
    """Run the probe in a grading kernel (``python -m autograder.kernel_guard``, as ``course grade``
    starts it: a kernelspec of its own, IPC transport) under ``limit_mb`` of address space."""
    from jupyter_client import KernelManager

    out = {"limit_mb": limit_mb}
    with tempfile.TemporaryDirectory(prefix="cg-bench-") as folder:
        spec = Path(folder) / "jupyter" / "kernels" / "course-grading-bench"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "autograder.kernel_guard", "-f", "{connection_file}",
                     "--IPKernelApp.log_level=ERROR"],
            "display_name": "course grading (benchmark)", "language": "python"}))
        old_path = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join([str(Path(folder) / "jupyter")] + ([old_path] if old_path else []))
        env = dict(os.environ, COURSE_GRADING_MEMORY_MB=str(limit_mb), PYTHONPATH=str(REPO))
        try:
            km = KernelManager(kernel_name="course-grading-bench", transport="ipc", ip=str(Path(folder) / "k"))
            km.start_kernel(env=env, cwd=str(REPO))
        finally:
            if old_path is None:
                os.environ.pop("JUPYTER_PATH")
            else:
                os.environ["JUPYTER_PATH"] = old_path
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=120)
            code = ("import resource; assert resource.getrlimit(resource.RLIMIT_AS)[0] == "
                    f"{limit_mb} * 1024 * 1024, 'the kernel runs without the address-space limit'\n"
                    + _PROBE.format(size=size, batch=batch, mode=mode))
            msg_id = kc.execute(code)
            text, error = [], None
            while True:
                msg = kc.get_iopub_msg(timeout=900)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream":
                    text.append(content["text"])
                elif kind == "error":
                    error = f"{content['ename']}: {content['evalue']}"[:300]
                elif kind == "status" and content["execution_state"] == "idle":
                    break
            result = [ln for ln in "".join(text).splitlines() if ln.startswith("RESULT ")]
            if result:
                out.update(json.loads(result[0][len("RESULT "):]))
            out["error"] = error
        except Exception as exc:  # the kernel died (an allocation past the limit can abort TensorFlow)
            out["error"] = f"kernel died or hung: {type(exc).__name__}: {exc}"[:300]
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    return out


def memory_section():
    sys.path.insert(0, str(REPO))
    from autograder import config

    limit = int(getattr(config, "GRADING_MEMORY_MB", 4096))
    cases = [(160, 32, "predict"), (160, 128, "predict"), (96, 32, "fit"), (160, 32, "fit")]
    print("memory of a fresh process that builds EfficientNet-Lite0 (ImageNet weights) and runs two batches:")
    for size, batch, mode in cases:
        r = process_memory(size, batch, mode)
        if "error" in r:
            print(f"  {mode:7s} {size} px, batch {batch:3d}: failed: {r['error']}")
            continue
        print(f"  {mode:7s} {size} px, batch {batch:3d}: peak RSS {r['VmHWM']:5d} MB, peak address space "
              f"{r['VmPeak']:5d} MB (import {r['import_s']:.1f} s, build + load {r['build_s']:.1f} s, "
              f"run {r['run_s']:.1f} s)")
    print(f"inside a grading kernel (autograder.kernel_guard) under an address-space limit, first "
          f"GRADING_MEMORY_MB = {limit} MB (autograder/config.py), then larger ones until it works:")
    for size, batch, mode in cases:
        for mb in [limit] + [m for m in (6144, 8192, 12288) if m > limit]:
            r = kernel_memory(size, batch, mode, mb)
            ok = not r.get("error") and "VmPeak" in r
            peak = f", peak address space {r['VmPeak']} MB" if "VmPeak" in r else ""
            print(f"  {mode:7s} {size} px, batch {batch:3d}, limit {mb:5d} MB: "
                  + ("ok" if ok else f"FAILED ({(r.get('error') or '').splitlines()[0][:120]})") + peak, flush=True)
            if ok:
                break


# --------------------------------------------------------------------------- main


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="96,128,160,224", help="input sizes in pixels, comma-separated")
    ap.add_argument("--images", type=int, default=256, help="images per measurement")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (Lite0, then B0)")
    ap.add_argument("--no-memory", dest="memory", action="store_false", help="skip the memory measurements")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    print(f"cpus: {os.cpu_count()}; load average: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    from course import runtime

    print(runtime.setup(seed=0))
    import keras

    from course.data import make_dataset
    from course.models import efficientnet_lite0, imagenet_normalizer

    first, cached, uncached, size_bytes = conversion_cost()
    print(f"weights: first use (read .pth with numpy, sha256, convert, write {size_bytes / 1e6:.1f} MB cache) "
          f"{first:.2f} s; from the cache {cached:.2f} s; conversion without cache {uncached:.2f} s")
    builds = []
    for _ in range(3):
        t = time.perf_counter()
        efficientnet_lite0(input_shape=(160, 160, 3), include_top=False, pooling="avg")
        builds.append(time.perf_counter() - t)
    print(f"efficientnet_lite0(input_shape=(160, 160, 3)) build + cached weights: median {np.median(builds):.2f} s "
          f"(of {', '.join(f'{b:.2f}' for b in builds)})")

    if args.memory:
        memory_section()

    x, source = load_images(args.images)
    print(f"data: {source}, {len(x)} images, batches of {BATCH}, upsampled on the fly; median of {args.rounds} "
          "interleaved rounds after a warm-up")
    results = {}
    for size in sizes:
        ds = make_dataset(x, None, BATCH, image_size=size, normalize=imagenet_normalizer())
        lite = efficientnet_lite0(input_shape=(size, size, 3), include_top=False, pooling="avg")
        b0 = keras.applications.EfficientNetB0(weights=None, include_top=False, pooling="avg",
                                               input_shape=(size, size, 3))
        warm = make_dataset(x[:BATCH], None, BATCH, image_size=size, normalize=imagenet_normalizer())
        rate(lite, warm, BATCH)
        rate(b0, warm, BATCH)
        lite_r, b0_r = [], []
        for _ in range(args.rounds):
            lite_r.append(rate(lite, ds, len(x)))
            b0_r.append(rate(b0, ds, len(x)))
        lite_wall, lite_cpu = np.median(lite_r, axis=0)
        b0_wall, b0_cpu = np.median(b0_r, axis=0)
        results[size] = (lite_wall, b0_wall, lite_cpu, b0_cpu)
        print(f"{size:4d} px: EfficientNet-Lite0 {lite_wall:7.1f} images/s ({lite_cpu:6.1f} per CPU-second)   "
              f"EfficientNetB0 (weights=None) {b0_wall:7.1f} images/s ({b0_cpu:6.1f} per CPU-second)   "
              f"ratio {lite_wall / b0_wall:.2f}x (CPU time {lite_cpu / b0_cpu:.2f}x)", flush=True)
        del lite, b0
        keras.backend.clear_session()
    shown = [s for s in (160, 224) if s in results] or sizes
    print("ratio EfficientNet-Lite0 / EfficientNetB0 feature extraction, images/s (per CPU-second): "
          + ", ".join(f"{s} px {results[s][0] / results[s][1]:.2f}x ({results[s][2] / results[s][3]:.2f}x)"
                      for s in shown))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
