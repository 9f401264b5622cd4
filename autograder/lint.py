"""The source lint of ``course build``: a source notebook follows the course's conventions.

Two groups of rules, each problem a string naming the notebook, the cell and the rule:

* :func:`lint_source`, the nbgrader structure: committed without outputs, the first code cell
  tagged ``parameters``, unique grade ids, graded cells with points, test cells locked, hidden
  tests and solution regions only in the cells nbgrader strips them from;
* :func:`lint_conventions`, the notebook kit (CONTRIBUTING.md, "The notebook kit", the rules
  marked **(lint)**): the title, the sections, the parameters cell, the set-up call, the graded
  test cells' header and public check, and the solution docstrings.

:func:`lint_notebook` runs both; ``course build`` fails on any problem. Only JSON and ``ast``:
nothing here imports nbgrader, numpy or the notebook's code.

>>> lint_conventions({"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Warm-up"}]}, "00_warmup")[0]
"00_warmup: cell 0: title: the first cell must start '# 00 · Topic' (number, middle dot, topic); it starts '# Warm-up'"
"""

import ast
import re

from autograder import cells
from autograder.release_check import MARKERS

__all__ = ["lint_notebook", "lint_source", "lint_conventions", "PARAMETERS", "KERAS_MODULES"]

#: The parameters cell's names: always ``FAST`` and ``SEED``; ``DATA_SOURCE`` and ``DATA_DIR`` in a
#: notebook that loads CIFAR-10 (``nb.load_cifar10(DATA_SOURCE, DATA_DIR, ...)``).
PARAMETERS = ("FAST", "SEED")
DATA_PARAMETERS = ("DATA_SOURCE", "DATA_DIR")
#: Imports that mean the notebook uses Keras or TensorFlow, so its set-up passes ``keras=True``.
KERAS_MODULES = ("keras", "tensorflow", "tf_keras", "course.layers", "course.models", "course.callbacks",
                 "course.training")

_TITLE = re.compile(r"^# (\d\d) · \S")
_NUMBERED = re.compile(r"^## (\d+)\. \S")
_GRADED = re.compile(r"^# Graded \((\d+(?:\.\d+)?) points?\)")


def lint_notebook(source_nb, name):
    """Every problem of the source notebook ``source_nb`` (a dict) called ``name`` (its id, ``03_optimization``)."""
    return lint_source(source_nb, name) + lint_conventions(source_nb, name)


# -- nbgrader structure ----------------------------------------------------------------------------

def lint_source(source_nb, name):
    """Problems (strings) with a source notebook's nbgrader structure.

    Committed without outputs; first code cell tagged ``parameters``; unique grade ids; graded test
    cells locked, with points; hidden tests only inside graded cells; solution markers only in
    solution cells.
    """
    problems = []
    all_cells = source_nb.get("cells", [])
    code_cells = [c for c in all_cells if c.get("cell_type") == "code"]
    if code_cells and "parameters" not in (code_cells[0].get("metadata") or {}).get("tags", []):
        problems.append(f"{name}: the first code cell (the set-up cell) is not tagged `parameters`")
    seen = {}
    for i, cell in enumerate(all_cells):
        src = cells.source(cell)
        if cell.get("cell_type") == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
            problems.append(f"{name}: source cell {i} has outputs or an execution count; commit notebooks "
                            f"without outputs (Kernel > Restart and Clear Outputs)")
        gid = cells.grade_id(cell)
        if gid:
            if gid in seen:
                problems.append(f"{name}: grade_id {gid!r} is used by cells {seen[gid]} and {i}")
            seen.setdefault(gid, i)
        if cells.is_grade(cell) and not cells.points(cell):
            problems.append(f"{name}: graded cell {i} ({gid}) has no points")
        # The metadata's own flag, as nbgrader's "Autograder tests" cell type writes it (nbgrader
        # locks every test cell anyway; an unlocked one was made by hand and deserves a look).
        if cells.is_autograded_test(cell) and not cells.nbgrader_metadata(cell).get("locked"):
            problems.append(f"{name}: graded test cell {i} ({gid}) is not locked")
        if MARKERS["hidden test"][0] in src and not cells.is_autograded_test(cell):
            problems.append(f"{name}: cell {i} has hidden tests but is not a graded test cell "
                            f"(nbgrader metadata grade: true, solution: false, a code cell)")
        if MARKERS["solution"][0] in src and not cells.is_solution(cell):
            problems.append(f"{name}: cell {i} has a solution region but is not an nbgrader solution cell")
    return problems


# -- the notebook kit --------------------------------------------------------------------------------

def lint_conventions(source_nb, name):
    """Problems (strings) with the kit's conventions, each ``"<name>: cell <i>: <rule>: <what>"``."""
    nb_cells = source_nb.get("cells", [])
    problems = []

    def report(i, rule, text):
        problems.append(f"{name}: cell {i}: {rule}: {text}")

    _check_title(nb_cells, name, report)
    _check_sections(nb_cells, report)
    code = [(i, c) for i, c in enumerate(nb_cells) if c.get("cell_type") == "code"]
    trees = {i: _parse(cells.source(c)) for i, c in code}
    _check_parameters(code, trees, report)
    _check_setup(code, trees, report)
    _check_data_kind(code, trees, report)
    for i, cell in code:
        if cells.is_autograded_test(cell):
            _check_graded_cell(i, cell, report)
        if cells.is_solution(cell):
            _check_docstrings(i, cell, trees[i], report)
    return problems


def _parse(src):
    """The cell's AST (IPython magics and shell lines blanked out), or None when it is not Python."""
    text = "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in src.splitlines())
    try:
        return ast.parse(text)
    except SyntaxError:
        return None


def _first_line(src):
    return next((ln for ln in src.splitlines() if ln.strip()), "")


def _check_title(nb_cells, name, report):
    rule = "title"
    number = name[:2] if name[:2].isdigit() else None
    want = f"# {number or 'NN'} · Topic"
    if not nb_cells or nb_cells[0].get("cell_type") != "markdown":
        report(0, rule, f"the first cell must be markdown starting '{want}'")
        return
    first = _first_line(cells.source(nb_cells[0]))
    m = _TITLE.match(first)
    if not m:
        report(0, rule, f"the first cell must start '{want}' (number, middle dot, topic); it starts {first[:60]!r}")
    elif number is not None and m.group(1) != number:
        report(0, rule, f"the title's number {m.group(1)} is not the notebook's {number}: '{want}'")


def _headings(src):
    """The ``## `` lines of a markdown source, outside code fences."""
    out, fenced = [], False
    for line in src.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and line.startswith("## "):
            out.append(line.rstrip())
    return out


def _check_sections(nb_cells, report):
    rule = "sections"
    found = [(i, h) for i, c in enumerate(nb_cells) if c.get("cell_type") == "markdown"
             for h in _headings(cells.source(c))]
    if not found:
        report(0, rule, "the notebook has no '## ' sections; it needs '## Set-up' first and '## Summary' last")
        return
    first_i, first = found[0]
    last_i, last = found[-1]
    if first != "## Set-up":
        report(first_i, rule, f"the first '## ' section must be '## Set-up'; it is {first!r}")
    if last != "## Summary":
        report(last_i, rule, f"the last '## ' section must be '## Summary'; it is {last!r}")
    middle = found[1:-1] if first == "## Set-up" and last == "## Summary" else [
        (i, h) for i, h in found if h not in ("## Set-up", "## Summary")]
    for n, (i, heading) in enumerate(middle, start=1):
        m = _NUMBERED.match(heading)
        if not m:
            report(i, rule, f"the sections between Set-up and Summary are numbered ('## {n}. Topic'); "
                            f"this one is {heading!r}")
        elif int(m.group(1)) != n:
            report(i, rule, f"section {heading!r} should be number {n} (numbered in order from 1)")


def _literal(node):
    try:
        ast.literal_eval(node)
        return True
    except ValueError:
        return False


def _check_parameters(code, trees, report):
    rule = "parameters cell"
    if not code:
        report(0, rule, "the notebook has no code cell; the first one is the parameters cell")
        return
    i, cell = code[0]
    tree = trees[i]
    if tree is None:
        report(i, rule, "the parameters cell is not valid Python")
        return
    assigned = {}
    for stmt in tree.body:
        ok = (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
              and _literal(stmt.value))
        if not ok:
            line = ast.get_source_segment(cells.source(cell), stmt) or type(stmt).__name__
            report(i, rule, f"the parameters cell holds literal assignments only (NAME = value; papermill "
                            f"replaces them); move {line.splitlines()[0][:60]!r} to the set-up cell")
        else:
            assigned[stmt.targets[0].id] = ast.literal_eval(stmt.value)
    wanted = list(PARAMETERS)
    if any("load_cifar10" in cells.source(c) for _, c in code):
        wanted += DATA_PARAMETERS
    missing = [p for p in wanted if p not in assigned]
    if missing:
        report(i, rule, f"the parameters cell must define {', '.join(missing)}")
    if "FAST" in assigned and assigned["FAST"] is not None:
        report(i, rule, f"FAST = {assigned['FAST']!r}: commit FAST = None (fast when graded or with COURSE_FAST=1); "
                        f"students and papermill set True or False")


def _is_setup_call(node):
    """``course.notebook.setup(...)`` (or ``notebook.setup`` / ``setup`` imported from course.notebook)."""
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    dotted = []
    while isinstance(f, ast.Attribute):
        dotted.append(f.attr)
        f = f.value
    if isinstance(f, ast.Name):
        dotted.append(f.id)
    return ".".join(reversed(dotted)) in ("course.notebook.setup", "notebook.setup")


def _imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{a.name}" for a in node.names)


def _check_setup(code, trees, report):
    rule = "set-up call"
    calls = [(i, node) for i, _ in code if trees[i] is not None for node in ast.walk(trees[i]) if _is_setup_call(node)]
    if len(code) < 2:
        report(code[0][0] if code else 0, rule, "the cell after the parameters cell must call course.notebook.setup")
        return
    setup_i = code[1][0]
    here = [node for i, node in calls if i == setup_i]
    if not here:
        report(setup_i, rule, "the cell after the parameters cell must call course.notebook.setup(fast=FAST, "
                              "seed=SEED, ...) once")
    for i, _ in calls:
        if i != setup_i or len(here) > 1:
            report(i, rule, "course.notebook.setup is called once, in the set-up cell (the cell after the "
                            "parameters cell)")
            break
    if not here:
        return
    keywords = {k.arg: k.value for k in here[0].keywords if k.arg}
    for arg, param in (("fast", "FAST"), ("seed", "SEED")):
        value = keywords.get(arg)
        if not (isinstance(value, ast.Name) and value.id == param):
            report(setup_i, rule, f"pass the parameters on: course.notebook.setup({arg}={param}, ...)")
    keras = keywords.get("keras")
    keras_on = isinstance(keras, ast.Constant) and keras.value is True
    users = sorted({i for i, _ in code if trees[i] is not None and any(
        m == k or m.startswith(k + ".") for m in _imports(trees[i]) for k in KERAS_MODULES)})
    if users and not keras_on:
        report(users[0], rule, "this cell uses Keras/TensorFlow: the set-up call needs keras=True (seeds, "
                               "determinism and quiet logs come from course.runtime.setup)")
    if keras_on and not users:
        report(setup_i, rule, "keras=True, but no cell imports Keras or TensorFlow: a numpy-only notebook "
                              "leaves keras=False and never pays TensorFlow's import")


def _check_data_kind(code, trees, report):
    """'Is this real CIFAR-10?' is ``data.kind``: no comparison or ``startswith`` on a ``.source``."""
    rule = "data kind"
    for i, _ in code:
        tree = trees[i]
        if tree is None:
            continue
        for node in ast.walk(tree):
            tested = []
            if isinstance(node, ast.Compare):
                tested = [node.left, *node.comparators]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in ("startswith", "endswith"):
                tested = [node.func.value]
            for operand in tested:
                target = operand.args[0] if isinstance(operand, ast.Call) and operand.args else operand
                if isinstance(target, ast.Attribute) and target.attr == "source":
                    report(i, rule, "test data.kind ('cifar10' or 'synthetic'), never data.source")
                    break


def _check_graded_cell(i, cell, report):
    rule = "graded cell"
    src = cells.source(cell)
    points = cells.points(cell)
    first = _first_line(src)
    m = _GRADED.match(first)
    want = f"# Graded ({points:g} point{'s' if points != 1 else ''})."
    if not m:
        report(i, rule, f"the first line must be {want!r}; it is {first[:60]!r}")
    elif float(m.group(1)) != points:
        report(i, rule, f"the first line says {m.group(1)} points but the cell is worth {points:g}: {want!r}")
    begin, end = MARKERS["hidden test"]
    if begin not in src or end not in src:
        report(i, rule, f"the hidden check goes between '### {begin}' and '### {end}'")
    public = src.split(begin)[0] if begin in src else src
    tree = _parse(public)
    if tree is None:
        report(i, rule, "the visible part of the graded cell is not valid Python")
        return
    imports = [a for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
               and node.module.startswith("course.check") for a in node.names]
    if not imports:
        report(i, rule, "import the public check visibly: from course.check.<name> import check_<f> as public_check")
    for alias in imports:
        if alias.asname != "public_check":
            report(i, rule, f"import the public check as public_check: from course.check... import {alias.name} "
                            f"as public_check")
    called = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "public_check"
                 for n in ast.walk(tree))
    if imports and not called:
        report(i, rule, "call public_check(...) visibly, before the hidden tests (the untouched release then "
                        "scores 0)")


#: A docstring's Returns section: ``Returns:``, or CS231n's ``Returns a tuple of:`` / ``Returns (loss, dW):``.
_RETURNS = re.compile(r"^\s*Returns\b[^\n]*:\s*$", re.MULTILINE)
_INPUTS = re.compile(r"^\s*Inputs:\s*$", re.MULTILINE)


def _docstring_problems(doc, what, need_example=True, need_sections=True):
    doc = doc or ""
    missing = []
    if not doc.strip():
        return [f"{what} has no docstring (summary line, Inputs:, Returns:, one >>> example)"]
    if need_sections:
        missing += [name for name, pattern in (("Inputs:", _INPUTS), ("Returns:", _RETURNS))
                    if not pattern.search(doc)]
    if need_example and ">>>" not in doc:
        missing.append("a >>> example")
    return [f"{what}'s docstring lacks {', '.join(missing)} (CS231n style; see CONTRIBUTING.md)"] if missing else []


def _has_solution(node, src):
    segment = ast.get_source_segment(src, node) or ""
    return MARKERS["solution"][0] in segment


def _check_docstrings(i, cell, tree, report):
    rule = "solution docstring"
    if cell.get("cell_type") != "code" or tree is None:
        return
    src = cells.source(cell)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for text in _docstring_problems(ast.get_docstring(node), f"{node.name}()"):
                report(i, rule, text)
        elif isinstance(node, ast.ClassDef):
            for text in _docstring_problems(ast.get_docstring(node), f"class {node.name}", need_sections=False):
                report(i, rule, text)
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and _has_solution(item, src):
                    for text in _docstring_problems(ast.get_docstring(item), f"{node.name}.{item.name}()",
                                                    need_example=False):
                        report(i, rule, text)
