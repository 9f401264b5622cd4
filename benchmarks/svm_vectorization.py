"""Speed-up of the vectorized SVM loss over the explicit loops (notebook 01).

Times, in one run and on the issue's problem (N = 500 CIFAR-sized examples,
D = 3073 with the bias, C = 10 classes), with the BLAS thread count of the
graded check (one) unless ``--threads`` says otherwise:

- the explicit double loop (``svm_loss_naive``, the instructor's solution);
- the vectorized loss (``svm_loss_vectorized``, the instructor's solution);
- its floor: the two matrix products X @ W and X.T @ G that any vectorized
  SVM loss needs, and nothing else;
- two vectorized losses the check must tell apart from the solution: one
  with a Python loop over the classes (rejected by counting lines, not by
  time) and one whose products are np.einsum without BLAS (rejected by time).

Each is the best of several calls (the call that was not preempted). The
required speed-up is the graded check's rule for this machine:
min(20, a third of the solution's speed-up).

    python benchmarks/svm_vectorization.py [--repeats 40] [--threads 1]

The last line printed is the speed-up of the solution over the loop.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from autograder import solutions  # noqa: E402
from autograder.checks.linear_classifiers import required_speedup  # noqa: E402
from autograder.mutants.linear_classifiers import (  # noqa: E402
    svm_vectorized_einsum,
    svm_vectorized_loops_over_classes,
)


def best_time(fn, args, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
    return best


def two_products(W, X, y, reg):
    """The floor of a vectorized SVM loss: its two matrix products, with a fixed coefficient matrix."""
    X @ W
    return X.T @ COEFFICIENTS


def main(argv=None):
    global COEFFICIENTS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=40, help="calls of each fast function (the loop gets a tenth)")
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads (the graded check uses 1)")
    args = ap.parse_args(argv)
    ns = solutions.load("linear_classifiers")
    rng = np.random.default_rng(99)
    W = 1e-4 * rng.standard_normal((3073, 10))
    X = rng.standard_normal((500, 3073)) * 60.0
    y = rng.integers(0, 10, size=500)
    COEFFICIENTS = rng.standard_normal((500, 10))
    problem = (W, X, y, 5e-5)
    slow = max(3, args.repeats // 10)
    with threadpool_limits(limits=args.threads, user_api="blas"):
        t_loop = best_time(ns["svm_loss_naive"], problem, slow)
        t_vec = best_time(ns["svm_loss_vectorized"], problem, args.repeats)
        t_floor = best_time(two_products, problem, args.repeats)
        t_classes = best_time(svm_vectorized_loops_over_classes, problem, args.repeats)
        t_einsum = best_time(svm_vectorized_einsum, problem, slow)
    print(f"N=500, D=3073, C=10, {args.threads} BLAS thread(s), best of {args.repeats} calls ({slow} for slow ones)")
    print(f"svm_loss_naive (explicit loops):        {t_loop * 1e3:7.2f} ms")
    print(f"svm_loss_vectorized (solution):         {t_vec * 1e3:7.2f} ms  {t_loop / t_vec:5.1f}x")
    print(f"its two matrix products alone (floor):  {t_floor * 1e3:7.2f} ms  {t_loop / t_floor:5.1f}x at most")
    print(f"loop over the classes (rejected: lines):{t_classes * 1e3:7.2f} ms  {t_loop / t_classes:5.1f}x")
    print(f"np.einsum products (rejected: time):    {t_einsum * 1e3:7.2f} ms  {t_loop / t_einsum:5.1f}x")
    print(f"the check requires here: {required_speedup(t_loop, t_vec):.1f}x (20x, or a third of the solution's)")
    print(f"speed-up vectorized / naive: {t_loop / t_vec:.1f}x")


if __name__ == "__main__":
    main()
