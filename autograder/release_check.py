"""Verify a student release against its source notebook: nothing secret leaks.

The secret parts of a source notebook are

* every solution region (the lines between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION``, or the whole cell for an nbgrader solution cell
  without markers),
* every written-answer model (an nbgrader solution markdown cell),
* every hidden-test region (``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``).

The regions are found from the markers in *every* cell, whatever its
metadata, so a marker in a cell that lacks nbgrader metadata (which nbgrader
would not strip) is caught too. A secret line leaks when it appears anywhere in
the release's text (cell sources and outputs). Trivial lines (blank,
punctuation, a bare keyword) are skipped, and so are lines the source also
shows in a public part when they are short (a ``return loss, dW`` the stub
keeps elsewhere) or hidden-test lines (the visible check cell makes the same
``check_f(f)`` call); a substantial solution line repeated in a public cell is
a warning (not a failure), since the student sees it.

:func:`cross_reveals` looks across notebooks: a release line that is another notebook's solution
or hidden test is reported (a warning: releasing notebooks one at a time is safe).

Numpy-free and nbgrader-free: only JSON.
"""

import ast
import json
import keyword
import re
from dataclasses import dataclass
from pathlib import Path

from autograder import cells

MARKERS = {
    "solution": ("BEGIN SOLUTION", "END SOLUTION"),
    "hidden test": ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
}
#: Text nbgrader puts in place of solutions (see nbgrader_config.py); lines of
#: it are expected in the release.
STUBS = ("# YOUR CODE HERE", "raise NotImplementedError()", "YOUR ANSWER HERE")


@dataclass(frozen=True)
class Secret:
    """One secret line of the source notebook."""

    cell: int          # index of the cell in the source notebook
    grade_id: str      # the cell's nbgrader grade_id, or "" when it has none
    kind: str          # "solution", "hidden test" or "written answer"
    line: str          # the line, stripped


@dataclass(frozen=True)
class Leak:
    notebook: str
    secret: Secret

    def __str__(self):
        return f"{self.notebook}: {self.secret.kind} line of source {_where(self.secret)} appears in the release: " \
               f"{self.secret.line!r}"


def _where(secret):
    return f"cell {secret.cell}" + (f" ({secret.grade_id})" if secret.grade_id else "")


def is_trivial(line):
    """Blank, punctuation only, a bare keyword, or too short to mean anything."""
    text = line.strip()
    if _alnum(text) < 6:
        return True
    bare = text.rstrip(":").strip()
    if keyword.iskeyword(bare):
        return True
    return any(text in stub or stub == text for stub in STUBS)


def split_cell(cell):
    """``(public_lines, [(kind, line), ...])`` of one source cell."""
    lines = cells.source(cell).splitlines()
    has_solution_markers = any(MARKERS["solution"][0] in ln for ln in lines)
    if cells.is_solution(cell) and not has_solution_markers:
        # nbgrader replaces the whole cell (code stub or "YOUR ANSWER HERE").
        kind = "written answer" if cell.get("cell_type") == "markdown" else "solution"
        return [], [(kind, ln) for ln in lines]
    public, secret = [], []
    region = None
    for ln in lines:
        if region is None:
            opened = [k for k, (begin, _) in MARKERS.items() if begin in ln]
            if opened:
                region = opened[0]
            else:
                public.append(ln)
        else:
            if MARKERS[region][1] in ln:
                region = None
            else:
                secret.append((region, ln))
    return public, secret


def secrets(source_nb, shown=False):
    """The non-trivial secret lines of ``source_nb`` (a notebook dict).

    By default only those the source shows nowhere else: their presence in a release is a leak.
    With ``shown=True``, instead, the substantial solution / written-answer lines that the source
    *also* shows in a public cell (provided code that repeats part of a solution): students see
    them, so the build warns.
    """
    found, public_text = [], []
    for i, cell in enumerate(source_nb.get("cells", [])):
        public, secret = split_cell(cell)
        public_text.extend(public)
        grade_id = cells.grade_id(cell) or ""
        found.extend(Secret(i, grade_id, kind, ln.strip()) for kind, ln in secret)
    public_blob = "\n".join(public_text)
    found = [s for s in found if not is_trivial(s.line)]
    if not shown:
        return [s for s in found if s.line not in public_blob]
    return [s for s in found if s.line in public_blob and s.kind != "hidden test" and is_substantial(s.line)]


#: A solution line this long (letters and digits) that the source also shows in a public cell is
#: worth a warning: the student sees that part of the answer. Shorter ones (``return loss, dW``)
#: are common code. Hidden-test lines that are also public (the visible ``check_f(f)`` call) never are.
SUBSTANTIAL = 20


def is_substantial(line, *, count_wiring=True):
    """True for a line long enough to give part of an answer away: at least :data:`SUBSTANTIAL` letters and
    digits (``return loss, dW`` is common code). The one test of both warnings, :func:`shown_solution_lines`
    and :func:`cross_reveals`.

    ``count_wiring=False``: a line that only wires library calls together (:func:`is_wiring`) is not
    substantial either. :func:`cross_reveals` asks so: in another notebook such a line is the course's
    vocabulary. Within a notebook it counts: a Keras-building answer is mostly wiring
    (``x = keras.layers.GlobalAveragePooling2D()(x)`` is notebook 06's own graded code), so a public cell
    repeating it shows part of the answer.

    >>> is_substantial("return loss, dW"), is_substantial("x = keras.layers.GlobalAveragePooling2D()(x)")
    (False, True)
    >>> is_substantial("x = keras.layers.GlobalAveragePooling2D()(x)", count_wiring=False)
    False
    """
    return _alnum(line) >= SUBSTANTIAL and (count_wiring or not is_wiring(line))


def _alnum(text):
    return sum(ch.isalnum() for ch in text)


def notebook_text(nb):
    """All text of a notebook: cell sources, then every output's text."""
    parts = []
    for cell in nb.get("cells", []):
        parts.append(cells.source(cell))
        for out in cell.get("outputs", []) or []:
            text = out.get("text")
            if text is not None:
                parts.append("".join(text) if isinstance(text, list) else str(text))
            for value in (out.get("data") or {}).values():
                if isinstance(value, (str, list)):
                    parts.append("".join(value) if isinstance(value, list) else value)
            if out.get("traceback"):
                parts.append("\n".join(out["traceback"]))
    return "\n".join(parts)


def check_release(source_nb, release_nb, name):
    """Problems (strings) with the release of notebook ``name``; empty when it is clean.

    ``source_nb`` and ``release_nb`` are notebook dicts (parsed .ipynb JSON).
    """
    problems = []
    text = notebook_text(release_nb)
    for marker in sorted({m for pair in MARKERS.values() for m in pair}):
        for m in re.finditer(re.escape(marker), text):
            start = text.rfind("\n", 0, m.start()) + 1
            end = text.find("\n", m.end())
            problems.append(f"{name}: the release still contains the marker line "
                            f"{text[start:end if end >= 0 else None].strip()!r} "
                            f"(a region nbgrader did not strip: is the cell marked as an nbgrader "
                            f"solution or graded test cell?)")
    for secret in secrets(source_nb):
        if secret.line in text:
            problems.append(str(Leak(name, secret)))
    for i, cell in enumerate(release_nb.get("cells", [])):
        if cell.get("cell_type") == "code" and cell.get("outputs"):
            problems.append(f"{name}: release cell {i} has outputs (they may show solution values); "
                            f"commit source notebooks without outputs")
    return problems


def shown_solution_lines(source_nb, release_nb, name):
    """Warnings (strings): substantial solution lines the source also shows in a public cell.

    Not leaks nbgrader failed to strip (the instructor wrote them twice), but students see them:
    worth checking that the provided code does not give the graded answer away.
    """
    text = notebook_text(release_nb)
    return [f"{name}: solution line of source {_where(s)} is also shown in a public cell: {s.line!r}"
            for s in secrets(source_nb, shown=True) if s.line in text]


#: Nodes that compute something: a line with none of them only wires library calls together.
_COMPUTING = (ast.BinOp, ast.UnaryOp, ast.AugAssign, ast.Compare, ast.BoolOp, ast.Subscript, ast.Lambda,
              ast.IfExp, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Return)


def is_wiring(line):
    """True for a line that only calls library code with bare names and constants, computing nothing.

    ``keras.utils.set_random_seed(seed)``, ``with tf.GradientTape() as tape:`` or
    ``x = keras.layers.GlobalAveragePooling2D()(x)`` appear in every Keras notebook, given or graded:
    they are the course's vocabulary, not another notebook's answer. A line with arithmetic, indexing,
    a comparison or a ``return`` (``log_probs = scores - np.log(...)``) is not wiring.
    """
    text = line.strip()
    if text.endswith(":"):
        text += " pass"
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False
    return not any(isinstance(node, _COMPUTING) for node in ast.walk(tree))


def cross_reveals(release_nb, name, others):
    """Warnings (strings): lines of the release of notebook ``name`` that are another notebook's
    solution or hidden-test lines.

    ``others`` maps notebook ids to their *source* notebooks (dicts). A release that shows, as given
    code, a line another notebook asks students to write gives part of that answer away to anyone
    who has both (an instructor releasing several notebooks at once needs to know). Lines are
    compared whole (stripped); short ones (fewer than :data:`SUBSTANTIAL` letters and digits, like
    ``return grad``) are common code and not reported, and so are lines that only wire library
    calls together (:func:`is_wiring`).
    """
    shown = {ln.strip() for ln in notebook_text(release_nb).splitlines()}
    found = []
    for other, source_nb in sorted(others.items()):
        for s in secrets(source_nb):
            if s.line in shown and is_substantial(s.line, count_wiring=False):
                found.append(f"{name}: the release shows, as given code, a {s.kind} line of {other} (source "
                             f"{_where(s)}): {s.line!r}; students who have both notebooks see that part of "
                             f"its answer (call a helper, e.g. scipy.special.log_softmax, instead)")
    return list(dict.fromkeys(found))


def cross_reveals_files(release_path, name, source_paths):
    """:func:`cross_reveals` on files: the release .ipynb of ``name`` and ``{id: source .ipynb}``."""
    release_path = Path(release_path)
    if not release_path.is_file():
        return []
    release_nb = json.loads(release_path.read_text(encoding="utf-8"))
    others = {other: json.loads(Path(p).read_text(encoding="utf-8")) for other, p in source_paths.items()}
    return cross_reveals(release_nb, name, others)


def check_release_files(source_path, release_path, warnings=None):
    """:func:`check_release` on two .ipynb files; a missing release is a problem too.

    Pass a list as ``warnings`` to collect :func:`shown_solution_lines` into it.
    """
    source_path, release_path = Path(source_path), Path(release_path)
    name = source_path.stem
    if not release_path.is_file():
        return [f"{name}: no release notebook at {release_path}"]
    source_nb = json.loads(source_path.read_text(encoding="utf-8"))
    release_nb = json.loads(release_path.read_text(encoding="utf-8"))
    if warnings is not None:
        warnings.extend(shown_solution_lines(source_nb, release_nb, name))
    return check_release(source_nb, release_nb, name)
