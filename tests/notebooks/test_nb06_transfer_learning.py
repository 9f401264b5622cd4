"""Notebook 06 (transfer learning): the source notebook follows the kit and runs end to end in fast mode.

The notebook runs once for the module (``execute_notebook``: the build's environment, real CIFAR-10
when the machine has it, the EfficientNet-Lite0 ImageNet weights from the installed package, no
network). Every cell must run without error and without writing to stderr, within the course's time
limit; every graded check must pass, and the experiments must print their results: the photos'
classes, the from-scratch baseline against the ImageNet codes, the depth curves, the BatchNorm
drift, the random-head damage and the 2x2 table. The checks themselves are tested in
``tests/test_transfer_learning_checks.py``, the mutant catalogue by ``tests/test_mutants.py``.
"""

import json
import re

import pytest

from autograder import lint
from conftest import REPO_ROOT

ASSIGNMENT = "06_transfer_learning"
NOTEBOOK = REPO_ROOT / "notebooks" / ASSIGNMENT / "transfer_learning.ipynb"
GRADED = {
    "test_build_feature_extractor": 4, "test_feature_extractor_accuracy": 3, "test_feature_model": 3,
    "test_unfreeze_top": 4, "test_fine_tuned_accuracy": 3, "answer_2x2_table": 4, "answer_batch_norm": 3,
}
STRATEGIES = ("linear, head features", "linear, stage 5 features", "fine-tune the top", "fine-tune everything",
              "from scratch")


@pytest.fixture(scope="module")
def executed(execute_notebook):
    return execute_notebook(ASSIGNMENT)


def test_source_notebook_follows_the_kit():
    """The kit's lint (title, Set-up ... Summary sections numbered in order, parameters cell, set-up call, graded
    cells' header, hidden tests, lock and public check, no outputs) passes, plus this notebook's own shape: its title,
    five numbered sections, the set-up with Keras and CIFAR-10, 24 points, no placeholder left in the text."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert lint.lint_notebook(nb, ASSIGNMENT) == []
    cells = nb["cells"]
    assert "".join(cells[0]["source"]).startswith("# 06 · Transfer learning from an ImageNet network")
    sections = [line for c in cells if c["cell_type"] == "markdown"
                for line in "".join(c["source"]).splitlines() if line.startswith("## ")]
    assert [int(re.match(r"## (\d+)\.", s).group(1)) for s in sections[1:-1]] == list(range(1, 6))
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code[0]["metadata"].get("tags") == ["parameters"]      # the lint asks for the tag, not for it alone
    assert "nb = course.notebook.setup(fast=FAST, seed=SEED, keras=True" in "".join(code[1]["source"])
    assert "nb.load_cifar10(DATA_SOURCE, DATA_DIR" in "".join(code[1]["source"])
    graded = {c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"]["points"]
              for c in cells if c["metadata"].get("nbgrader", {}).get("grade")}
    assert graded == GRADED and sum(graded.values()) == 24
    for c in cells:     # the exact spelling, which the lint lets vary ('(3 point)', no period, no '###')
        meta = c["metadata"].get("nbgrader", {})
        if meta.get("grade") and c["cell_type"] == "code":
            source = "".join(c["source"])
            assert source.startswith(f"# Graded ({meta['points']} points).") and "### BEGIN HIDDEN TESTS" in source
    text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert "PLACEHOLDER" not in text and "[full: ...]" not in text


def test_no_network_is_needed():
    """The ImageNet weights come from the installed package: the notebook never asks for a download."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert 'efficientnet_lite0("imagenet"' in source
    assert "keras.applications" not in source and "download=True" not in source


@pytest.mark.slow
def test_fast_run_is_quiet_passes_every_check_and_stays_in_time(executed):
    executed.assert_quiet()
    executed.assert_in_time()
    text = executed.stdout
    for name in ("build_feature_extractor", "feature_model", "unfreeze_top"):
        assert f"check_{name} passed" in text, name
    for what in ("feature extractor", "fine-tuned model"):
        accuracy = float(re.search(rf"test accuracy of your {what} \(10 images per class\): ([0-9.]+)%", text).group(1))
        assert accuracy > 20.0, (what, accuracy)
    assert "the whole notebook ran in" in text


@pytest.mark.slow
def test_fast_run_shows_transfer_beating_training_from_scratch(executed):
    text = executed.stdout
    assert "EfficientNet-Lite0, ImageNet weights" in text and "base output (None, 2, 2, 1280) at 64 px" in text
    gap = float(re.search(r"the gap: ([+-][0-9.]+) points for transfer", text).group(1))
    if "CIFAR-10 (local" in text:           # real images: ImageNet features must win by far
        assert gap > 15, gap
    rows = re.findall(r"^\s+(\S+), (little|lot)\s*: best at (\S+ ?\S*)\s+\(([0-9.]+)%\), head ([0-9.]+)%", text,
                      flags=re.M)
    assert len(rows) == 4, rows


@pytest.mark.slow
def test_fast_run_shows_the_batch_norm_drift_and_the_random_head_damage(executed):
    text = executed.stdout
    drifting = re.search(r"BatchNormalization trainable, base called with training=False: \[(.*)\]", text).group(1)
    frozen = re.search(r"BatchNormalization frozen \(trainable = False\):\s+\[(.*)\]", text).group(1)
    assert any(abs(float(v)) > 1e-3 for v in drifting.split()), drifting
    assert all(float(v) == 0.0 for v in frozen.split()), frozen
    trained = float(re.search(r"trained head: test accuracy [0-9.]+%; the top moved by ([0-9.e+-]+)", text).group(1))
    random = float(re.search(r"random head : test accuracy [0-9.]+%; the top moved by ([0-9.e+-]+)", text).group(1))
    assert random > 5 * trained, (trained, random)


@pytest.mark.slow
def test_fast_run_fills_the_2x2_table(executed):
    text = executed.stdout
    for strategy in STRATEGIES:
        if strategy == "fine-tune everything":     # through the whole network: full mode only
            assert re.search(r"^fine-tune everything(\s+\(full mode\)){4}\s*$", text, flags=re.M), text[-2000:]
            continue
        row = re.search(rf"^{re.escape(strategy)}\s+((?:[0-9.]+%\*?\s*){{4}})$", text, flags=re.M)
        assert row, f"no row {strategy!r} with four accuracies"
        values = [float(v) for v in re.findall(r"([0-9.]+)%", row.group(1))]
        assert all(0.0 <= v <= 100.0 for v in values), (strategy, values)
