"""Notebook 07 (understanding and breaking CNNs): the source notebook, run once in fast mode.

The run goes through ``execute_notebook`` (the build's kernel environment, real CIFAR-10 when the
machine has it). Besides running cleanly and in time, the experiments must show what the notebook's
text says they show: the real ImageNet network recognises the photos, FGSM hurts far more than random
noise of the same size, and every test image of the linear classifier can be pushed to another class.
"""

import json
import re

import pytest

from autograder import cells, lint, solutions

ASSIGNMENT = "07_understanding_cnns"
GRADED = {"occlusion_map": 4, "saliency_map": 4, "class_visualization_step": 4, "fool_linear": 3, "fgsm": 5}
WRITTEN = {"answer_first_layer": 2, "answer_saliency_vs_occlusion": 3, "answer_fooling_linear": 3,
           "answer_shape_texture": 2}


@pytest.fixture(scope="module")
def executed(execute_notebook):
    return execute_notebook(ASSIGNMENT)


def test_source_notebook_points_and_cells():
    """The kit's lint passes (its graded test cells' '# Graded (N points)' header says their points), plus this
    notebook's own points table, and no other cell carries a header claiming points it does not have."""
    nb = json.loads(solutions.notebook_path("understanding_cnns").read_text(encoding="utf-8"))
    assert lint.lint_notebook(nb, ASSIGNMENT) == []
    points = {c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"]["points"]
              for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")}
    assert points == {**{f"test_{k}": v for k, v in GRADED.items()}, **WRITTEN}
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if source.startswith("# Graded (") and not cells.is_autograded_test(cell):     # the lint reads only those
            n = int(re.match(r"# Graded \((\d+) points?\)", source).group(1))
            assert n == cell["metadata"]["nbgrader"]["points"], source.splitlines()[0]


@pytest.mark.slow
def test_runs_quietly_in_time_and_every_check_passes(executed):
    executed.assert_quiet()
    executed.assert_in_time()
    for name in GRADED:
        assert f"check_{name} passed" in executed.stdout
    assert "whole notebook:" in executed.stdout


@pytest.mark.slow
def test_the_imagenet_network_recognises_the_photos(executed):
    text = executed.stdout
    assert re.search(r"chelsea\s+(tabby|tiger cat|Egyptian cat) \d", text), text[:2000]
    assert re.search(r"coffee\s+espresso \d", text)
    assert re.search(r"motorcycle\s+(moped|motor scooter) \d", text)


@pytest.mark.slow
def test_fgsm_hurts_and_random_noise_of_the_same_size_does_not(executed):
    rows = re.findall(r"eps = +(\d+)/255: accuracy ([\d.]+)% under FGSM, ([\d.]+)% with random signs", executed.stdout)
    assert [int(r[0]) for r in rows] == [0, 1, 2, 4, 8, 16]
    fgsm = [float(r[1]) for r in rows]
    noise = [float(r[2]) for r in rows]
    assert fgsm == sorted(fgsm, reverse=True) and fgsm[-1] < fgsm[0] / 2, rows
    assert min(noise) > fgsm[0] - 5 and fgsm[-1] < noise[-1] - 15, rows


@pytest.mark.slow
def test_every_linear_classifier_image_can_be_fooled(executed):
    match = re.search(r"fooled (\d+)% of (\d+) test images", executed.stdout)
    assert match and int(match.group(1)) >= 95, executed.stdout[-3000:]
    alpha = float(re.search(r"smallest alpha: median ([\d.]+)", executed.stdout).group(1))
    assert 0.01 < alpha < 5
