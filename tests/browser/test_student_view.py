"""What a student sees: a notebook's release in a real JupyterLab, in headless Chromium.

Each case of :data:`CASES` is one notebook and one graded function: notebook 01 (numpy
only) with a wrong ``svm_loss_naive`` (the loop forgets to skip the correct class, a
classic first try), and notebook 04 (its set-up cell imports TensorFlow) with a wrong
``conv_output_size`` (the output size without the + 1). The student's release
(``nbgrader generate_assignment`` through ``CourseDir.release``) gets the wrong function in
its solution cell, and the notebook is run the way a student runs it, Shift+Enter cell after
cell, up to and including the visible check and the graded cell. The cells before the
solution (the set-up, TensorFlow's import) show no error box. Then the page itself is
inspected: the check's message is shown with its likely cause, no traceback frames of the
checks (no "Traceback", no ``core.py``, no file paths), and the pink error box fits on the
screen below the cell's code, measured on the screenshot's pixels. The notebook JupyterLab
saved is graded by nbgrader's own rule (an error output: 0 points) and its feedback page
shows the message. Two more cells show a passing check and the stub's message, and the
menu bar shows that the student's install has no instructor tools (checked once, with
the first case: it is the install's, the same for every notebook).

Both cases share one JupyterLab server (starting it is a good part of the cost); each
case opens its notebook in a fresh workspace and shuts its kernel down when done.
Screenshots are kept in a temporary folder per case (``screenshots-<notebook>``), named
after the notebook and what they show; ``pytest -s`` prints where, with each case's times.
"""

import dataclasses
import html
import json
import re
import time

import pytest

from autograder import cells as nbcells
from autograder.course_dir import CourseDir
from autograder.feedback import render_html, scored_cells
from autograder.results import NotebookResult

pytestmark = pytest.mark.slow



@dataclasses.dataclass(frozen=True)
class Case:
    """One notebook's release run in the browser with a wrong ``function``."""

    assignment: str
    function: str
    #: The solution cell's new source: a plausible wrong implementation.
    wrong: str
    #: The start of the check's message (what was called, what came back).
    headline: str
    #: The likely cause the check must name for ``wrong``.
    cause: str
    #: How the stub's message names the call.
    signature: str

    @property
    def label(self):
        """``"01"``: the notebook's number, for screenshot names."""
        return self.assignment.split("_")[0]


CASES = [
    Case(
        assignment="01_linear_classifiers",
        function="svm_loss_naive",
        # A student's first try: the loop over the classes does not skip j == y_i.
        wrong='''def svm_loss_naive(W, X, y, reg):
    loss = 0.0
    dW = np.zeros_like(W, dtype=np.float64)
    for i in range(X.shape[0]):
        scores = X[i] @ W
        for j in range(W.shape[1]):
            margin = scores[j] - scores[y[i]] + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss = loss / X.shape[0] + reg * np.sum(W * W)
    dW = dW / X.shape[0] + 2 * reg * W
    return loss, dW
''',
        headline="svm_loss_naive(W, X, y, reg) returned the wrong loss.",
        cause="likely cause: the sum includes the correct class",
        signature="svm_loss_naive(W, X, y, reg)",
    ),
    Case(
        assignment="04_convolutional_networks",
        function="conv_output_size",
        # The classic slip: the number of positions without the first one (no + 1).
        wrong='''def conv_output_size(n, f, stride=1, pad=0):
    return (n - f + 2 * pad) // stride
''',
        headline="conv_output_size(7, 3, stride=1, pad=0) returned 4.",
        cause=("likely cause: the number of positions is (n - f + 2 * pad) // stride + 1: the + 1 counts "
               "the first position, where the filter starts at the edge"),
        signature="conv_output_size(n, f, stride=stride, pad=pad)",
    ),
]
#: Longest one cell may take in the browser, from Shift+Enter to its prompt's number. The
#: slowest is 04's set-up cell (TensorFlow's import and set-up, then the data): about 10 s
#: here, 4-5 times that on a slow 2-core CI machine, with room to spare.
RUN_TIMEOUT_MS = 120_000
#: JupyterLab's error output background (--jp-rendermime-error-background, light theme).
ERROR_PINK = (0xFF, 0xDD, 0xDD)
#: An output JupyterLab shows in a pink box: stderr, and errors (which it renders the same way).
STDERR = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
#: What only a traceback shows: frames, file paths, the checks' source files.
TRACEBACK_MARKS = ("Traceback", "core.py", "course/check", "site-packages", 'File "', ".py:", "----> ")


def _code_cell(source):
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"{c.label}-{c.function}")
def case(request):
    return request.param


@pytest.fixture(scope="module")
def notebook(case, jupyter_lab, tmp_path_factory, request):
    """The student's notebook in the server's folder, and the index of each cell of interest.

    Cells: the release up to its graded cell of ``case.function``, with the wrong
    implementation in the solution cell; then the reference solution and the visible check
    again; then the release's stub and the check again.
    """
    root = request.config.rootpath
    course = CourseDir(root=root, build_dir=tmp_path_factory.mktemp(f"release-build-{case.label}"))
    start = time.monotonic()
    release_path = course.release(case.assignment) / course.assignment(case.assignment).notebook.name
    print(f"\n{case.label}: nbgrader generated the release in {time.monotonic() - start:.1f} s")
    release = json.loads(release_path.read_text())
    source = json.loads(course.assignment(case.assignment).notebook.read_text())

    cells = release["cells"]
    solution = nbcells.index_of(release, f"{case.function}_solution")
    graded = nbcells.index_of(release, f"test_{case.function}")
    (check,) = [i for i in range(solution + 1, graded)
                if cells[i]["cell_type"] == "code" and f"check_{case.function}(" in nbcells.source(cells[i])]
    stub = nbcells.source(cells[solution])
    assert "raise NotImplementedError" in stub, "the release's solution cell is not the stub"
    reference = nbcells.source(source["cells"][nbcells.index_of(source, f"{case.function}_solution")])
    check_source = nbcells.source(cells[check])

    nb = dict(release, cells=[dict(c) for c in cells[: graded + 1]])
    nb["cells"][solution] = dict(nb["cells"][solution], source=case.wrong)
    at = {"solution": solution, "check": check, "graded": graded}
    for name, src in (("reference", reference), ("passing check", check_source),
                      ("stub", stub), ("stub check", check_source)):
        at[name] = len(nb["cells"])
        nb["cells"].append(_code_cell(src))
    path = jupyter_lab.root / release_path.name
    path.write_text(json.dumps(nb, indent=1))
    return path, at, len(nb["cells"])


class Run:
    """The notebook as run in the browser: the case, the page, the cells, the screenshots,
    and each code cell's time in seconds (``seconds[index]``)."""

    def __init__(self, case, page, path, at, shots, seconds):
        self.case, self.page, self.path, self.at, self.shots = case, page, path, at, shots
        self.seconds = seconds

    def cell(self, index):
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)

    def screenshot(self, name, index):
        """Scroll cell ``index`` to the top of the notebook, as a student reads it, and shoot
        ``<notebook number>-<name>.png``."""
        self.cell(index).evaluate("el => el.scrollIntoView({block: 'start'})")
        self.page.wait_for_timeout(300)          # let the scroll and rendering settle
        path = self.shots / f"{self.case.label}-{name}.png"
        self.page.screenshot(path=str(path))
        print(f"screenshot: {path}")
        return path

    def saved(self):
        return json.loads(self.path.read_text())


@pytest.fixture(scope="module")
def run(case, page, jupyter_lab, notebook, tmp_path_factory):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout   # installed: `page` exists

    path, at, n_cells = notebook
    start = time.monotonic()
    # ?reset: a fresh workspace, so the notebook of the case before is not opened again beside it.
    page.goto(jupyter_lab.url(f"lab/tree/{path.name}?reset"))
    first = page.locator(".jp-Notebook .jp-Cell").first
    first.wait_for(timeout=60_000)
    jupyter_lab.wait_for_connected_idle_kernel(path.name)
    page.get_by_text(re.compile(r"\| Idle$")).first.wait_for(timeout=60_000)   # the status bar says so too
    cells = page.locator(".jp-Notebook .jp-Cell")
    page.wait_for_function("n => document.querySelectorAll('.jp-Notebook .jp-Cell').length === n",
                           arg=n_cells, timeout=60_000)    # cells render progressively (and only this notebook's)
    print(f"{case.label}: the notebook opened, its kernel idle, after {time.monotonic() - start:.1f} s")
    first.locator(".jp-InputPrompt").first.click()         # select the first cell, command mode
    shots = tmp_path_factory.mktemp(f"screenshots-{case.label}")
    seconds = {}
    for i in range(n_cells):            # Shift+Enter runs the selected cell and selects the next
        cell = cells.nth(i)
        is_code = "jp-CodeCell" in (cell.get_attribute("class") or "")
        began = time.monotonic()
        page.keyboard.press("Shift+Enter")
        if not is_code:
            continue
        prompt = cell.locator(".jp-InputPrompt").first
        try:
            page.wait_for_function("el => /^\\[\\d+\\]:$/.test(el.textContent.trim())",
                                   arg=prompt.element_handle(), timeout=RUN_TIMEOUT_MS)
        except PlaywrightTimeout as e:        # say where, and keep the page
            page.screenshot(path=str(shots / "stuck.png"))
            pytest.fail(f"{case.label}: cell {i} did not finish within {RUN_TIMEOUT_MS / 1000:g} s (prompt "
                        f"{prompt.text_content()!r}; page: {shots / 'stuck.png'}; server log: "
                        f"{jupyter_lab.log_path}): {type(e).__name__}", pytrace=False)
        seconds[i] = time.monotonic() - began
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:    # saved once the last cell's output is on disk
        try:
            saved = json.loads(path.read_text())
        except json.JSONDecodeError:      # caught while JupyterLab writes it
            saved = {"cells": []}
        if len(saved["cells"]) >= n_cells and saved["cells"][n_cells - 1].get("outputs"):
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"{case.label}: JupyterLab did not save the notebook with its outputs within 30 s")
    slowest = max(seconds, key=seconds.get)
    print(f"{case.label}: ran {n_cells} cells in the browser in {time.monotonic() - start:.1f} s "
          f"(slowest: cell {slowest}, {seconds[slowest]:.1f} s)")
    try:
        yield Run(case, page, path, at, shots, seconds)
    finally:
        jupyter_lab.shut_down(path.name)


def _flat(text):
    """``text`` with its runs of white space as one space: the checks wrap a long line (a
    likely cause) for the output area, with a hanging indent."""
    return " ".join(text.split())


def _error_text(cell):
    errors = cell.locator(STDERR)
    assert errors.count() == 1, f"expected one error output, found {errors.count()}"
    return errors.first


def _pink_bands(png_path, box):
    """``[(first row, last row)]`` of the screenshot's runs of rows, inside ``box`` (x, y,
    width, height), whose pixels are mostly JupyterLab's error background."""
    import matplotlib.image

    pixels = (matplotlib.image.imread(str(png_path))[..., :3] * 255).round().astype(int)
    x, y, w, h = (int(round(v)) for v in box)
    region = pixels[max(y, 0): y + h, max(x, 0): x + w]
    pink = (abs(region - ERROR_PINK) <= 3).all(axis=-1).mean(axis=1) > 0.5
    bands, start = [], None
    for r, is_pink in enumerate(list(pink) + [False]):
        if is_pink and start is None:
            start = r
        elif not is_pink and start is not None:
            bands.append((y + start, y + r - 1))
            start = None
    return bands


def test_the_set_up_cells_show_no_error_box(run):
    """The cells before the first solution (parameters, set-up, imports; TensorFlow's import
    in 04) leave nothing on stderr: no pink box a student would take for an error."""
    saved = run.saved()["cells"]
    for i in range(run.at["solution"]):
        cell = saved[i]
        if cell["cell_type"] != "code":
            continue
        noisy = [o for o in cell["outputs"] if o["output_type"] == "error"
                 or (o["output_type"] == "stream" and o.get("name") == "stderr")]
        assert not noisy, f"{run.case.label}: cell {i} ({nbcells.source(cell)[:60]!r}) wrote to stderr: {noisy}"
        assert run.cell(i).locator(STDERR).count() == 0, f"{run.case.label}: cell {i} shows an error box"
    set_up = max((i for i in range(run.at["solution"]) if i in run.seconds), key=run.seconds.get)
    run.screenshot("set-up", set_up)
    print(f"{run.case.label}: the slowest set-up cell, {set_up}, took {run.seconds[set_up]:.1f} s")


def test_a_failing_check_shows_its_message_and_no_traceback(run):
    case = run.case
    cell = run.cell(run.at["check"])
    shot = run.screenshot("failing-check", run.at["check"])
    error = _error_text(cell)
    text = error.inner_text()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert lines[0].startswith(f"CheckFailure: {case.headline}"), text
    assert case.cause in _flat(text), text
    assert "expected:" in text and "got:" in text
    assert not [m for m in TRACEBACK_MARKS if m in text], f"traceback frames in the student's view:\n{text}"
    assert len(lines) <= 10, f"{len(lines)} lines: a check failure should be a few lines\n{text}"

    # On the screen: the whole message sits inside the notebook's visible area, right below the code.
    panel = run.page.locator(".jp-NotebookPanel-notebook").bounding_box()
    box = error.bounding_box()
    assert box["y"] + box["height"] <= panel["y"] + panel["height"], \
        f"the message ends at y={box['y'] + box['height']:.0f}, below the fold at {panel['y'] + panel['height']:.0f}"
    cause_line = error.get_by_text(re.compile("likely cause")).first.bounding_box()
    assert cause_line["y"] + cause_line["height"] <= panel["y"] + panel["height"]

    # And on the pixels: the first pink box below the code is the message, whole, above the fold.
    code = cell.locator(".jp-InputArea").first.bounding_box()
    bands = _pink_bands(shot, (box["x"], panel["y"], box["width"], panel["height"]))
    assert bands, f"no error background in {shot}"
    top, bottom = bands[0]
    assert code["y"] + code["height"] <= top <= code["y"] + code["height"] + 20, (code, bands)
    assert abs((bottom - top + 1) - box["height"]) <= 4, (box, bands)
    assert bottom < panel["y"] + panel["height"], (panel, bands)


def test_the_graded_cell_fails_under_nbgrader_and_the_feedback_shows_the_message(run):
    from nbformat import from_dict
    from nbgrader.utils import determine_grade

    case = run.case
    run.screenshot("failing-graded-cell", run.at["graded"])
    assert case.cause in _flat(_error_text(run.cell(run.at["graded"])).inner_text())

    saved = run.saved()
    graded = saved["cells"][run.at["graded"]]
    (error,) = [o for o in graded["outputs"] if o["output_type"] == "error"]
    assert error["ename"] == "CheckFailure" and case.cause in _flat(error["evalue"])
    assert error["evalue"].startswith(case.headline), error["evalue"]
    shown = "\n".join(error["traceback"])
    assert not [m for m in TRACEBACK_MARKS if m in shown], shown
    assert determine_grade(from_dict(graded)) == (0, nbcells.points(graded))     # nbgrader's own rule

    results, _ = scored_cells(saved)
    (result,) = [r for r in results if r.grade_id == f"test_{case.function}"]
    assert result.points == 0 and case.cause in _flat(result.message)
    page = render_html(NotebookResult(case.assignment, "student", run.path.stem, cells=results))
    shown = _flat(page)
    assert html.escape(case.headline) in shown and html.escape(case.cause) in shown and "Traceback" not in page


def test_a_passing_check_and_the_stub_say_so_plainly(run):
    case = run.case
    run.screenshot("passing-check", run.at["passing check"])
    passing = run.cell(run.at["passing check"])
    assert passing.locator(STDERR).count() == 0
    assert f"check_{case.function} passed" in passing.locator(".jp-OutputArea").inner_text()

    run.screenshot("stub-check", run.at["stub check"])
    text = _error_text(run.cell(run.at["stub check"])).inner_text()
    assert f"{case.signature} is not implemented yet" in text
    assert "Replace the `raise NotImplementedError()` line with your code." in text
    assert not [m for m in TRACEBACK_MARKS if m in text], text


# The install is the same whatever notebook is open: one case is enough.
@pytest.mark.parametrize("case", CASES[:1], ids=lambda c: f"{c.label}-{c.function}", indirect=True)
def test_the_student_install_shows_no_instructor_tools(run, jupyter_lab):
    """nbgrader's lab extension adds a Nbgrader menu, a Create Assignment sidebar and a
    Validate button; the student's install (no [instructor] extra) has none of them.
    (The same selectors find all three in the developers' environment, which has nbgrader.)"""
    page = run.page
    menus = page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").all_inner_texts()
    assert {"File", "Edit", "Run", "Kernel"} <= set(menus), menus      # the selector finds the menus
    assert not [m for m in menus if "nbgrader" in m.lower()], menus
    toolbar = page.locator(".jp-NotebookPanel-toolbar").first.inner_text()
    assert "Python 3" in toolbar and "Validate" not in toolbar, toolbar
    sidebar = page.locator(".jp-SideBar.jp-mod-right .lm-TabBar-tab").evaluate_all(
        "tabs => tabs.map(t => t.title + ' ' + t.textContent)")
    assert sidebar and not [t for t in sidebar if "Nbgrader" in t or "Create Assignment" in t], sidebar
    config = json.loads(page.locator("#jupyter-config-data").text_content())
    extensions = [e["name"] for e in config.get("federated_extensions", [])]
    assert extensions and not [e for e in extensions if "nbgrader" in e], extensions
    run.screenshot("menu-bar", 0)
