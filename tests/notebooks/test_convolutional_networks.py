"""Notebook 04 (convolutional networks): the source notebook runs end to end in fast mode.

The notebook runs once for the module (``execute_notebook``, the build's
environment, real CIFAR-10 when the machine has it). Every cell must run
without error and without writing to stderr, within the course's time
limit, every graded cell must pass, and the experiments must print their
results. The checks themselves are tested in
``tests/test_convolutional_networks_checks.py``, the mutant catalogue by
``tests/test_mutants.py``.
"""

import json
import re
from pathlib import Path

import pytest

from autograder import lint

REPO_ROOT = Path(__file__).resolve().parents[2]

ASSIGNMENT = "04_convolutional_networks"
NOTEBOOK = REPO_ROOT / "notebooks" / ASSIGNMENT / "convolutional_networks.ipynb"
GRADED = {
    "test_conv_output_size": 3, "test_conv_param_count": 2, "test_receptive_field": 3,
    "test_conv_forward_naive": 6, "test_conv_backward_naive": 8, "test_max_pool_forward_naive": 3,
    "test_max_pool_backward_naive": 5, "test_conv_forward_im2col": 8, "test_vgg_block": 4, "test_basic_block": 6,
    "test_cnn_accuracy": 8, "answer_degradation": 4, "answer_pooling": 4, "answer_small_filters": 4,
}


@pytest.fixture(scope="module")
def executed(execute_notebook):
    return execute_notebook(ASSIGNMENT)


def test_source_notebook_follows_the_kit():
    """The kit's lint (title, Set-up ... Summary sections numbered in order, parameters cell, set-up call, graded
    cells' header, hidden tests, lock and public check, no outputs) passes, plus this notebook's own shape: its title,
    seven numbered sections, the set-up with Keras, 68 points."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert lint.lint_notebook(nb, ASSIGNMENT) == []
    cells = nb["cells"]
    assert "".join(cells[0]["source"]).startswith("# 04 · Convolutional networks and the classic architectures")
    sections = [line for c in cells if c["cell_type"] == "markdown"
                for line in "".join(c["source"]).splitlines() if line.startswith("## ")]
    assert [int(re.match(r"## (\d+)\.", s).group(1)) for s in sections[1:-1]] == list(range(1, 8))
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code[0]["metadata"].get("tags") == ["parameters"]      # the lint asks for the tag, not for it alone
    assert "nb = course.notebook.setup(fast=FAST, seed=SEED, keras=True" in "".join(code[1]["source"])
    graded = {c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"]["points"]
              for c in cells if c["metadata"].get("nbgrader", {}).get("grade")}
    assert graded == GRADED and sum(graded.values()) == 68
    for c in cells:     # the exact spelling, which the lint lets vary ('(3 point)', no period, no '###')
        meta = c["metadata"].get("nbgrader", {})
        if meta.get("grade") and c["cell_type"] == "code":
            source = "".join(c["source"])
            assert source.startswith(f"# Graded ({meta['points']} points).") and "### BEGIN HIDDEN TESTS" in source


@pytest.mark.slow
def test_fast_run_is_quiet_passes_every_check_and_stays_in_time(executed):
    executed.assert_quiet()
    executed.assert_in_time()
    text = executed.stdout
    for name in ("conv_output_size", "conv_param_count", "receptive_field", "conv_forward_naive",
                 "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive", "conv_forward_im2col",
                 "vgg_block", "basic_block"):
        assert f"check_{name} passed" in text, name
    assert "whole notebook:" in text


@pytest.mark.slow
def test_fast_run_reproduces_the_lecture_figures(executed):
    text = executed.stdout
    assert "AlexNet conv1 on 227x227: 55 x 55 x 96, 34,944 parameters" in text
    assert "on 224x224: ValueError" in text
    assert "the lecture's example: [[6.0, 8.0], [3.0, 4.0]]" in text
    assert "X_col 363 x 3025, W_row 96 x 363" in text
    assert "VGG-16 at 224x224 with its 1000-class head: 14,714,688 + 123,642,856 = 138,357,544 parameters" in text
    assert "ResNet-20: yours 274,042 parameters, course.models.resnet_cifar 274,042" in text
    for name in ("dx", "dw", "db"):
        error = float(re.search(rf"{name}: relative error to the numerical gradient ([0-9.e+-]+)", text).group(1))
        assert error < 1e-7, (name, error)
    speedup = float(re.search(r"im2col [0-9.]+ ms: ([0-9.]+)x faster", text).group(1))
    assert speedup >= 10, speedup


@pytest.mark.slow
def test_fast_run_trains_the_four_depth_networks_and_the_graded_cnn(executed):
    text = executed.stdout
    rows = re.findall(r"^(plain|ResNet)-(\d+)\s+[\d,]+\s+([0-9.]+)\s+([0-9.]+)", text, flags=re.M)
    assert sorted((kind, int(depth)) for kind, depth, *_ in rows) == [
        ("ResNet", 8), ("ResNet", 14), ("plain", 8), ("plain", 14)]
    assert all(0.0 <= float(train) <= 1.0 and 0.0 <= float(test) <= 1.0 for *_, train, test in rows)
    accuracy = float(re.search(r"test accuracy ([0-9.]+)% on \d+ images", text).group(1))
    assert accuracy > 20.0
