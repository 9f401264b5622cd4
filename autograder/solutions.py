"""The instructor's reference solutions, read from the source notebooks.

The source notebook is the single source of the solutions: this module
executes its solution cells (nbgrader ``"solution": true`` code cells) in a
fresh namespace, so tests can check the reference against the hidden checks
without a second copy of the code.
"""

import json
import math
from pathlib import Path

import numpy as np

from autograder import cells

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"


def notebook_path(name):
    """``notebooks/NN_<name>/<name>.ipynb`` for a notebook ``name`` such as "warmup"."""
    matches = sorted(NOTEBOOKS_DIR.glob(f"[0-9][0-9]_{name}/{name}.ipynb"))
    if len(matches) != 1:
        raise FileNotFoundError(
            f"expected exactly one source notebook notebooks/NN_{name}/{name}.ipynb, found {len(matches)}"
        )
    return matches[0]


def solution_cells(path):
    """Source of every nbgrader solution code cell of the notebook at ``path``, in order."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    return [cells.source(c) for c in nb["cells"] if c["cell_type"] == "code" and cells.is_solution(c)]


def load(name):
    """Execute the solution cells of notebook ``name``; return their namespace.

    Solution cells import what they need beyond ``np`` and ``math``.
    """
    path = notebook_path(name)
    namespace = {"np": np, "math": math, "__name__": f"solutions_{name}"}
    for i, src in enumerate(solution_cells(path)):
        exec(compile(src, f"{path.name}[solution cell {i}]", "exec"), namespace)
    return namespace
