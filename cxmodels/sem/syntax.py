"""A parser for lavaan's model syntax.

Supported (Rosseel 2012, lavaan: An R package for structural equation modeling,
Journal of Statistical Software 48(2)):

* ``f =~ x1 + x2``   latent variable ``f`` measured by ``x1``, ``x2`` (reflective);
* ``f <~ x1 + x2``   composite (formative) construct, used by PLS;
* ``y ~ x1 + x2``    regression; ``y ~ 1`` an intercept;
* ``x1 ~~ x2``       (residual) covariance, ``x1 ~~ x1`` a variance;
* ``name := a*b``    a defined parameter (indirect and total effects);
* modifiers before a right-hand term: a fixed value ``0.5*x``, a label ``a*x``,
  ``NA*x`` (free a parameter that would be fixed), ``start(0.5)*x``, and per-group
  vectors ``c(a, b)*x`` / ``c(1, NA)*x``; several modifiers may be chained
  (``a*start(1)*x``);
* several left-hand names (``y1 + y2 ~ x``), statements split over lines when a line
  ends in an operator or ``+``, ``;`` as a separator, ``#`` and ``!`` comments;
* ``level: 1`` / ``level: 2`` lines opening the within and between blocks of a two-level
  model (read by :func:`split_levels`; :func:`parse` takes one block).

The parser returns :class:`Statement` objects; it knows nothing about data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import ModelSyntaxError

# Longest operators first, so that "=~" is not read as "~".
_OPERATORS = ("=~", "<~", "~~", ":=", "==", "~")
_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


@dataclass
class Modifier:
    """What stands before ``*`` in a term: fixed values, labels, start values.

    Each is a list with one entry per group, or a single entry for every group.
    ``None`` in ``fixed`` means free (``NA``).
    """

    fixed: list | None = None
    label: list | None = None
    start: list | None = None


@dataclass
class Statement:
    """One parsed relation ``lhs op rhs`` (for ``:=`` and ``==``, ``rhs`` is an expression)."""

    lhs: str
    op: str
    rhs: str
    modifier: Modifier = field(default_factory=Modifier)
    line: int = 0


def _strip_comment(line: str) -> str:
    for mark in ("#", "!"):
        pos = line.find(mark)
        if pos >= 0:
            line = line[:pos]
    return line


def _logical_lines(model: str) -> list[tuple[int, str]]:
    """Split a model into statements, joining continuation lines."""
    out: list[tuple[int, str]] = []
    pending, start_line = "", 0
    for number, raw in enumerate(model.splitlines(), start=1):
        for piece in _strip_comment(raw).split(";"):
            text = piece.strip()
            if not text:
                continue
            if pending and (pending.endswith(("+", "*", "=~", "~", "<~", ":=", ",", "(")) or text.startswith("+")):
                pending = f"{pending} {text}"
                continue
            if pending:
                out.append((start_line, pending))
            pending, start_line = text, number
    if pending:
        out.append((start_line, pending))
    return out


def _split_operator(text: str, line: int) -> tuple[str, str, str]:
    # Find the first operator occurrence outside parentheses.
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:
            for op in _OPERATORS:
                if text.startswith(op, i):
                    return text[:i].strip(), op, text[i + len(op):].strip()
        i += 1
    raise ModelSyntaxError(f"line {line}: no operator (=~, ~, ~~, <~, :=) in {text!r}")


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def _modifier_values(token: str, line: int) -> tuple[str, list]:
    """Classify one modifier token: ('fixed'|'label'|'start', values)."""
    token = token.strip()
    m = re.fullmatch(r"start\((.*)\)", token)
    if m:
        kind, items = "start", _split_top(m.group(1), ",")
    else:
        m = re.fullmatch(r"c\((.*)\)", token)
        items = _split_top(m.group(1), ",") if m else [token]
        kind = None
    values = []
    for item in items:
        item = item.strip().strip('"').strip("'")
        if item == "NA":
            values.append(("fixed", None))
        elif _NUMBER.match(item):
            values.append(("fixed", float(item)))
        elif _NAME.match(item):
            values.append(("label", item))
        else:
            raise ModelSyntaxError(f"line {line}: cannot read modifier {token!r}")
    if kind == "start":
        return "start", [v for _, v in values]
    kinds = {k for k, _ in values}
    if len(kinds) > 1:
        # c(a, NA) or c(1, a): mixed vectors are read as labels where named, fixed where numeric.
        return "mixed", values
    return kinds.pop(), [v for _, v in values]


def _parse_term(term: str, line: int) -> tuple[str, Modifier]:
    pieces = _split_top(term, "*")
    name = pieces[-1].strip()
    if not (_NAME.match(name) or name == "1"):
        raise ModelSyntaxError(f"line {line}: {name!r} is not a variable name")
    mod = Modifier()
    for token in pieces[:-1]:
        kind, values = _modifier_values(token, line)
        if kind == "mixed":
            mod.fixed = [v if k == "fixed" else None for k, v in values]
            mod.label = [v if k == "label" else None for k, v in values]
        elif kind == "fixed":
            mod.fixed = values
        elif kind == "label":
            mod.label = values
        else:
            mod.start = values
    return name, mod


def parse(model: str) -> list[Statement]:
    """Parse lavaan model syntax into a list of :class:`Statement`.

    Parameters
    ----------
    model : str
        The model in lavaan syntax.

    Returns
    -------
    list of Statement

    Raises
    ------
    ModelSyntaxError
        Quoting the line that cannot be read.
    """
    if not isinstance(model, str) or not model.strip():
        raise ModelSyntaxError("the model must be a non-empty string in lavaan syntax")
    statements: list[Statement] = []
    for line, text in _logical_lines(model):
        lhs_text, op, rhs_text = _split_operator(text, line)
        if not lhs_text or not rhs_text:
            raise ModelSyntaxError(f"line {line}: incomplete statement {text!r}")
        if op in (":=", "=="):
            if op == ":=" and not _NAME.match(lhs_text):
                raise ModelSyntaxError(f"line {line}: {lhs_text!r} is not a valid name for a defined parameter")
            statements.append(Statement(lhs_text, op, rhs_text, line=line))
            continue
        lhs_names = _split_top(lhs_text, "+")
        for name in lhs_names:
            if not _NAME.match(name):
                raise ModelSyntaxError(f"line {line}: {name!r} is not a variable name")
        for term in _split_top(rhs_text, "+"):
            if not term:
                raise ModelSyntaxError(f"line {line}: empty term in {text!r}")
            name, mod = _parse_term(term, line)
            for lhs in lhs_names:
                if name == "1":
                    if op != "~":
                        raise ModelSyntaxError(f"line {line}: '1' (an intercept) only goes with '~'")
                    statements.append(Statement(lhs, "~1", "", mod, line))
                else:
                    statements.append(Statement(lhs, op, name, mod, line))
    return statements


_LEVEL = re.compile(r"^\s*level\s*:\s*([A-Za-z0-9_.]+)\s*$")


def split_levels(model: str) -> list[tuple[str, str]] | None:
    """Split a two-level model at its ``level: 1`` / ``level: 2`` lines (lavaan's syntax).

    Parameters
    ----------
    model : str
        The model in lavaan syntax.

    Returns
    -------
    list of (label, text) or None
        The blocks in order (``label`` as written after ``level:``; the first block is the
        within level, the second the between level), each text keeping its line numbers
        (other lines blanked) so that errors quote the right line; None when the model has
        no ``level:`` line.

    Raises
    ------
    ModelSyntaxError
        Statements before the first ``level:`` line, a level given twice, an empty block,
        or a number of levels other than two.
    """
    if not isinstance(model, str):
        raise ModelSyntaxError("the model must be a non-empty string in lavaan syntax")
    lines = model.splitlines()
    starts = [(i, m.group(1)) for i, raw in enumerate(lines)
              if (m := _LEVEL.match(_strip_comment(raw)))]
    if not starts:
        return None
    first = starts[0][0]
    before = [i + 1 for i in range(first) if _strip_comment(lines[i]).strip()]
    if before:
        raise ModelSyntaxError(f"line {before[0]}: statements before the first 'level:' line; "
                               "every statement of a two-level model belongs to a level block")
    labels = [lab for _, lab in starts]
    if len(set(labels)) != len(labels):
        raise ModelSyntaxError(f"a level is given twice ({labels}); write one 'level: 1' and one 'level: 2' block")
    if len(starts) != 2:
        raise ModelSyntaxError(f"a two-level model needs exactly two blocks ('level: 1' and 'level: 2'), "
                               f"got {len(starts)}")
    out = []
    for k, (i, lab) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        text = "\n".join(lines[j] if i < j < end else "" for j in range(len(lines)))
        if not text.strip():
            raise ModelSyntaxError(f"line {i + 1}: the block 'level: {lab}' is empty")
        out.append((lab, text))
    return out
