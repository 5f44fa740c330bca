"""The parameter table: parsed syntax plus lavaan's defaults for ``sem()``/``cfa()``.

One row per model parameter per group, the single source every report is read from
(as lavaan's ``parTable``).  Defaults follow lavaan 0.6:

* the first loading of each factor is fixed to 1 (``auto.fix.first``), unless
  ``std_lv=True`` (then latent variances are fixed to 1 and every loading is free);
* residual variances of observed and latent variables are free (``auto.var``);
* exogenous latent variables covary freely (``auto.cov.lv.x``), and so do the
  residuals of "pure" outcomes, variables regressed on others that predict nothing
  (``auto.cov.y``);
* observed exogenous covariates have variances, covariances and means fixed to their
  sample values (``fixed.x=TRUE``), or free (``fixed_x=False``, covariances included);
* with a mean structure, observed intercepts are free and latent means fixed to 0;
  in multigroup models with equal intercepts, latent means are free beyond group 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import pandas as pd

from ...errors import InputError, ModelSyntaxError
from ..syntax import Statement, parse

#: group_equal keywords and the rows they constrain (lavaan's group.equal).
GROUP_EQUAL = {
    "loadings": lambda r, v: r["op"] == "=~",
    "regressions": lambda r, v: r["op"] == "~",
    "intercepts": lambda r, v: r["op"] == "~1" and r["lhs"] in v.observed,
    "means": lambda r, v: r["op"] == "~1" and r["lhs"] in v.latent,
    "residuals": lambda r, v: r["op"] == "~~" and r["lhs"] == r["rhs"] and r["lhs"] in v.observed,
    "residual.covariances": lambda r, v: r["op"] == "~~" and r["lhs"] != r["rhs"] and r["lhs"] in v.observed,
    "lv.variances": lambda r, v: r["op"] == "~~" and r["lhs"] == r["rhs"] and r["lhs"] in v.latent,
    "lv.covariances": lambda r, v: r["op"] == "~~" and r["lhs"] != r["rhs"] and r["lhs"] in v.latent,
}


@dataclass(frozen=True)
class Variables:
    """The variables of a model, observed first then latent (the matrix order)."""

    observed: list[str]
    latent: list[str]
    exogenous_x: list[str]  # observed covariates treated as fixed (fixed.x)

    @property
    def all(self) -> list[str]:
        return self.observed + self.latent


def _ordered_unique(names):
    seen, out = set(), []
    for n in names:
        if n not in seen:
            seen.add(n)
            out.append(n)
    return out


def classify(statements: list[Statement], fixed_x: bool = True) -> Variables:
    """Find latent, observed and exogenous observed variables as lavaan does."""
    latent = _ordered_unique(s.lhs for s in statements if s.op in ("=~", "<~"))
    names = []
    for s in statements:
        if s.op in (":=", "=="):
            continue
        names.append(s.lhs)
        if s.rhs:
            names.append(s.rhs)
    # lavaan lists indicators first, then other observed variables, in order of appearance.
    indicators = [s.rhs for s in statements if s.op in ("=~", "<~") and s.rhs not in latent]
    observed = _ordered_unique(indicators + [n for n in names if n not in latent])
    y = {s.lhs for s in statements if s.op == "~"}
    x = {s.rhs for s in statements if s.op == "~"}
    ind = {s.rhs for s in statements if s.op in ("=~", "<~")}
    exo = [v for v in observed if v in x and v not in y and v not in ind] if fixed_x else []
    return Variables(observed, latent, exo)


def _pick(values, g):
    if values is None:
        return None
    if len(values) == 1:
        return values[0]
    return values[g]


def build(model: str | list[Statement], *, n_groups: int = 1, meanstructure: bool = False,
          std_lv: bool = False, fixed_x: bool = True, group_equal=(),
          auto_cov_y: bool = True) -> tuple[pd.DataFrame, Variables, list[Statement]]:
    """Build lavaan's parameter table for ``model``.

    Returns
    -------
    table : DataFrame
        Columns ``lhs op rhs group free value label pid user exo``; ``pid`` numbers the
        free parameters 0..q-1 (rows sharing an equality constraint share a pid, -1 if
        fixed); ``value`` is the fixed value (NaN where free or taken from the data).
    variables : Variables
    defined : list of Statement
        The ``:=`` statements, evaluated after the fit.
    """
    statements = parse(model) if isinstance(model, str) else model
    bad = [s for s in statements if s.op == "=="]
    if bad:
        raise ModelSyntaxError(f"line {bad[0].line}: equality constraints with '==' are not supported; "
                               "give both parameters the same label instead")
    if any(s.op == "<~" for s in statements):
        raise ModelSyntaxError("'<~' (composite) constructs are estimated by PLS: use cxmodels.sem.fit_pls")
    unknown_group_equal = set(group_equal) - set(GROUP_EQUAL)
    if unknown_group_equal:
        raise InputError(f"group_equal has unknown keywords {sorted(unknown_group_equal)}; "
                         f"use any of {sorted(GROUP_EQUAL)}")
    defined = [s for s in statements if s.op == ":="]
    rel = [s for s in statements if s.op != ":="]
    v = classify(rel, fixed_x)
    observed, exo = v.observed, set(v.exogenous_x)
    for lv in v.latent:
        if not any(s.op == "=~" and s.lhs == lv for s in rel):
            raise ModelSyntaxError(f"latent variable {lv!r} has no indicators")

    y = {s.lhs for s in rel if s.op == "~"}
    x = {s.rhs for s in rel if s.op == "~"}
    ind = {s.rhs for s in rel if s.op == "=~"}
    lv_x = [f for f in v.latent if f not in y and f not in ind]
    pure_y = [n for n in v.all if n in y and n not in x and n not in exo]
    free_x = [] if fixed_x else classify(rel, True).exogenous_x

    rows: list[dict] = []
    for g in range(n_groups):
        seen_first: set[str] = set()
        user_keys = set()
        for s in rel:
            key = (s.lhs, s.op, s.rhs) if s.op != "~~" else (min(s.lhs, s.rhs), "~~", max(s.lhs, s.rhs))
            fixed = _pick(s.modifier.fixed, g)
            label = _pick(s.modifier.label, g)
            start = _pick(s.modifier.start, g)
            has_fixed_mod = s.modifier.fixed is not None
            free = True
            value = float("nan")
            if has_fixed_mod and fixed is not None:
                free, value = False, fixed
            if s.op == "=~" and s.lhs not in seen_first:
                seen_first.add(s.lhs)
                if not std_lv and not has_fixed_mod:
                    free, value = False, 1.0
            if key in user_keys:
                raise ModelSyntaxError(f"line {s.line}: {s.lhs} {s.op} {s.rhs} is specified twice")
            user_keys.add(key)
            rows.append(dict(lhs=s.lhs, op=s.op, rhs=s.rhs, group=g, free=free, value=value,
                             label=label or "", start=start, user=True, exo=False))
        have = {(r["lhs"], r["op"], r["rhs"]) for r in rows if r["group"] == g}
        have |= {(r["rhs"], r["op"], r["lhs"]) for r in rows if r["group"] == g and r["op"] == "~~"}

        def add(lhs, op, rhs, free=True, value=float("nan"), exo_=False):
            if (lhs, op, rhs) in have or (op == "~~" and (rhs, op, lhs) in have):
                return
            have.add((lhs, op, rhs))
            rows.append(dict(lhs=lhs, op=op, rhs=rhs, group=g, free=free, value=value, label="",
                             start=None, user=False, exo=exo_))

        for o in observed:
            if o in exo:
                continue
            add(o, "~~", o)
        for f in v.latent:
            if std_lv:
                add(f, "~~", f, free=False, value=1.0)
            else:
                add(f, "~~", f)
        xs = [o for o in observed if o in exo]
        for a in xs:
            add(a, "~~", a, free=False, exo_=True)
        for a, b in combinations(xs, 2):
            add(a, "~~", b, free=False, exo_=True)
        for a, b in combinations(free_x, 2):
            add(a, "~~", b)  # fixed.x=FALSE: observed covariates covary freely, as lavaan
        for a, b in combinations(lv_x, 2):
            add(a, "~~", b)
        if auto_cov_y:
            for a, b in combinations(pure_y, 2):
                add(a, "~~", b)
        if meanstructure:
            for o in observed:
                if o in exo:
                    add(o, "~1", "", free=False, exo_=True)
                else:
                    add(o, "~1", "")
            free_means = g > 0 and "intercepts" in group_equal and "means" not in group_equal
            for f in v.latent:
                if free_means:
                    add(f, "~1", "")
                else:
                    add(f, "~1", "", free=False, value=0.0)

    table = pd.DataFrame(rows)
    if not meanstructure and (table["op"] == "~1").any():
        raise ModelSyntaxError("intercepts ('~ 1') need a mean structure: pass meanstructure=True")
    table["pid"] = _number_free(table, v, group_equal)
    return table, v, defined


def _number_free(table: pd.DataFrame, v: Variables, group_equal) -> list[int]:
    """Give free rows a parameter id; equal labels and group_equal share one id."""
    pid: list[int] = []
    keys: dict = {}
    for r in table.to_dict("records"):
        if not r["free"]:
            pid.append(-1)
            continue
        if r["label"]:
            key = ("label", r["label"])
        elif any(GROUP_EQUAL[k](r, v) for k in group_equal):
            key = ("equal", r["lhs"], r["op"], r["rhs"])
        else:
            key = ("row", len(pid))
        if key not in keys:
            keys[key] = len(keys)
        pid.append(keys[key])
    return pid
