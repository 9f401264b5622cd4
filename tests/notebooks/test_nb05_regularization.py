"""Notebook 05 (regularization): the source notebook runs end to end in fast mode, once for this module.

Every cell runs without error and without writing to stderr, within the
course's time promise; the public checks pass on the reference solutions;
and the notebook's own comparisons with the package and with Keras come out
as the text says (l2_penalty against keras.regularizers.L2, sgdw/adamw
against Keras' optimizers step by step, the excluded variables, the
early-stopping function against course.callbacks.EarlyStopping, the
snapshot ensemble against SnapshotEnsemble.predict, use_ema's final weights
against our own running average, ten crops against tta_predict). The mutant
catalogue is exercised by tests/test_mutants.py.
"""

import json
import re

import pytest

from autograder import cells, lint
from conftest import REPO_ROOT

pytestmark = pytest.mark.slow

ASSIGNMENT = "05_regularization"
NOTEBOOK = REPO_ROOT / "notebooks" / ASSIGNMENT / "regularization.ipynb"
GRADED = ("l2_penalty", "sgdw", "adamw", "dropout_forward", "dropout_backward", "fit_pca_color",
          "pca_color_augment", "random_crop_flip", "early_stopping_epoch", "ensemble_predict", "ten_crop_predict")


@pytest.fixture(scope="module")
def executed(execute_notebook):
    return execute_notebook(ASSIGNMENT)


def test_source_follows_the_kit():
    """The kit's lint (title, sections, parameters cell, graded cells, docstrings) passes, plus this notebook's own
    shape: nine numbered sections, 34 points, one graded test cell per graded function, no outputs."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert lint.lint_notebook(nb, ASSIGNMENT) == []
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    sections = [line for c in nb["cells"] if c["cell_type"] == "markdown"
                for line in "".join(c["source"]).splitlines() if line.startswith("## ")]
    assert [int(re.match(r"## (\d+)\. ", s).group(1)) for s in sections[1:-1]] == list(range(1, 10))
    setup = "".join(code[1]["source"])
    assert "keras=True" in setup and "nb.load_cifar10(" in setup
    points = {cells.grade_id(c): cells.points(c) for c in nb["cells"] if cells.is_grade(c)}
    assert sum(points.values()) == 34 and points["answer_dropout_ensemble"] == 3
    assert {g[len("test_"):] for g in points if g.startswith("test_")} == set(GRADED)


def test_runs_quietly_in_time(executed):
    executed.assert_quiet()
    executed.assert_in_time()
    for fn in GRADED:
        assert f"check_{fn} passed" in executed.stdout, fn


def test_comparisons_with_keras_and_the_package_agree(executed):
    out = executed.stdout
    assert "relative difference" in out and re.search(r"relative difference [0-9.]+e-0[6-9]", out)
    assert out.count("below 1e-4: True") == 2, "sgdw/adamw no longer follow Keras' optimizers"
    assert re.search(r"dense/kernel\s+multiplied by 0\.950", out)
    assert not re.search(r"(bias|gamma|beta)\s+multiplied by 0\.9", out), "an excluded variable was decayed"
    assert "Keras at test time (training=False) is the identity: True" in out
    assert "same as course.data.fit_pca_color: True" in out
    assert out.count("  same") == 5 and "DIFFERENT" not in out, "early_stopping_epoch and EarlyStopping disagree"
    assert re.search(r"restored epoch (\d+); early_stopping_epoch says \((\d+), \1\)", out)
    assert "same as SnapshotEnsemble.predict: True" in out
    assert "after fit the model holds the averaged weights: True | and not the last step's: True" in out
    assert "tta_predict gives the same on the first 100: True" in out
    assert "keras.layers.RandomCrop: the top-left pixel of each crop (row * 10 + column): [0, 0, 0, 0, 0, 0]" in out \
        or re.search(r"RandomCrop: .*\[(\d+), \1, \1, \1, \1, \1\]", out), "Keras' RandomCrop no longer uses one offset"


def test_summary_table_lists_every_technique(executed):
    out = executed.stdout
    table = out[out.index("technique"):]
    for row in ("no regularization", "L2 in the loss", "decoupled decay", "dropout (rate", "augmentation: flip",
                "augmentation: crop", "augmentation: jitter", "augmentation: pca", "augmentation: cutout",
                "early stopping", "independent models", "snapshot ensemble", "Polyak averaging",
                "TTA: flip", "TTA: ten crops"):
        assert row in table, row
    accuracies = [float(a) for a in re.findall(r"test (0\.\d{3})", out)]
    assert accuracies and min(accuracies) > 0.12, "a run did not learn at all"
