"""What a student sees: notebook 01's release in a real JupyterLab, in headless Chromium.

The student's release (``nbgrader generate_assignment`` through ``CourseDir.release``)
gets a wrong ``svm_loss_naive`` (the loop forgets to skip the correct class, a classic
first try), and the notebook is run the way a student runs it, Shift+Enter cell after
cell, up to and including the visible check and the graded cell. Then the page itself is
inspected: the check's message is shown with its likely cause, no traceback frames of the
checks (no "Traceback", no ``core.py``, no file paths), and the pink error box fits on the
screen below the cell's code, measured on the screenshot's pixels. The notebook JupyterLab
saved is graded by nbgrader's own rule (an error output: 0 points) and its feedback page
shows the message. Two more cells show a passing check and the stub's message, and the
menu bar shows that the student's install has no instructor tools.

Screenshots are kept in the module's temporary folder (``screenshots/``), named after
what they show; ``pytest -s`` prints where.
"""

import json
import re
import time

import pytest

from autograder import cells as nbcells
from autograder.course_dir import CourseDir
from autograder.feedback import render_html, scored_cells
from autograder.results import NotebookResult

pytestmark = pytest.mark.slow

ASSIGNMENT = "01_linear_classifiers"
FUNCTION = "svm_loss_naive"
#: A student's first try: the loop over the classes does not skip j == y_i.
WRONG = '''def svm_loss_naive(W, X, y, reg):
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
'''
CAUSE = "likely cause: the sum includes the correct class"
#: Longest a run of the notebook's cells up to the graded cell may take in the browser.
RUN_TIMEOUT_MS = 120_000
#: JupyterLab's error output background (--jp-rendermime-error-background, light theme).
ERROR_PINK = (0xFF, 0xDD, 0xDD)
#: What only a traceback shows: frames, file paths, the checks' source files.
TRACEBACK_MARKS = ("Traceback", "core.py", "course/check", "site-packages", 'File "', ".py:", "----> ")


def _code_cell(source):
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


@pytest.fixture(scope="module")
def notebook(jupyter_lab, tmp_path_factory, request):
    """The student's notebook in the server's folder, and the index of each cell of interest.

    Cells: the release up to its graded SVM cell, with the wrong implementation in the
    solution cell; then the reference solution and the visible check again; then the
    release's stub and the check again.
    """
    root = request.config.rootpath
    course = CourseDir(root=root, build_dir=tmp_path_factory.mktemp("release-build"))
    start = time.monotonic()
    release_path = course.release(ASSIGNMENT) / course.assignment(ASSIGNMENT).notebook.name
    print(f"nbgrader generated the release in {time.monotonic() - start:.1f} s")
    release = json.loads(release_path.read_text())
    source = json.loads(course.assignment(ASSIGNMENT).notebook.read_text())

    cells = release["cells"]
    solution = nbcells.index_of(release, f"{FUNCTION}_solution")
    graded = nbcells.index_of(release, f"test_{FUNCTION}")
    (check,) = [i for i in range(solution + 1, graded)
                if cells[i]["cell_type"] == "code" and f"check_{FUNCTION}(" in nbcells.source(cells[i])]
    stub = nbcells.source(cells[solution])
    assert "raise NotImplementedError" in stub, "the release's solution cell is not the stub"
    reference = nbcells.source(source["cells"][nbcells.index_of(source, f"{FUNCTION}_solution")])
    check_source = nbcells.source(cells[check])

    nb = dict(release, cells=[dict(c) for c in cells[: graded + 1]])
    nb["cells"][solution] = dict(nb["cells"][solution], source=WRONG)
    at = {"solution": solution, "check": check, "graded": graded}
    for name, src in (("reference", reference), ("passing check", check_source),
                      ("stub", stub), ("stub check", check_source)):
        at[name] = len(nb["cells"])
        nb["cells"].append(_code_cell(src))
    path = jupyter_lab.root / release_path.name
    path.write_text(json.dumps(nb, indent=1))
    return path, at, len(nb["cells"])


class Run:
    """The notebook as run in the browser: the page, the cells, the screenshots."""

    def __init__(self, page, path, at, shots):
        self.page, self.path, self.at, self.shots = page, path, at, shots

    def cell(self, index):
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)

    def screenshot(self, name, index):
        """Scroll cell ``index`` to the top of the notebook, as a student reads it, and shoot."""
        self.cell(index).evaluate("el => el.scrollIntoView({block: 'start'})")
        self.page.wait_for_timeout(300)          # let the scroll and rendering settle
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path))
        print(f"screenshot: {path}")
        return path

    def saved(self):
        return json.loads(self.path.read_text())


@pytest.fixture(scope="module")
def run(page, jupyter_lab, notebook, tmp_path_factory):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout   # installed: `page` exists

    path, at, n_cells = notebook
    start = time.monotonic()
    page.goto(jupyter_lab.url(f"lab/tree/{path.name}"))
    first = page.locator(".jp-Notebook .jp-Cell").first
    first.wait_for(timeout=60_000)
    jupyter_lab.wait_for_connected_idle_kernel()
    page.get_by_text(re.compile(r"\| Idle$")).first.wait_for(timeout=60_000)   # the status bar says so too
    cells = page.locator(".jp-Notebook .jp-Cell")
    page.wait_for_function("n => document.querySelectorAll('.jp-Notebook .jp-Cell').length === n",
                           arg=n_cells, timeout=60_000)    # cells render progressively
    first.locator(".jp-InputPrompt").first.click()         # select the first cell, command mode
    shots = tmp_path_factory.mktemp("screenshots")
    for i in range(n_cells):            # Shift+Enter runs the selected cell and selects the next
        cell = cells.nth(i)
        is_code = "jp-CodeCell" in (cell.get_attribute("class") or "")
        page.keyboard.press("Shift+Enter")
        if not is_code:
            continue
        prompt = cell.locator(".jp-InputPrompt").first
        try:
            page.wait_for_function("el => /^\\[\\d+\\]:$/.test(el.textContent.trim())",
                                   arg=prompt.element_handle(), timeout=RUN_TIMEOUT_MS)
        except PlaywrightTimeout as e:        # say where, and keep the page
            page.screenshot(path=str(shots / "stuck.png"))
            pytest.fail(f"cell {i} did not finish within {RUN_TIMEOUT_MS / 1000:g} s (prompt "
                        f"{prompt.text_content()!r}; page: {shots / 'stuck.png'}; server log: "
                        f"{jupyter_lab.log_path}): {type(e).__name__}", pytrace=False)
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
        pytest.fail("JupyterLab did not save the notebook with its outputs within 30 s")
    seconds = time.monotonic() - start
    print(f"ran {n_cells} cells in the browser in {seconds:.1f} s")
    return Run(page, path, at, shots)


def _error_text(cell):
    errors = cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
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


def test_a_failing_check_shows_its_message_and_no_traceback(run):
    cell = run.cell(run.at["check"])
    shot = run.screenshot("01-failing-check", run.at["check"])
    error = _error_text(cell)
    text = error.inner_text()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert lines[0].startswith("CheckFailure: svm_loss_naive(W, X, y, reg) returned the wrong loss."), text
    assert CAUSE in text, text
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

    run.screenshot("01-failing-graded-cell", run.at["graded"])
    assert CAUSE in _error_text(run.cell(run.at["graded"])).inner_text()

    saved = run.saved()
    graded = saved["cells"][run.at["graded"]]
    (error,) = [o for o in graded["outputs"] if o["output_type"] == "error"]
    assert error["ename"] == "CheckFailure" and CAUSE in error["evalue"]
    shown = "\n".join(error["traceback"])
    assert not [m for m in TRACEBACK_MARKS if m in shown], shown
    assert determine_grade(from_dict(graded)) == (0, nbcells.points(graded))     # nbgrader's own rule

    results, _ = scored_cells(saved)
    (result,) = [r for r in results if r.grade_id == f"test_{FUNCTION}"]
    assert result.points == 0 and CAUSE in result.message
    page = render_html(NotebookResult(ASSIGNMENT, "student", run.path.stem, cells=results))
    assert "returned the wrong loss." in page and CAUSE in page and "Traceback" not in page


def test_a_passing_check_and_the_stub_say_so_plainly(run):
    run.screenshot("01-passing-check", run.at["passing check"])
    passing = run.cell(run.at["passing check"])
    assert passing.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    assert "check_svm_loss_naive passed" in passing.locator(".jp-OutputArea").inner_text()

    run.screenshot("01-stub-check", run.at["stub check"])
    text = _error_text(run.cell(run.at["stub check"])).inner_text()
    assert "svm_loss_naive(W, X, y, reg) is not implemented yet" in text
    assert "Replace the `raise NotImplementedError()` line with your code." in text
    assert not [m for m in TRACEBACK_MARKS if m in text], text


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
    run.screenshot("01-menu-bar", 0)
