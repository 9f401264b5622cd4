"""Student feedback from an autograded notebook: the message of each failed check, never its code.

nbgrader's own ``generate_feedback`` renders the autograded notebook, hidden tests
included. :func:`cell_results` reads the autograded notebook instead and keeps, for each
graded cell, only the points and what went wrong: the check's message (the text of
its ``AssertionError``) or a plain account of a crash, a timeout or a memory error.
:func:`render_html` writes that as a small self-contained page.
"""

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from autograder import cells as nbcells

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MAX_MESSAGE_CHARS = 3000

# Tokens in a submission's own cells that deserve a human look (see autograder/kernel_guard.py).
SUSPICIOUS = ("autograder", "sys.modules", "_getframe", "gc.get_referrers", "get_ipython().events",
              "addaudithook", "ctypes", "f_globals", "__builtins__", "co_filename", "kernel_guard",
              "settrace", "setprofile")   # the loop check counts lines with sys.settrace


@dataclass
class CellResult:
    grade_id: str
    points: float            # earned (auto score; manual cells: 0 until graded)
    max_points: float
    autograded: bool
    message: str = ""        # why points were lost ("" when none were)

    @property
    def lost(self):
        return self.max_points - self.points


@dataclass
class NotebookFeedback:
    assignment: str
    student: str
    notebook: str
    status: str = "graded"          # graded | time budget | kernel died | not graded
    note: str = ""                  # a notebook-level explanation (limits, crashes, flags)
    cells: list = field(default_factory=list)
    grader_notes: list = field(default_factory=list)   # "[grader] ..." lines printed by the guard

    @property
    def auto_score(self):
        return sum(c.points for c in self.cells if c.autograded)

    @property
    def auto_max(self):
        return sum(c.max_points for c in self.cells if c.autograded)


def _text(source):
    return "".join(source) if isinstance(source, list) else (source or "")


def explain_error(output, cell_timeout=None, memory_mb=None):
    """A student-facing sentence for one nbformat ``error`` output (no test code, no traceback)."""
    ename, evalue = output.get("ename", "Error"), ANSI.sub("", output.get("evalue", ""))
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
    text = f"{ename}: {evalue}".strip()
    return text


def cell_results(notebook_path, scores=None, cell_timeout=None, memory_mb=None):
    """``(cells, grader_notes)``: a :class:`CellResult` per graded cell of an autograded notebook.

    ``scores``: ``{grade_id: (points, max_points, autograded)}`` from the gradebook (the
    authority on points); without it the points are read from the notebook's outputs
    (a test cell with an error output scores 0).
    """
    nb = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    results, notes = [], []
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "stream":
                notes += [ln.strip() for ln in _text(out.get("text")).splitlines() if ln.startswith("[grader]")]
        if not nbcells.is_grade(cell):
            continue
        gid = nbcells.grade_id(cell) or "?"
        autograded = nbcells.is_autograded_test(cell)
        errors = [o for o in cell.get("outputs", []) or [] if o.get("output_type") == "error"]
        if scores and gid in scores:
            points, max_points, autograded = scores[gid]
        else:
            max_points = nbcells.points(cell)
            points = 0.0 if (errors or not autograded) else max_points
        message = ""
        if autograded and points < max_points:
            if errors:
                message = "\n".join(dict.fromkeys(explain_error(e, cell_timeout, memory_mb) for e in errors))
            else:
                message = "This cell did not run to the end."
        elif not autograded:
            message = "Graded by hand."
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[:MAX_MESSAGE_CHARS] + " [...]"
        results.append(CellResult(gid, float(points), float(max_points), autograded, message))
    if scores:   # a graded cell the notebook lacks (deleted) still counts, with 0 points
        seen = {r.grade_id for r in results}
        for gid in sorted(set(scores) - seen):
            points, max_points, autograded = scores[gid]
            results.append(CellResult(gid, float(points), float(max_points), autograded,
                                      "This graded cell is missing from the notebook." if autograded else "Graded by hand."))
    return results, list(dict.fromkeys(notes))


def suspicious_code(notebook_path):
    """Tokens from :data:`SUSPICIOUS` found in the submission's own (non-graded) code cells."""
    nb = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    found = set()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code" or nbcells.is_autograded_test(cell):
            continue
        src = nbcells.source(cell)
        found.update(t for t in SUSPICIOUS if t in src)
    return sorted(found)


def render_html(fb):
    """A self-contained HTML page for one notebook's feedback."""
    e = html.escape
    rows = []
    for c in fb.cells:
        kind = "auto" if c.autograded else "manual"
        pts = f"{c.points:g} / {c.max_points:g}" if c.autograded else f"— / {c.max_points:g}"
        rows.append(f"<tr class='{ 'ok' if c.autograded and not c.lost else kind }'><td>{e(c.grade_id)}</td>"
                    f"<td>{pts}</td><td>{f'-{c.lost:g}' if c.autograded and c.lost else ''}</td>"
                    f"<td><pre>{e(c.message)}</pre></td></tr>")
    notes = "".join(f"<li>{e(n)}</li>" for n in ([fb.note] if fb.note else []) + fb.grader_notes)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Feedback: {e(fb.assignment)} / {e(fb.notebook)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{border:1px solid #ccc;padding:.3em;vertical-align:top}}
table{{border-collapse:collapse}}pre{{white-space:pre-wrap;margin:0}}tr.ok td{{background:#eef8ee}}tr.auto td{{background:#fdeeee}}</style>
</head><body>
<h1>{e(fb.assignment)} · {e(fb.notebook)}.ipynb</h1>
<p>Student: <b>{e(fb.student)}</b>. Autograded points: <b>{fb.auto_score:g} / {fb.auto_max:g}</b>. Status: {e(fb.status)}.</p>
{f"<ul>{notes}</ul>" if notes else ""}
<table><tr><th>graded cell</th><th>points</th><th>lost</th><th>what went wrong</th></tr>
{"".join(rows)}
</table></body></html>
"""
