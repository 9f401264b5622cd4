"""Speed-up of the vectorized SVM loss over the explicit loops (notebook 01).

Both are the instructor's solutions, read from the source notebook
(``autograder.solutions``), timed in the same run on the issue's problem:
N = 500 CIFAR-sized examples (D = 3073 with the bias), C = 10 classes.
Each is timed as the best of several calls (the call that was not
preempted). The check (``autograder/checks/linear_classifiers.py``) races a
student's function against its own loop and requires SPEEDUP_REQUIRED.

    python benchmarks/svm_vectorization.py [--repeats 50]

The last line printed is the speed-up.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from autograder import solutions  # noqa: E402
from autograder.checks.linear_classifiers import SPEEDUP_REQUIRED  # noqa: E402


def best_time(fn, args, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=50, help="calls of the vectorized loss (the loop gets a tenth)")
    args = ap.parse_args(argv)
    ns = solutions.load("linear_classifiers")
    rng = np.random.default_rng(99)
    W = 1e-4 * rng.standard_normal((3073, 10))
    X = rng.standard_normal((500, 3073)) * 60.0
    y = rng.integers(0, 10, size=500)
    problem = (W, X, y, 5e-5)
    t_naive = best_time(ns["svm_loss_naive"], problem, max(3, args.repeats // 10))
    t_vec = best_time(ns["svm_loss_vectorized"], problem, args.repeats)
    print(f"svm_loss_naive      (explicit loops): {t_naive * 1e3:7.2f} ms")
    print(f"svm_loss_vectorized (solution):       {t_vec * 1e3:7.2f} ms")
    print(f"the check requires {SPEEDUP_REQUIRED:g}x; the issue asks for 20x")
    print(f"speed-up vectorized / naive: {t_naive / t_vec:.1f}x")


if __name__ == "__main__":
    main()
