"""What students install: the wheel holds the ``course`` package and nothing of the grading side,
and its core requirements bring no instructor tools (those are the ``instructor`` extra)."""

import os
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


# -- a student's install has no instructor tools -------------------------------------------------

def test_a_students_install_leaves_the_instructor_tools_out():
    """`pip install .` brings JupyterLab and the kernel but not nbgrader, whose lab extension
    adds the Nbgrader menu, the Create Assignment sidebar and the Validate button; the
    [instructor] extra brings it (and `make venv` installs [instructor,dev])."""
    from student_install import closure

    student = closure()
    instructor = closure(extras=("instructor",))
    assert {"jupyterlab", "ipykernel", "numpy", "tensorflow", "keras"} <= set(student)
    assert not {"nbgrader", "notebook", "sqlalchemy", "alembic", "pytest", "playwright"} & set(student)
    assert {"nbgrader", "nbformat", "nbclient", "nbconvert"} <= set(instructor)
    nbgrader_files = {str(f) for f in instructor["nbgrader"].files}
    assert any("share/jupyter/labextensions/@jupyter/nbgrader/" in f for f in nbgrader_files), \
        "nbgrader no longer ships the lab extension: update this test and the README"
    developer = closure(extras=("instructor", "dev"))    # `make venv` installed all of it (else LookupError)
    assert {"nbgrader", "pytest", "playwright"} <= set(developer)


@pytest.mark.slow
def test_the_course_and_its_checks_import_in_a_students_environment(tmp_path):
    from student_install import make_student_env

    python = make_student_env(tmp_path / "student")
    script = (
        "import importlib, importlib.util, pkgutil\n"
        "assert importlib.util.find_spec('nbgrader') is None, 'nbgrader is in the student environment'\n"
        "import course, course.check, course.notebook, course.data, course.cli\n"
        "names = [m.name for m in pkgutil.iter_modules(course.check.__path__, 'course.check.')]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "import sys\n"
        "assert 'tensorflow' not in sys.modules and 'nbgrader' not in sys.modules\n"
        "print(len(names), 'course.check modules')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([str(python), "-c", script], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert int(proc.stdout.split()[0]) >= 5, proc.stdout
    # The instructor commands say what is missing instead of failing on an import.
    proc = subprocess.run([str(python), "-m", "course", "build", "--fast", "--root", str(REPO_ROOT)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "needs the instructor tools" in proc.stderr and "[instructor]" in proc.stderr, proc.stderr
