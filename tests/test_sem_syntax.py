"""The lavaan-syntax parser and the parameter table's defaults."""

import pytest

from cxmodels.errors import ModelSyntaxError
from cxmodels.sem.cb.partable import build
from cxmodels.sem.syntax import parse


def test_modifiers_labels_fixed_start_and_groups():
    st = parse("f =~ x1 + a*x2 + 0.5*x3 + NA*x4 + start(0.7)*x5 + c(l1, l2)*x6 + c(1, NA)*x7")
    mods = {s.rhs: s.modifier for s in st}
    assert mods["x2"].label == ["a"]
    assert mods["x3"].fixed == [0.5]
    assert mods["x4"].fixed == [None]
    assert mods["x5"].start == [0.7]
    assert mods["x6"].label == ["l1", "l2"]
    assert mods["x7"].fixed == [1.0, None]


def test_comments_continuations_multiple_lhs_intercepts_and_defined():
    st = parse("""
    # a comment
    f =~ x1 + x2 +
         x3            ! another comment
    y1 + y2 ~ f; y1 ~ 1
    ind := a*b
    """)
    ops = [(s.lhs, s.op, s.rhs) for s in st]
    assert ("f", "=~", "x3") in ops
    assert ("y1", "~", "f") in ops and ("y2", "~", "f") in ops
    assert ("y1", "~1", "") in ops
    assert ("ind", ":=", "a*b") in ops


@pytest.mark.parametrize("bad", ["f =~", "x1 x2", "f =~ x1 + + x2", "3x =~ y", "a := "])
def test_syntax_errors_quote_the_line(bad):
    with pytest.raises(ModelSyntaxError):
        parse(bad)


def test_lavaan_defaults_for_a_full_sem():
    table, v, defined = build("""
        ind60 =~ x1 + x2 + x3
        dem60 =~ y1 + y2
        dem65 =~ y3 + y4
        dem60 ~ ind60
        dem65 ~ ind60 + dem60
        out ~ dem65
        out2 ~ dem65
    """)
    rows = {(r.lhs, r.op, r.rhs): r for r in table.itertuples()}
    assert not rows[("ind60", "=~", "x1")].free and rows[("ind60", "=~", "x1")].value == 1.0
    assert rows[("ind60", "=~", "x2")].free
    assert rows[("x1", "~~", "x1")].free and rows[("ind60", "~~", "ind60")].free
    # pure outcomes covary (auto.cov.y); a mediator does not covary with them
    assert ("out", "~~", "out2") in rows
    assert ("dem60", "~~", "dem65") not in rows and ("dem65", "~~", "dem60") not in rows
    assert v.latent == ["ind60", "dem60", "dem65"]


def test_fixed_x_covariates_and_std_lv():
    table, v, _ = build("f =~ y1 + y2 + y3\n f ~ z1 + z2", std_lv=True)
    assert v.exogenous_x == ["z1", "z2"]
    exo = table[table["exo"]]
    assert set(zip(exo.lhs, exo.rhs)) == {("z1", "z1"), ("z2", "z2"), ("z1", "z2")}
    assert not exo["free"].any()
    f_var = table[(table.lhs == "f") & (table.op == "~~")].iloc[0]
    assert not f_var.free and f_var.value == 1.0
    assert table[(table.op == "=~")]["free"].all()


def test_equal_labels_share_one_parameter():
    table, _, _ = build("f =~ x1 + a*x2 + a*x3")
    pids = table[table.op == "=~"].set_index("rhs").loc[["x2", "x3"], "pid"]
    assert pids.iloc[0] == pids.iloc[1] >= 0


def test_duplicate_statement_and_pls_operator_are_rejected():
    with pytest.raises(ModelSyntaxError, match="twice"):
        build("f =~ x1 + x2 + x3\n f =~ x2")
    with pytest.raises(ModelSyntaxError, match="fit_pls"):
        build("f <~ x1 + x2")
