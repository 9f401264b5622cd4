"""Student feedback from an autograded notebook: the message of each failed check, never its code.

nbgrader's own ``generate_feedback`` renders the autograded notebook, hidden tests
included. :func:`scored_cells` reads the autograded notebook instead and keeps, for each
graded cell, only the points and what went wrong: the check's message (the text of
its ``AssertionError``) or a plain account of a crash, a timeout, a memory error or a
kernel that died. :func:`render_html` writes a :class:`~autograder.results.NotebookResult`
as a small self-contained page. Everything here works on notebook dicts (no nbgrader).
"""

import html
import re

from autograder import cells as nbcells
from autograder.results import ScoredCell

__all__ = ["KERNEL_DIED", "NOT_RUN", "SUSPICIOUS", "MAX_MESSAGE_CHARS", "explain_error", "scored_cells",
           "unscored_cells", "kernel_death", "first_line", "suspicious_code", "render_html"]

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MAX_MESSAGE_CHARS = 3000

#: ``ename`` of the error output :class:`autograder.execute.GradingExecute` puts in the cell the kernel
#: died in, and in every graded test cell after it.
KERNEL_DIED = "KernelDied"
NOT_RUN = "NotRun"

# Tokens in a submission's own cells that deserve a human look (see autograder/kernel_guard.py).
SUSPICIOUS = ("autograder", "sys.modules", "_getframe", "gc.get_referrers", "get_ipython().events",
              "addaudithook", "ctypes", "f_globals", "__builtins__", "co_filename", "kernel_guard",
              "settrace", "setprofile")   # the loop check counts lines with sys.settrace


def first_line(cell, width=80):
    """The cell's first non-blank source line, shortened to ``width`` characters."""
    line = next((ln.strip() for ln in nbcells.source(cell).splitlines() if ln.strip()), "")
    return line if len(line) <= width else line[: width - 3] + "..."


def _text(value):
    return "".join(value) if isinstance(value, list) else (value or "")


def _errors(cell):
    return [o for o in cell.get("outputs", []) or [] if o.get("output_type") == "error"]


def _grader_text(evalue):
    """An evalue written by the grader ("[grader] not run: ...") as a sentence for the student."""
    text = evalue.replace("[grader] ", "", 1).strip()
    return text[:1].upper() + text[1:]


def explain_error(output, cell_timeout=None, memory_mb=None):
    """A student-facing sentence for one nbformat ``error`` output (no test code, no traceback)."""
    ename, evalue = output.get("ename", "Error"), ANSI.sub("", output.get("evalue", ""))
    if ename == KERNEL_DIED:
        return (f"{_grader_text(evalue)}: the code stopped the whole kernel (os._exit, a crash in compiled "
                f"code, or memory exhausted outside Python), and the cells after it were not run.")
    if ename == NOT_RUN:
        return _grader_text(evalue) + "."
    if ename in ("CellTimeoutError", "KeyboardInterrupt", "TimeoutError") and "[grader]" not in evalue:
        limit = f" of {cell_timeout:g} s" if cell_timeout else ""
        return (f"Time limit: the cell ran longer than the per-cell limit{limit} and was stopped "
                f"(an endless loop, or code far too slow).")
    if ename == "MemoryError" or "raised MemoryError" in evalue:
        limit = f" of {memory_mb} MB" if memory_mb else ""
        text = (f"Memory limit: the code tried to use more than the memory limit{limit} and was stopped "
                f"(MemoryError).")
        return text + ("\n" + evalue.strip() if ename != "MemoryError" else "")
    if ename == "SystemExit":
        return "The code called sys.exit() (or exit()); a notebook must not stop the kernel."
    if ename in ("AssertionError", "CheckFailure"):
        return evalue.strip() or "A check failed (no message)."
    return f"{ename}: {evalue}".strip()


def _shorten(message):
    return message if len(message) <= MAX_MESSAGE_CHARS else message[:MAX_MESSAGE_CHARS] + " [...]"


def scored_cells(nb, scores=None, cell_timeout=None, memory_mb=None):
    """``(cells, grader_notes)``: a :class:`ScoredCell` per graded cell of an autograded notebook dict.

    ``scores``: ``{grade_id: {"auto_score", "manual_score", "max_score", "kind"}}`` from the gradebook
    (the authority on points); without it the points are read from the notebook's outputs (a test
    cell with an error output scores 0). ``grader_notes``: the ``[grader]`` lines the guard printed.
    A graded cell the notebook lacks (deleted) still counts, with 0 points.
    """
    results, notes = [], []
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "stream":
                notes += [ln.strip() for ln in _text(out.get("text")).splitlines() if ln.startswith("[grader]")]
        kind = nbcells.kind(cell)
        if kind not in (nbcells.TEST, nbcells.MANUAL, nbcells.TASK):
            continue
        gid = nbcells.grade_id(cell) or "?"
        errors = _errors(cell)
        score = (scores or {}).get(gid)
        if score is not None:
            results.append(_from_score(gid, score, errors, cell_timeout, memory_mb))
            continue
        max_points = nbcells.points(cell)
        if kind == nbcells.TEST:
            points = 0.0 if errors else max_points
            message = _test_message(points, max_points, errors, cell_timeout, memory_mb)
            results.append(ScoredCell(gid, points, max_points, kind, message))
        else:
            results.append(ScoredCell(gid, 0.0, max_points, kind, manual_pending=True))
    seen = {c.grade_id for c in results}
    for gid in sorted(set(scores or {}) - seen):
        cell = _from_score(gid, scores[gid], [], cell_timeout, memory_mb)
        if cell.autograded:
            cell.message = "This graded cell is missing from the notebook."
        results.append(cell)
    return results, list(dict.fromkeys(notes))


def _test_message(points, max_points, errors, cell_timeout, memory_mb):
    if points >= max_points:
        return ""
    if errors:
        return _shorten("\n".join(dict.fromkeys(explain_error(e, cell_timeout, memory_mb) for e in errors)))
    return "This cell did not run to the end."


def _from_score(gid, score, errors, cell_timeout, memory_mb):
    kind, max_points = score["kind"], float(score["max_score"])
    auto, manual = score.get("auto_score"), score.get("manual_score")
    if kind == nbcells.TEST:
        points = float(manual if manual is not None else (auto or 0.0))
        return ScoredCell(gid, points, max_points, kind, _test_message(points, max_points, errors, cell_timeout,
                                                                         memory_mb))
    if manual is not None:
        return ScoredCell(gid, float(manual), max_points, kind)
    if auto is not None:   # nbgrader scores an answer left as released 0, with no one to look at it
        return ScoredCell(gid, float(auto), max_points, kind,
                          "Not answered: the cell still holds the release's text." if auto < max_points else "")
    return ScoredCell(gid, 0.0, max_points, kind, manual_pending=True)


def unscored_cells(released_nb, message):
    """Every graded cell of the release with 0 points: for a notebook that could not be graded at all.

    Test cells get ``message``; written answers stay for a person to grade.
    """
    return [ScoredCell(c.grade_id, 0.0, c.points, c.kind, message if c.autograded else "",
                       manual_pending=not c.autograded)
            for c in nbcells.graded_cells(released_nb)]


def kernel_death(nb):
    """``(index, cell)`` of the cell an autograded notebook's kernel died in, or None."""
    for i, cell in enumerate(nb.get("cells", [])):
        if any(o.get("ename") == KERNEL_DIED for o in _errors(cell)):
            return i, cell
    return None


def suspicious_code(nb):
    """Tokens from :data:`SUSPICIOUS` found in the submission's own code cells (not the graded tests).

    ``nb``: a notebook dict.
    """
    found = set()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code" or nbcells.is_autograded_test(cell):
            continue
        src = nbcells.source(cell)
        found.update(t for t in SUSPICIOUS if t in src)
    return sorted(found)


def _points(c):
    if c.manual_pending:
        return f"— / {c.max_points:g}"
    return f"{c.points:g} / {c.max_points:g}"


def render_html(fb):
    """A self-contained HTML page for one notebook's feedback (an :class:`~autograder.results.NotebookResult`)."""
    e = html.escape
    rows = []
    for c in fb.cells:
        css = "manual" if c.manual_pending else ("ok" if not c.lost else "lost")
        message = c.message or ("To be graded by hand." if c.manual_pending else "")
        rows.append(f"<tr class='{css}'><td>{e(c.grade_id)}</td><td>{_points(c)}</td>"
                    f"<td>{f'-{c.lost:g}' if c.lost and not c.manual_pending else ''}</td>"
                    f"<td><pre>{e(message)}</pre></td></tr>")
    notes = "".join(f"<li>{e(n)}</li>" for n in ([fb.note] if fb.note else []) + fb.grader_notes)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Feedback: {e(fb.assignment)} / {e(fb.notebook)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{border:1px solid #ccc;padding:.3em;vertical-align:top}}
table{{border-collapse:collapse}}pre{{white-space:pre-wrap;margin:0}}tr.ok td{{background:#eef8ee}}tr.lost td{{background:#fdeeee}}</style>
</head><body>
<h1>{e(fb.assignment)} · {e(fb.notebook)}.ipynb</h1>
<p>Student: <b>{e(fb.student)}</b>. Autograded points: <b>{fb.auto_score:g} / {fb.auto_max:g}</b>. Status: {e(fb.status)}.</p>
{f"<ul>{notes}</ul>" if notes else ""}
<table><tr><th>graded cell</th><th>points</th><th>lost</th><th>what went wrong</th></tr>
{"".join(rows)}
</table></body></html>
"""
