"""Synthetic classes built from the real release of 00_warmup: right, partly right, blank and hostile.

Used by tests/test_hostile.py, tests/test_grade.py and benchmarks/grading_scale.py. Every
submission is the released notebook with cells changed programmatically; ``CASES`` says,
for each, what it does, the points each graded cell deserves and a fragment of the feedback
message that must explain a loss.

What "the points it deserves" means here:

* a graded cell earns its points when the student's function is right *as the student
  wrote it*, checked with the real numpy and the real check helpers;
* a graded cell whose check is interrupted (cell time limit), runs out of memory, hits
  ``sys.exit`` or a refused read of the grader's files scores 0, the other cells keep theirs;
* a notebook whose kernel dies (``os._exit``) keeps the points of the graded cells that ran
  before the kernel died; the ones after it score 0 ("not run"), and a notebook-level message
  names the cell it died in;
* a notebook that overruns its total time budget is stopped and scores 0 as a whole, with a
  notebook-level message;
* locked test cells that were edited, moved or deleted are put back (nbgrader restores the
  content of locked cells; ``course grade`` puts deleted or moved test cells back after the
  function they test): tampering neither costs nor earns points, the functions are graded.
"""

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path

from autograder import cells
from autograder.build import solution_submission

ASSIGNMENT = "00_warmup"
NOTEBOOK = "warmup.ipynb"
FUNCTIONS = ("channel_mean_std", "normalize", "one_hot", "accuracy")
TESTS = tuple(f"test_{f}" for f in FUNCTIONS)


_src = cells.source
_index = cells.index_of


def code_cell(source):
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


def set_solution(nb, function, source):
    nb["cells"][_index(nb, f"{function}_solution")]["source"] = source


def insert_after(nb, grade_id, source):
    nb["cells"].insert(_index(nb, grade_id) + 1, code_cell(source))


def _wrong(function):
    return {
        "channel_mean_std": "def channel_mean_std(X):\n    return X.mean(axis=0), X.std(axis=0)\n",
        "normalize": "def normalize(X, mean, std):\n    return X - mean / std\n",
        "one_hot": "def one_hot(y, num_classes):\n    return np.zeros((len(y), num_classes))\n",
        "accuracy": "def accuracy(scores, y):\n    return 0.5\n",
    }[function]


# -- the cases ------------------------------------------------------------------------------------
# Each builder takes (solution notebook, release notebook) and returns the submission.

def _right(sol, rel):
    return sol


def _blank(sol, rel):
    return rel


def _partial(sol, rel):
    nb = copy.deepcopy(sol)
    for f in ("one_hot", "accuracy"):
        nb["cells"][_index(nb, f"{f}_solution")] = copy.deepcopy(rel["cells"][_index(rel, f"{f}_solution")])
    return nb


def _wrong_two(sol, rel):
    nb = copy.deepcopy(sol)
    set_solution(nb, "normalize", _wrong("normalize"))
    set_solution(nb, "one_hot", _wrong("one_hot"))
    return nb


def _broken(sol, rel):
    nb = copy.deepcopy(sol)
    set_solution(nb, "channel_mean_std", "def channel_mean_std(X):\n    raise ValueError('student bug: bad shape')\n")
    src = _src(nb["cells"][_index(nb, "one_hot_solution")])
    set_solution(nb, "one_hot", src.replace("def one_hot(", "def onehot(", 1))
    set_solution(nb, "normalize", "def normalize(X, stats):\n    mean, std = stats\n    return (X - mean) / std\n")
    return nb


def _loops(sol, rel):
    nb = copy.deepcopy(sol)
    set_solution(nb, "normalize", "def normalize(X, mean, std):\n    while True:\n        pass\n")
    return nb


def _noisy(sol, rel):
    nb = copy.deepcopy(sol)
    insert_after(nb, "channel_mean_std_solution",
                 "for i in range(60000):\n    print('x' * 99)\nprint('y' * 2_000_000)\n")
    src = _src(nb["cells"][_index(nb, "one_hot_solution")])
    set_solution(nb, "one_hot", "import sys, warnings\n" + src.replace(
        "def one_hot(y, num_classes):\n",
        "def one_hot(y, num_classes):\n    warnings.warn('one_hot: student warning')\n"
        "    print('student stderr line', file=sys.stderr)\n", 1))
    insert_after(nb, "one_hot_solution", "import sys, warnings\nwarnings.warn('top-level warning')\n"
                                         "sys.stderr.write('e' * 100000 + '\\n')\n")
    return nb


def _tamper_tests(sol, rel):
    nb = copy.deepcopy(sol)
    set_solution(nb, "one_hot", _wrong("one_hot"))
    nb["cells"][_index(nb, "test_one_hot")]["source"] = "# edited by the student\npass\n"
    i = _index(nb, "test_normalize")
    nb["cells"][i]["source"] = "print('normalize is fine')\n"
    cell = nb["cells"].pop(_index(nb, "test_channel_mean_std"))
    nb["cells"].insert(1, cell)       # reordered: moved to the top, before the function is defined
    del nb["cells"][_index(nb, "test_accuracy")]
    return nb


MONKEYPATCH = """import numpy as np
import course.check.core as core
import course.check.warmup as public
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: np.True_
np.testing.assert_allclose = lambda *a, **k: None
core.expect_close = lambda *a, **k: None
core.expect = lambda *a, **k: None
core.expect_shape = lambda *a, **k: None
core.rel_error = lambda *a, **k: 0.0
public.check_channel_mean_std = lambda fn: None
"""


def _monkeypatch(sol, rel):
    nb = copy.deepcopy(sol)
    set_solution(nb, "channel_mean_std", _wrong("channel_mean_std"))
    set_solution(nb, "accuracy", "def accuracy(scores, y):\n    import numpy\n    numpy.max = lambda *a, **k: 0.0\n"
                                 "    numpy.abs = lambda x, *a, **k: x * 0\n    return 0.5\n")
    insert_after(nb, "channel_mean_std_solution", MONKEYPATCH)
    return nb


def _sys_exit(sol, rel):
    nb = copy.deepcopy(sol)
    set_solution(nb, "accuracy", "def accuracy(scores, y):\n    import sys\n    sys.exit(0)\n")
    insert_after(nb, "normalize_solution", "import sys\nsys.exit('bye')\n")
    return nb


def _os_exit(sol, rel):
    nb = copy.deepcopy(sol)
    insert_after(nb, "one_hot_solution", "import os\nos._exit(3)\n")
    return nb


def _slow(sol, rel):
    nb = copy.deepcopy(sol)
    for _ in range(SLOW_CELLS):
        insert_after(nb, "accuracy_solution", f"import time\ntime.sleep({SLOW_SECONDS})\n")
    return nb


def _memory(sol, rel):
    nb = copy.deepcopy(sol)
    set_solution(nb, "one_hot", "def one_hot(y, num_classes):\n    hog = []\n    while True:\n"
                                "        hog.append(np.ones(2_000_000))\n")
    return nb


READ_HIDDEN = """import os, course
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(course.__file__)))
stolen = []
for rel in ("autograder/checks/warmup.py", "notebooks/00_warmup/warmup.ipynb", ".git/HEAD"):
    try:
        stolen.append(open(os.path.join(ROOT, rel)).read())
    except OSError as e:
        print("blocked:", e)
try:
    import autograder.checks.warmup as hidden
except Exception as e:
    print("blocked import:", type(e).__name__)
try:
    import subprocess
    print(subprocess.run(["cat", os.path.join(ROOT, "autograder/checks/warmup.py")], capture_output=True).stdout[:50])
except Exception as e:
    print("blocked process:", e)
"""


def _reads_hidden(sol, rel):
    nb = copy.deepcopy(sol)
    insert_after(nb, "channel_mean_std_solution", READ_HIDDEN)
    set_solution(nb, "channel_mean_std", "def channel_mean_std(X):\n    ns = {}\n"
                 "    exec(open(os.path.join(ROOT, 'autograder/checks/warmup.py')).read(), ns)\n"
                 "    return ns['_ref_channel_mean_std'](X)\n")
    set_solution(nb, "normalize", "def normalize(X, mean, std):\n    return hidden._ref_normalize(X, mean, std)\n")
    return nb


@dataclass
class Case:
    name: str
    what: str
    build: object
    points: dict                        # grade_id -> deserved points (test cells)
    messages: dict = field(default_factory=dict)   # grade_id -> fragment of the feedback message
    status: str = "ok"
    note: str = ""                      # fragment of the notebook-level note
    hostile: bool = True


def _pts(**lost):
    return {t: (0.0 if t[5:] in lost else 2.0) for t in TESTS}


ZERO = {t: 0.0 for t in TESTS}

#: The hostile suite's limits (tests/test_hostile.py): per cell, per notebook, memory.
SUITE_CELL_TIMEOUT = 15
SUITE_NOTEBOOK_TIMEOUT = 120
SUITE_MEMORY_MB = 2000
SLOW_CELLS, SLOW_SECONDS = 11, 13          # 143 s of sleeping cells, each under the cell limit

CASES = [
    Case("right", "the instructor's solution", _right, _pts(), hostile=False),
    Case("blank", "the untouched release", _blank, ZERO, {"test_one_hot": "not implemented yet"}, hostile=False),
    Case("partial", "two functions left as stubs", _partial, _pts(one_hot=1, accuracy=1),
         {"test_accuracy": "not implemented yet"}, hostile=False),
    Case("wrong", "two wrong functions (operator precedence, all-zero one-hot)", _wrong_two,
         _pts(normalize=1, one_hot=1), {"test_normalize": "precedence"}, hostile=False),
    Case("broken", "channel_mean_std raises ValueError; one_hot renamed onehot; normalize(X, stats) signature",
         _broken, _pts(channel_mean_std=1, one_hot=1, normalize=1),
         {"test_channel_mean_std": "student bug", "test_one_hot": "name 'one_hot' is not defined",
          "test_normalize": "TypeError"}),
    Case("loops", "normalize loops forever", _loops, _pts(normalize=1), {"test_normalize": "Time limit"}),
    Case("noisy", "prints ~8 MB (60000 lines, a 2 MB line); warnings and 100 kB on stderr", _noisy, _pts()),
    Case("tamper", "edits two locked test cells, moves one to the top, deletes one; one_hot wrong", _tamper_tests,
         _pts(one_hot=1), {"test_one_hot": "one-hot"}, note=""),
    Case("monkeypatch", "patches numpy and course.check helpers before the tests, and numpy while checked; "
         "channel_mean_std and accuracy wrong", _monkeypatch, _pts(channel_mean_std=1, accuracy=1),
         {"test_channel_mean_std": "channel_mean_std", "test_accuracy": "changed numpy"}),
    Case("sysexit", "sys.exit in a cell and in accuracy", _sys_exit, _pts(accuracy=1),
         {"test_accuracy": "sys.exit"}),
    Case("osexit", "os._exit kills the kernel after normalize: the two tests before it keep their points",
         _os_exit, _pts(one_hot=1, accuracy=1),
         {"test_one_hot": "the kernel died in cell", "test_accuracy": "Not run"},
         status="kernel died", note="Kernel died in cell"),
    Case("memory", "one_hot allocates memory without bound", _memory, _pts(one_hot=1),
         {"test_one_hot": "Memory limit"}),
    Case("readhidden", "reads hidden checks, source notebook and .git; imports the checks; runs cat",
         _reads_hidden, _pts(channel_mean_std=1, normalize=1),
         {"test_channel_mean_std": "not allowed while grading", "test_normalize": "hidden"}),
    Case("slow", f"{SLOW_CELLS} cells of {SLOW_SECONDS} s: each under the cell limit, the notebook over budget",
         _slow, ZERO, {"test_accuracy": "Time budget"}, status="time budget", note="Time budget"),
]
CASE = {c.name: c for c in CASES}


def notebooks(course):
    """``(solution, release)`` notebooks of 00_warmup (the release must exist in the build dir)."""
    a = course.assignment(ASSIGNMENT)
    release = course.path("release", a) / NOTEBOOK
    tmp = course.build_dir / "grading" / "solution.ipynb"
    solution_submission(a.notebook, release, tmp)
    return json.loads(tmp.read_text()), json.loads(release.read_text())


def write_class(course, submitted_dir, cases, copies=1):
    """Write ``submitted_dir/<case>[-k]/00_warmup/warmup.ipynb`` for each case; return {student: case}."""
    sol, rel = notebooks(course)
    students = {}
    for case in cases:
        for k in range(copies):
            student = case.name if copies == 1 else f"{case.name}-{k}"
            out = Path(submitted_dir) / student / ASSIGNMENT / NOTEBOOK
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(case.build(copy.deepcopy(sol), copy.deepcopy(rel)), indent=1) + "\n")
            students[student] = case
    return students


def course_with_release(root, build_dir, cache=None):
    """A :class:`CourseDir` at ``build_dir`` with 00_warmup released.

    ``cache``: a build folder to release into once and copy from afterwards (the release,
    ``nbgrader generate_assignment``, takes half a minute on a loaded machine).
    """
    import shutil

    from autograder.course_dir import CourseDir

    if cache is not None:
        cache = Path(cache)
        if not (cache / "gradebook.db").is_file():
            CourseDir(root=root, build_dir=cache).release(ASSIGNMENT)
        if Path(build_dir).exists():
            shutil.rmtree(build_dir)
        shutil.copytree(cache, build_dir, ignore=shutil.ignore_patterns("nbgrader_config.py", "logs"))
    course = CourseDir(root=root, build_dir=build_dir)
    if cache is None:
        course.release(ASSIGNMENT)
    course.prepare()
    (course.build_dir / "grading").mkdir(exist_ok=True)
    return course
