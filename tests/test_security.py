"""``:=`` expressions are interpreted from a checked AST, never ``eval``-ed.

The escapes below are the classic ways out of a "restricted" ``eval`` (attribute walks to
``object.__subclasses__()``, ``__import__``, lambdas, comprehensions ...) and ways to exhaust
the parser (huge or deeply nested input).  Each must be refused with ModelSyntaxError
quoting the line; nothing here may ever run code.
"""

from __future__ import annotations

import ast
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxmodels
from cxmodels.errors import InputError, ModelSyntaxError
from cxmodels.sem.expressions import MAX_DEPTH, MAX_LENGTH, compile_expression

NAMES = {"a", "b", "c"}
ENV = {"a": 2.0, "b": 3.0, "c": 4.0}


def value(text, env=ENV, names=NAMES):
    return compile_expression(text, f"x := {text}", names).evaluate(env)


@pytest.mark.parametrize("text, expected", [
    ("a*b", 6.0),
    ("a^2", 4.0),
    ("a**2", 4.0),
    ("-a+b/c", -2.0 + 0.75),
    ("+a - -b", 5.0),
    ("exp(log(a))", 2.0),
    ("sqrt(abs(-4))", 2.0),
    ("((a + (b*c)) ^ 2) / (2)", (2 + 12) ** 2 / 2),
    ("-a^2", -4.0),          # as in R: power binds tighter than unary minus
    ("a^b^2", 2.0 ** 9),     # and is right-associative
    ("1e-3 * 2 + 0.5", 0.502),
    ("a + " * 200 + "a", 201 * 2.0),  # a long flat sum is one nesting level
])
def test_valid_expressions_give_the_right_numbers(text, expected):
    assert value(text) == pytest.approx(expected, rel=1e-15)


def test_names_and_earlier_defined_parameters():
    e = compile_expression("ind + c*exp(a)", "total := ind + c*exp(a)", {"a", "c", "ind"})
    assert e.names == {"ind", "c", "a"}  # the function name is not a free name
    assert e.evaluate({"ind": 1.0, "c": 2.0, "a": 0.0, "unused": 9.0}) == 3.0
    with pytest.raises(InputError, match="ind"):
        e.evaluate({"c": 2.0, "a": 0.0})


def test_dotted_r_labels_are_names_not_attributes():
    # The lavaan parser accepts labels such as ``a.1``; they must work as plain names.
    e = compile_expression("a.1*b.x + .5", "ind.eff := a.1*b.x + .5", {"a.1", "b.x"})
    assert e.names == {"a.1", "b.x"}
    assert e.evaluate({"a.1": 2.0, "b.x": 3.0}) == 6.5
    # placeholders never clash with names the user wrote
    names = {"a.1", "b.1", "_cx_dotted_0_"}
    e = compile_expression("a.1 + 10*b.1 + 100*_cx_dotted_0_", "t := ...", names)
    assert e.evaluate({"a.1": 1.0, "b.1": 2.0, "_cx_dotted_0_": 3.0}) == 321.0


def test_numpy_semantics_not_exceptions():
    # A delta-method Jacobian or a bootstrap replicate must not abort on one bad value.
    with np.errstate(all="raise"):  # evaluate sets its own errstate
        assert value("a/0") == math.inf
        assert value("log(0)") == -math.inf
        assert math.isnan(value("sqrt(-a)"))
        assert math.isnan(value("(-8)^(1/3)"))  # real arithmetic: no complex results
        assert value("10^400") == math.inf
    assert isinstance(value("a"), float)


ESCAPES = [
    "().__class__.__bases__[0].__subclasses__()",
    "a.__class__",
    "__import__('os').system('echo hi')",
    "(lambda: 1)()",
    "[x for x in (1,)]",
    "{1:2}",
    "{a}",
    "[a]",
    "(a, b)",
    "a[0]",
    "a[0:1]",
    "open('f')",
    "a(1)",
    "exp(x=1)",
    "exp(*a)",
    "exp(**a)",
    "exp(a, b)",
    "exp()",
    "exp(a)(b)",
    "'a'*3",
    "b'a'",
    "a if b else c",
    "a < b",
    "a == b",
    "a and b",
    "not a",
    "~a",
    "a % b",
    "a // b",
    "a @ b",
    "(y := 1)",
    "f'{a}'",
    "True + a",
    "None",
    "1j * a",
    "...",
    "a; b",
    "a b",
    "",
    "   ",
    "a\x00",
]


@pytest.mark.parametrize("text", ESCAPES)
def test_escapes_and_non_arithmetic_are_refused_quoting_the_line(text):
    line = f"ind := {text}"
    with pytest.raises(ModelSyntaxError) as info:
        compile_expression(text, line, NAMES | {"x", "y"}, lineno=7)
    msg = str(info.value)
    assert msg.startswith("line 7: ")
    assert repr(line) in msg


@pytest.mark.parametrize("text, says", [
    ("a.__class__", "attribute access"),
    ("a[0]", "indexing"),
    ("(lambda: 1)()", "lambda"),
    ("open('f')", "'open' is not allowed"),
    ("exp(x=1)", "exactly one positional argument"),
    ("a < b", "comparison"),
    ("a if b else c", "conditional"),
    ("(y := 1)", "assignment"),
    ("f'{a}'", "f-string"),
    ("'a'*3", "constant 'a'"),
])
def test_the_message_says_what_is_not_allowed(text, says):
    with pytest.raises(ModelSyntaxError, match=f"is not allowed|{says}") as info:
        compile_expression(text, f"ind := {text}", NAMES | {"y"})
    assert says in str(info.value)


def test_unknown_names_are_named():
    with pytest.raises(ModelSyntaxError, match=r"unknown name\(s\) \['d', 'q'\]"):
        compile_expression("a*q + d", "ind := a*q + d", NAMES)
    # builtins are not names either
    for text in ("print", "__builtins__", "exp"):
        with pytest.raises(ModelSyntaxError, match="unknown name"):
            compile_expression(text, f"x := {text}", NAMES)


def test_huge_and_deeply_nested_input_is_refused_before_parsing():
    huge = "a+" * 50_000 + "a"  # ~100k characters
    with pytest.raises(ModelSyntaxError, match=f"at most {MAX_LENGTH}") as info:
        compile_expression(huge, f"x := {huge}", NAMES)
    assert len(str(info.value)) < 1000  # the line is quoted, but not echoed in full
    nested = "(" * 10_000 + "a" + ")" * 10_000
    with pytest.raises(ModelSyntaxError):
        compile_expression(nested, f"x := {nested}", NAMES)
    # within the length limit: deep brackets, and deep nesting without brackets
    for text in ("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1),
                 "-" * 900 + "a",
                 "a^" * 300 + "a",
                 "exp(" * 60 + "a" + ")" * 60):
        with pytest.raises(ModelSyntaxError, match=f"{MAX_DEPTH}"):
            compile_expression(text, f"x := {text}", NAMES)
    ok = "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH
    assert compile_expression(ok, f"x := {ok}", NAMES).evaluate(ENV) == 2.0


def test_literals_beyond_the_double_range_are_refused():
    # Decision: 1e309 (which Python reads as inf) and 10...0 (400 digits) are typos, not
    # values; arithmetic that overflows at evaluation (10^400) still gives inf, as in numpy.
    for text in ("1e309", "-1e309", "1" + "0" * 400):
        with pytest.raises(ModelSyntaxError, match="beyond the range"):
            compile_expression(text, f"x := {text}", NAMES)
    assert value("1e308") == 1e308


MODEL = """
m ~ a*x
y ~ b*m + c*x
"""


def _data(n=300, seed=5):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    m = 0.5 * x + rng.normal(size=n)
    y = 0.4 * m + 0.2 * x + rng.normal(size=n)
    return pd.DataFrame({"x": x, "m": m, "y": y})


def test_fit_sem_defined_parameters_still_work():
    res = cxmodels.sem.fit_sem(MODEL + "ind := a*b\ntotal := ind + c\n", _data())
    est = res.estimates().set_index("label")["est"]
    assert est["ind"] == pytest.approx(est["a"] * est["b"], rel=1e-10)
    assert est["total"] == pytest.approx(est["a"] * est["b"] + est["c"], rel=1e-10)


def test_fit_sem_refuses_escape():
    # Passes once cxmodels/sem/result.py compiles ':=' lines with compile_expression.
    with pytest.raises(ModelSyntaxError, match="a.__class__"):
        cxmodels.sem.fit_sem(MODEL + "bad := a.__class__\n", _data())


_FORBIDDEN = {"eval", "exec"}


def _forbidden_calls(tree: ast.AST) -> list[tuple[int, str]]:
    hits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id in _FORBIDDEN:
            hits.append((node.lineno, f.id))
        # builtins.eval(...), __builtins__.exec(...)
        elif (isinstance(f, ast.Attribute) and f.attr in _FORBIDDEN
              and isinstance(f.value, ast.Name) and f.value.id in {"builtins", "__builtins__"}):
            hits.append((node.lineno, f"{f.value.id}.{f.attr}"))
        # getattr(builtins, "eval")
        elif (isinstance(f, ast.Name) and f.id == "getattr" and len(node.args) >= 2
              and isinstance(node.args[1], ast.Constant) and node.args[1].value in _FORBIDDEN):
            hits.append((node.lineno, f"getattr(..., {node.args[1].value!r})"))
    return hits


def test_the_scanner_finds_eval_and_exec():
    src = "eval('1')\nbuiltins.exec('x')\n__builtins__.eval('1')\ngetattr(builtins, 'exec')\nx.eval()\n"
    assert [h[0] for h in _forbidden_calls(ast.parse(src))] == [1, 2, 3, 4]


def test_no_eval_or_exec_in_the_package():
    root = Path(cxmodels.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        with warnings.catch_warnings():  # a stray escape in a docstring is not this test's business
            warnings.simplefilter("ignore")
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for lineno, what in _forbidden_calls(tree):
            found.append(f"{path.relative_to(root.parent)}:{lineno}: {what}(")
    assert not found, "eval/exec calls in cxmodels: " + "; ".join(found)
