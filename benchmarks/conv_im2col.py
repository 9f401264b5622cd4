"""Speed-up of the im2col convolution over the loops (notebook 04).

Times, in one run, on the graded check's problem (N = 4 images of 16x16x3,
eight 5x5 filters, stride 1, pad 2) and on a larger one (16 images of
32x32x3, sixteen 3x3 filters, pad 1), with one BLAS thread as the check:

- the naive forward pass (``conv_forward_naive``, the instructor's solution:
  a Python loop over every image and output position);
- ``conv_forward_im2col`` (the instructor's solution: index arrays, one matrix product);
- the check's reference im2col (``autograder/checks``) and its loops;
- two correct alternatives a student may write: a loop over the filter's
  HH x WW offsets, and ``sliding_window_view`` with ``np.einsum(optimize=True)``;
- the too-slow mutant the check must reject by time: an elementwise
  multiply-and-sum over a (..., HH, WW, C, F) temporary;
- Keras' ``Conv2D`` (float64, eager), for scale.

Each is the best of several calls. The required speed-up is the graded
check's rule for this machine: min(20, a third of the reference's).

    python benchmarks/conv_im2col.py [--repeats 20] [--threads 1]

The last line printed is the speed-up of the solution over the loops on the check's problem.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from autograder import solutions  # noqa: E402
from autograder.checks import convolutional_networks as hidden  # noqa: E402
from autograder.mutants.convolutional_networks import MUTANTS  # noqa: E402


def best_time(fn, args, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
    return best


def offsets_loop(x, w, b, conv_param):
    s, p = conv_param["stride"], conv_param["pad"]
    N, H, W, C = x.shape
    HH, WW, _, F = w.shape
    H_out, W_out = (H + 2 * p - HH) // s + 1, (W + 2 * p - WW) // s + 1
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    out = np.zeros((N, H_out, W_out, F)) + b
    for di in range(HH):
        for dj in range(WW):
            out += xp[:, di:di + s * (H_out - 1) + 1:s, dj:dj + s * (W_out - 1) + 1:s, :] @ w[di, dj]
    return out


def sliding_einsum(x, w, b, conv_param):
    s, p = conv_param["stride"], conv_param["pad"]
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    v = np.lib.stride_tricks.sliding_window_view(xp, w.shape[:2], axis=(1, 2))[:, ::s, ::s]
    return np.einsum("nijcab,abcf->nijf", v, w, optimize=True) + b


def keras_conv(x, w, b, conv_param):
    return hidden.keras_conv2d(x, w, b, conv_param["stride"], conv_param["pad"])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=20, help="calls of each fast function (the loops get 3)")
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads (the graded check uses 1)")
    args = ap.parse_args(argv)
    ns = solutions.load("convolutional_networks")
    slow_mutant = next(m.impl for m in MUTANTS if m.name == "multiply_and_sum")
    problems = [("check", hidden.RACE_PROBLEM), ("larger", ((16, 32, 32, 3), (3, 3, 3, 16), 1, 1))]
    headline = None
    with threadpool_limits(limits=args.threads, user_api="blas"):
        for label, (x_shape, w_shape, stride, pad) in problems:
            x, w, b = hidden._conv_problem(x_shape, w_shape, 870)
            param = {"stride": stride, "pad": pad}
            t_naive = best_time(ns["conv_forward_naive"], (x, w, b, param), 3)
            t_loops = best_time(hidden.conv_loops_reference, (x, w, b, stride, pad), 3)
            rows = [
                ("conv_forward_im2col (solution)",
                 best_time(ns["conv_forward_im2col"], (x, w, b, param), args.repeats)),
                ("the check's reference im2col", best_time(hidden.conv_im2col_reference, (x, w, b, stride, pad),
                                                           args.repeats)),
                ("loop over the filter offsets", best_time(offsets_loop, (x, w, b, param), args.repeats)),
                ("sliding_window_view + einsum", best_time(sliding_einsum, (x, w, b, param), args.repeats)),
                ("multiply-and-sum (rejected: time)", best_time(slow_mutant, (x, w, b, param), 3)),
                ("Keras Conv2D, float64 (layer built too)", best_time(keras_conv, (x, w, b, param), 3)),
            ]
            print(f"\n{label}: x {x_shape}, w {w_shape}, stride {stride}, pad {pad}, {args.threads} BLAS thread(s)")
            print(f"  conv_forward_naive (loops, solution):  {t_naive * 1e3:8.2f} ms")
            print(f"  the check's loops:                     {t_loops * 1e3:8.2f} ms")
            for name, t in rows:
                print(f"  {name:37s} {t * 1e3:8.2f} ms  {t_loops / t:6.1f}x")
            if label == "check":
                t_ref = rows[1][1]
                print(f"  the check requires here: {hidden.required_speedup(t_loops, t_ref):.1f}x "
                      f"(20x, or a third of the reference's {t_loops / t_ref:.0f}x)")
                headline = t_naive / rows[0][1]
    print(f"\nspeed-up im2col / naive on the check's problem: {headline:.1f}x")


if __name__ == "__main__":
    main()
