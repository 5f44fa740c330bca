"""A safe evaluator for the right-hand sides of lavaan ``:=`` defined parameters.

lavaan lets a model define new parameters as functions of labelled ones, e.g.
``ind := a*b`` or ``total := c + a*b`` (Rosseel 2012, section 5.3).  Running such a string
through Python's ``eval`` is unsafe even without builtins: attribute access walks from any
literal to ``object.__subclasses__()`` and from there to ``os.system`` (the classic escape
from "restricted" ``eval``; see the Python documentation of :func:`eval` and of
:mod:`ast`, which recommends ``ast.literal_eval``-style whitelisting instead).  This module
therefore parses the expression with :func:`ast.parse`, checks every node against a short
allow-list, and evaluates the checked tree with a small interpreter of its own; nothing is
ever compiled or handed to ``eval``/``exec``.

Accepted grammar (anything else is refused with :class:`~cxmodels.errors.ModelSyntaxError`
quoting the line):

* numbers: ``int`` and ``float`` literals (``2``, ``0.5``, ``1e-3``), finite as doubles;
  a literal beyond the double range such as ``1e309`` is refused (it would silently become
  ``inf``, which is almost surely a typo), while arithmetic that overflows at evaluation
  time gives ``inf`` as numpy does;
* names: labels of the model and defined parameters defined on earlier lines, including
  R-style names with dots such as ``a.1`` or ``ind.eff`` when they are such labels (the
  lavaan parser accepts them; they are swapped for placeholders before Python parses the
  text, so they are plain names, never attribute access);
* binary ``+ - * /`` and power, written ``^`` (R, lavaan) or ``**``;
* unary ``-`` and ``+``; parentheses;
* calls ``exp(x)``, ``log(x)``, ``sqrt(x)``, ``abs(x)``: a plain name, exactly one
  positional argument, no keywords or ``*``/``**`` unpacking.

Expressions longer than :data:`MAX_LENGTH` characters, or nested deeper than
:data:`MAX_DEPTH` levels (parentheses, or operators and calls inside one another), are
refused before they can exhaust the parser's or the interpreter's stack.

References
----------
Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal of
Statistical Software*, 48(2), 1-36. https://doi.org/10.18637/jss.v048.i02

Python Software Foundation. ``ast`` -- Abstract Syntax Trees, and the security note of
``eval``. https://docs.python.org/3/library/ast.html
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Set
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, ModelSyntaxError

__all__ = ["Expression", "compile_expression", "FUNCTIONS", "MAX_LENGTH", "MAX_DEPTH"]

#: Longest expression accepted, in characters (after ``^`` is rewritten to ``**``).
MAX_LENGTH = 1000
#: Deepest nesting accepted: parentheses, and operands of unary operators, of the right
#: side of binary operators and of function calls.  A flat chain ``a + b + c + ...`` counts
#: as one level however long it is (the interpreter walks it in a loop).
MAX_DEPTH = 50

#: The functions a defined parameter may call, each with exactly one argument.
FUNCTIONS = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs}

_BINARY = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
           ast.Div: np.divide, ast.Pow: np.power}
_UNARY = {ast.USub: np.negative, ast.UAdd: np.positive}

_ALLOWED_TEXT = ("only numbers, labels, earlier defined parameters, + - * / ^, unary minus "
                 "and exp(), log(), sqrt(), abs() of one argument are allowed")

# What to call a refused node in the message (the user wrote lavaan, not Python, so the
# words describe the construct rather than the AST class).
_REFUSED = {
    ast.Attribute: "attribute access", ast.Subscript: "indexing", ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension", ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension", ast.GeneratorExp: "a generator expression",
    ast.Dict: "a dict", ast.Set: "a set", ast.List: "a list", ast.Tuple: "a tuple",
    ast.Compare: "a comparison", ast.BoolOp: "a boolean operator (and/or)",
    ast.IfExp: "a conditional expression (if/else)", ast.NamedExpr: "an assignment (:=)",
    ast.JoinedStr: "an f-string", ast.FormattedValue: "an f-string", ast.Starred: "unpacking",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield", ast.Slice: "a slice",
}


def _quote(line: str, limit: int = 120) -> str:
    # Quote the user's line, but never echo a 100k-character attack back in full.
    return repr(line if len(line) <= limit else line[:limit] + " ...")


def _refuse(line: str, what: str, lineno: int | None) -> ModelSyntaxError:
    where = f"line {lineno}: " if lineno is not None else ""
    return ModelSyntaxError(f"{where}{_quote(line)}: {what}")


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Constant):
        return f"the constant {node.value!r:.40}"
    if isinstance(node, ast.BinOp):
        symbol = {ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<",
                  ast.RShift: ">>", ast.BitOr: "|", ast.BitAnd: "&"}.get(type(node.op), "?")
        return f"the operator {symbol!r}"
    if isinstance(node, ast.UnaryOp):
        return "the operator 'not'" if isinstance(node.op, ast.Not) else "bitwise inversion (~)"
    return _REFUSED.get(type(node), f"a {type(node).__name__} expression")


# An R name as the lavaan parser accepts it; ``(?<![\w.])`` keeps it from starting inside a
# number such as ``1.5e3``.
_R_NAME = re.compile(r"(?<![\w.])[A-Za-z_.][\w.]*")


def _hide_dotted_names(text: str, names: Set[str]) -> tuple[str, dict[str, str]]:
    """Replace known dotted names (``a.1``) by Python identifiers; return the map back."""
    back: dict[str, str] = {}
    forward: dict[str, str] = {}

    def swap(m: re.Match) -> str:
        token = m.group(0)
        if "." not in token or token not in names or re.match(r"\.\d", token):
            return token
        if token not in forward:
            k = len(forward)
            while (f"_cx_dotted_{k}_" in text or f"_cx_dotted_{k}_" in names
                   or f"_cx_dotted_{k}_" in back):
                k += 1
            forward[token] = f"_cx_dotted_{k}_"
            back[forward[token]] = token
        return forward[token]

    return _R_NAME.sub(swap, text), back


def _paren_depth(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    return deepest


@dataclass(frozen=True)
class Expression:
    """A checked ``:=`` right-hand side, ready to evaluate.

    Attributes
    ----------
    text : str
        The expression as written (``^`` not yet rewritten).
    names : frozenset of str
        The free names it uses (labels and defined parameters; function names excluded).
    """

    text: str
    names: frozenset
    _tree: ast.expr = field(repr=False, compare=False)

    def evaluate(self, env: Mapping[str, float]) -> float:
        """Value of the expression with each name bound as in ``env``.

        Arithmetic follows numpy float64 rules: division by zero, ``log(0)``, overflow and
        negative bases to fractional powers give ``inf``/``nan`` rather than an exception,
        so a delta-method Jacobian or a bootstrap replicate never aborts on one bad draw.

        Parameters
        ----------
        env : mapping of str to float
            A value for every name in :attr:`names` (extra entries are ignored).

        Returns
        -------
        float

        Raises
        ------
        InputError
            If ``env`` lacks a name the expression uses.
        """
        missing = self.names - set(env)
        if missing:
            raise InputError(f"no value for {sorted(missing)} when evaluating {self.text!r}")
        values = {n: np.float64(env[n]) for n in self.names}
        with np.errstate(all="ignore"):
            return float(_evaluate(self._tree, values))


def _evaluate(node: ast.expr, env: dict) -> np.float64:
    # Only node types admitted by compile_expression reach here.  A left-leaning chain of
    # binary operators (how ``a + b + c + ...`` parses) is walked in a loop, so recursion
    # depth is bounded by MAX_DEPTH, not by the length of the expression.
    if isinstance(node, ast.BinOp):
        chain = []
        while isinstance(node, ast.BinOp):
            chain.append(node)
            node = node.left
        value = _evaluate(node, env)
        for op_node in reversed(chain):
            value = _BINARY[type(op_node.op)](value, _evaluate(op_node.right, env))
        return np.float64(value)
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.Constant):
        return np.float64(node.value)
    if isinstance(node, ast.UnaryOp):
        return np.float64(_UNARY[type(node.op)](_evaluate(node.operand, env)))
    if isinstance(node, ast.Call):
        return np.float64(FUNCTIONS[node.func.id](_evaluate(node.args[0], env)))
    raise AssertionError(f"unchecked node {type(node).__name__}")  # pragma: no cover


def compile_expression(text: str, line: str, names: Set[str], *,
                       lineno: int | None = None) -> Expression:
    """Parse and check the right-hand side of a ``:=`` defined parameter.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"a*b"`` or ``"c + a^2"``; ``^`` means power, as in R.
    line : str
        The source line it came from (e.g. ``"ind := a*b"``), quoted in error messages.
    names : set of str
        The names the expression may use: the model's labels and the defined parameters
        of earlier lines.  The allowed functions ``exp``, ``log``, ``sqrt``, ``abs`` need
        not be listed.
    lineno : int, optional
        Line number in the model, prefixed to error messages as ``line N:``.

    Returns
    -------
    Expression
        Its :meth:`Expression.evaluate` computes the value from a mapping of names.

    Raises
    ------
    ModelSyntaxError
        If the expression cannot be parsed, is longer than :data:`MAX_LENGTH` characters,
        nests deeper than :data:`MAX_DEPTH` levels, uses anything outside the grammar in
        the module docstring, or uses a name outside ``names``; the message quotes
        ``line`` and says what is not allowed.

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal of
    Statistical Software*, 48(2), 1-36. https://doi.org/10.18637/jss.v048.i02

    Examples
    --------
    >>> e = compile_expression("a*b^2", "ind := a*b^2", {"a", "b"})
    >>> e.evaluate({"a": 2.0, "b": 3.0})
    18.0
    """
    if not isinstance(text, str):
        raise _refuse(str(line), f"the expression must be a string, got {type(text).__name__}",
                      lineno)
    if not text.strip():
        raise _refuse(line, "the expression is empty", lineno)
    # Length and bracket depth are checked on the raw text, before ast.parse sees it: the
    # parser's own stack is what a pathological input would exhaust.
    if len(text) > MAX_LENGTH:
        raise _refuse(line, f"the expression has {len(text)} characters; at most {MAX_LENGTH} "
                            "are allowed", lineno)
    if _paren_depth(text) > MAX_DEPTH:
        raise _refuse(line, f"parentheses nest {_paren_depth(text)} deep; at most {MAX_DEPTH} "
                            "levels are allowed", lineno)
    source, back = _hide_dotted_names(text.replace("^", "**"), names)
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        reason = getattr(exc, "msg", None) or type(exc).__name__
        raise _refuse(line, f"cannot read the expression ({reason})", lineno) from None

    used: set[str] = set()
    # Iterative walk (an explicit stack, not recursion) so that checking the depth cannot
    # itself overflow the stack; depth rules mirror the recursion of _evaluate.
    stack: list[tuple[ast.AST, int]] = [(tree.body, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _refuse(line, f"the expression nests more than {MAX_DEPTH} levels deep", lineno)
        if isinstance(node, ast.Constant):
            # type() rather than isinstance: bool is an int subclass and must be refused.
            if type(node.value) not in (int, float):
                raise _refuse(line, f"{_describe(node)} is not allowed; {_ALLOWED_TEXT}", lineno)
            try:
                finite = np.isfinite(float(node.value))
            except OverflowError:
                finite = False
            if not finite:
                written = (ast.get_source_segment(source, node) or str(node.value))[:40]
                raise _refuse(line, f"the number {written} is beyond the range of a "
                                    "double-precision float", lineno)
        elif isinstance(node, ast.Name):
            node.id = back.get(node.id, node.id)  # our own tree: restore the dotted label
            used.add(node.id)
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            stack.append((node.left, depth))  # same level: evaluated in a loop
            stack.append((node.right, depth + 1))
        elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            stack.append((node.operand, depth + 1))
        elif isinstance(node, ast.Call):
            func = node.func
            if not isinstance(func, ast.Name):
                raise _refuse(line, f"calling the result of {_describe(func)} is not allowed; "
                                    f"{_ALLOWED_TEXT}", lineno)
            if func.id not in FUNCTIONS:
                raise _refuse(line, f"calling {func.id!r} is not allowed; {_ALLOWED_TEXT}", lineno)
            if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
                raise _refuse(line, f"{func.id}() takes exactly one positional argument (no "
                                    "keywords, no * or ** unpacking)", lineno)
            stack.append((node.args[0], depth + 1))
        elif isinstance(node, ast.Attribute):
            written = (ast.get_source_segment(source, node) or node.attr)[:60]
            raise _refuse(line, f"attribute access ({written}) is not allowed; {_ALLOWED_TEXT} "
                                "(a name with a dot must be a label of the model)", lineno)
        else:
            raise _refuse(line, f"{_describe(node)} is not allowed; {_ALLOWED_TEXT}", lineno)

    unknown = used - set(names)
    if unknown:
        known = sorted(set(names))
        raise _refuse(line, f"unknown name(s) {sorted(unknown)}; the expression may use the "
                            f"model's labels and earlier defined parameters {known}", lineno)
    return Expression(text=text, names=frozenset(used), _tree=tree.body)
