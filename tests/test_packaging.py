"""The wheel students install holds the ``course`` package and nothing of the grading side."""

import subprocess
import sys
import zipfile

import pytest

from conftest import REPO_ROOT


@pytest.mark.slow
def test_wheel_ships_course_only(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(tmp_path), str(REPO_ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top_level == {"course"}, f"the wheel must ship only course/, it has {sorted(top_level)}"
    assert "course/check/core.py" in names and "course/data/cifar.py" in names
    assert not [n for n in names if "autograder" in n or n.endswith(".ipynb")]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "course = course.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
