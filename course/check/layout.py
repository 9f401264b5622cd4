"""Laying a failure message out for a notebook's output area.

JupyterLab breaks an output line that is wider than the output area anywhere, mid-word
or mid-number (``0.1`` / ``577``), so a check's message is wrapped before IPython shows
it (:meth:`course.check.core.CheckFailure._render_traceback_`): between words, never
inside a shape or a small array unless it cannot fit, and then between the rows of an
array or the items of a dict, aligned like numpy prints them. The message itself (what
``str()`` gives, what the feedback page shows) is left as it is.

Numpy-free, no imports: it works on text.
"""

import re

__all__ = ["NOTEBOOK_COLUMNS", "wrap_message_line", "wrap_message"]

#: A failure message is wrapped to this many columns in a notebook. JupyterLab's output
#: area holds about 110 columns in a 1280-pixel-wide window with the file browser open.
NOTEBOOK_COLUMNS = 96

#: The label a message line starts with (``  likely cause: ``, ``  got:         ``).
_LABEL = re.compile(r"\s*[A-Za-z][A-Za-z ]{0,20}:\s+")
_OPEN, _CLOSE = "([{", ")]}"


def wrap_message(text, width=NOTEBOOK_COLUMNS):
    """Every line of ``text`` wrapped with :func:`wrap_message_line`; a list of lines."""
    return [part for line in text.splitlines() for part in wrap_message_line(line, width)]


def wrap_message_line(line, width=NOTEBOOK_COLUMNS):
    """One line of a failure message as lines of at most ``width`` columns, where possible.

    Breaks after the items of a ``name = value, ...`` list, else at spaces outside
    brackets that do not touch an ``=`` (``W = [[...]]`` stays together); continuation
    lines are indented past the line's label. A value too long
    for a line of its own is broken between its rows (``] [``, one row a line) or after
    the commas of its items, aligned under its opening bracket.

    >>> wrap_message_line("  likely cause: the sum includes the correct class j == y_i", 40)
    ['  likely cause: the sum includes the', '                correct class j == y_i']
    >>> wrap_message_line("  called with: W = [[1. 2.] [3. 4.]], y = [0 1]", 40)
    ['  called with: W = [[1. 2.] [3. 4.]],', '               y = [0 1]']
    >>> wrap_message_line("  got:   [[ 0.12  -0.5   3.25] [ 1.5    0.     2.  ]]", 32)
    ['  got:   [[ 0.12  -0.5   3.25]', '          [ 1.5    0.     2.  ]]']
    """
    if len(line) <= width:
        return [line]
    indent = len(line) - len(line.lstrip())
    label = _LABEL.match(line)
    if label and len(label.group(0)) <= width // 2:
        head, hang = label.group(0), " " * len(label.group(0))
    else:
        head, hang = line[:indent], " " * (indent + 4)
    room = width - len(hang)
    chunks = [piece for item in _items(line[len(head):])
              for piece in ([item] if len(item.rstrip()) <= room else _chunks(item))]
    lines, current, empty = [], head, True        # empty: nothing after the label or indent yet
    for chunk in chunks:
        if not empty and len(current) + len(chunk.rstrip()) > width:
            lines.append(current.rstrip())
            current, empty = hang, True
        if empty:
            chunk = chunk.lstrip()
        if len(current) + len(chunk.rstrip()) > width:     # too long even on a line of its own
            first, *more = _break_inside(chunk, len(current), width)
            if more:
                lines.append((current + first).rstrip())
                lines.extend(ln.rstrip() for ln in more[:-1])
                current, empty = more[-1], False
                continue
        current += chunk
        empty = False
    lines.append(current.rstrip())
    return lines


def _items(text):
    """``text`` cut after the commas that end an item of a ``name = value, ...`` list
    (outside brackets, before the next ``name =``); one piece for other text."""
    cuts, depth = [0], 0
    for i, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0 and _NEXT_ITEM.match(text, i + 1):
            cuts.append(i + 2)
    cuts.append(len(text))
    return [text[a:b] for a, b in zip(cuts, cuts[1:]) if a < b]


_NEXT_ITEM = re.compile(r" [A-Za-z_]\w* = ")


def _chunks(text):
    """``text`` cut after each space outside brackets that does not touch an ``=``."""
    chunks, start, depth = [], 0, 0
    for i, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif ch == " " and depth == 0 and text[i - 1:i] != "=" and text[i + 1:i + 2] != "=":
            chunks.append(text[start:i + 1])
            start = i + 1
    return chunks + ([text[start:]] if start < len(text) else [])


def _break_inside(chunk, column, width):
    """``chunk`` (starting at ``column``) broken inside its first bracketed value.

    Returns lines; the first carries no indentation, the others their own. An array is
    broken at every row boundary (``] [``), other values greedily after their commas;
    pieces still too long are broken inside in turn.
    """
    depth, opened, breaks, rows = 0, None, [], False
    for i, ch in enumerate(chunk):
        if ch in _OPEN:
            if depth == 0 and opened is None:
                opened = i
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif ch == " " and depth == 1 and opened is not None:
            if chunk[i - 1:i] == "]" and chunk[i + 1:i + 2] == "[":
                breaks.append(i)
                rows = True
            elif chunk[i - 1:i] == ",":
                breaks.append(i)
    if not breaks:
        return [chunk]
    cuts = [0] + [b + 1 for b in breaks] + [len(chunk)]
    pieces = [chunk[a:b] for a, b in zip(cuts, cuts[1:]) if a < b]
    if rows:        # an array: one row a line, or none broken
        breaks_at = [b for b in breaks if chunk[b - 1] == "]"]
        cuts = [0] + [b + 1 for b in breaks_at] + [len(chunk)]
        pieces = [chunk[a:b] for a, b in zip(cuts, cuts[1:]) if a < b]
    pad = column + opened + 1
    lines, current = [], pieces[0]
    start = column
    for piece in pieces[1:]:
        if rows or start + len(current) + len(piece.rstrip()) > width:
            lines.append((current, start))
            current, start = piece, pad
        else:
            current += piece
    lines.append((current, start))
    out = []
    for k, (text, col) in enumerate(lines):
        parts = _break_inside(text, col, width) if col + len(text.rstrip()) > width else [text]
        first = parts[0] if k == 0 else " " * col + parts[0]
        out += [first, *parts[1:]]
    return out
