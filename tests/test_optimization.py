"""Notebook 03 (optimization): the source notebook runs end to end in fast mode.

Executes ``notebooks/03_optimization/optimization.ipynb`` with nbclient, as
``course build --fast`` and grading do: ``COURSE_FAST=1``, the repository
root on ``PYTHONPATH`` (the hidden tests import ``autograder``). Every cell
must run without error and without writing to stderr (nbgrader gives 0
points to a test cell that writes to stderr), and the graded cells must
print their checks' success. The mutant catalogue is exercised by
``tests/test_mutants.py``.
"""

import json
import os
import time

import pytest

NOTEBOOK = "notebooks/03_optimization/optimization.ipynb"
# Fast mode takes about a minute on 2 idle cores; the bound is generous for a busy CI machine.
TIME_LIMIT_S = 900


def test_source_notebook_is_committed_without_outputs(repo_root):
    nb = json.loads((repo_root / NOTEBOOK).read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code[0]["metadata"].get("tags") == ["parameters"], "the first code cell must be tagged `parameters`"
    for cell in code:
        assert cell["outputs"] == [] and cell["execution_count"] is None, (
            f"committed with outputs: {''.join(cell['source'])[:60]!r}"
        )
    graded = {c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"].get("points")
              for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")}
    assert sum(graded.values()) == 27, graded
    assert "answer_learning_rate_curves" in graded


@pytest.mark.slow
def test_notebook_runs_in_fast_mode_without_stderr(repo_root, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(repo_root / NOTEBOOK, as_version=4)
    env_before = {k: os.environ.get(k) for k in ("COURSE_FAST", "PYTHONPATH", "TF_CPP_MIN_LOG_LEVEL", "MPLBACKEND")}
    os.environ["COURSE_FAST"] = "1"
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(repo_root), env_before["PYTHONPATH"]) if p
    )
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    os.environ.pop("MPLBACKEND", None)    # the kernel uses matplotlib's inline backend
    start = time.perf_counter()
    try:
        client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                         resources={"metadata": {"path": str(tmp_path)}})
        client.execute()
    finally:
        for k, v in env_before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    elapsed = time.perf_counter() - start
    stderr, printed = [], []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                (stderr if out["name"] == "stderr" else printed).append(out["text"])
    assert not stderr, "cells wrote to stderr:\n" + "\n".join(stderr)[:2000]
    text = "".join(printed)
    for fn in ("sgd", "sgd_momentum", "nesterov", "adagrad", "rmsprop", "adam", "step_decay",
               "exponential_decay", "inverse_time_decay", "sample_log_uniform", "random_search"):
        assert f"check_{fn} passed" in text
    assert text.count("lr used by Keras == your function's lr at every epoch: True") == 3, \
        "LearningRateDecay did not use the graded schedules' rates"
    assert "whole notebook:" in text
    assert elapsed < TIME_LIMIT_S, f"fast mode took {elapsed:.0f} s"
