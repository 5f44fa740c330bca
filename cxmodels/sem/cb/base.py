"""The surface shared by every covariance-based SEM result (ML/MLR/FIML and ordinal WLSMV):
the lavaan-style parameter table, fit indices, the path diagram and a runnable lavaan script.

Both engines keep one tidy table (``lhs op rhs [group] label free est se z pvalue ci_lower
ci_upper std_lv std_all``); everything here reads it, so the two results cannot drift apart.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from ..._results import Result
from ...errors import InputError


def _r_string(text: str) -> str:
    """An R single-quoted string literal holding ``text``."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _r_vector(values) -> str:
    return "c(" + ", ".join(_r_string(str(v)) for v in values) + ")"


class SEMBase(Result):
    """What :class:`~cxmodels.sem.cb.result.SEMResult` and
    :class:`~cxmodels.sem.cb.ordinal.OrdinalSEMResult` share (see module docstring).

    Attributes
    ----------
    model_syntax : str
        The lavaan model as given.
    options : dict
        The estimation options (estimator, missing, group, ...).
    nobs : int
        Observations used.
    group_labels : list
        The group labels in lavaan's order (order of first appearance in the data);
        ``[None]`` for a single group.
    """

    model_syntax: str
    options: dict
    nobs: int
    group_labels: list

    # ------------------------------------------------------------------ tables
    def estimates(self, standardized: bool = True) -> pd.DataFrame:
        """lavaan's ``parameterEstimates``: lhs, op, rhs, (group: the group's label), label,
        free, est, se, z, pvalue, ci_lower, ci_upper and, with ``standardized``, std_lv and
        std_all (the Wald interval at the fit's ``level``)."""
        out = self._table.copy()
        if not standardized:
            out = out.drop(columns=["std_lv", "std_all"])
        return out

    def summary(self) -> pd.DataFrame:
        """The parameter table (:meth:`estimates`), a copy."""
        return self.estimates()

    @property
    def params(self) -> pd.Series:
        """Free-parameter (and ``:=``) estimates named ``"lhs op rhs"``; in a multigroup
        model every name ends in ``"@<group label>"``."""
        t = self._table
        keep = t[t["free"] | (t["op"] == ":=")]
        names = [f"{r.lhs} {r.op} {r.rhs}".strip() if r.op != ":=" else r.lhs for r in keep.itertuples()]
        if "group" in t:
            names = [n if op == ":=" else f"{n}@{g}" for n, g, op in zip(names, keep["group"], keep["op"])]
        return pd.Series(keep["est"].to_numpy(), index=names, name="est")

    def fit_indices(self):  # pragma: no cover - abstract
        """Fit indices on lavaan's scale, as a :class:`~cxmodels.sem.cb.fit_indices.FitIndices`."""
        raise NotImplementedError

    # ------------------------------------------------------------------ figure
    def plot(self, ax=None, *, standardized: bool = True, **kwargs):
        """Path diagram with (standardized) estimates and significance stars; returns the Axes.

        In a multigroup model the first group is drawn (filter :meth:`estimates` and call
        :func:`cxmodels.sem.diagram.path_diagram` for another).
        """
        from ..diagram.path import path_diagram
        return path_diagram(self.estimates(), standardized=standardized, ax=ax, **kwargs)

    # ------------------------------------------------------------------ lavaan
    def _lavaan_call(self) -> str:
        o = self.options
        args = ["model", "data = data"]
        if o.get("estimator") == "WLSMV":
            args += ['estimator = "WLSMV"', f"ordered = {_r_vector(o['ordered'])}"]
        else:
            args.append(f'estimator = "{o["estimator"]}"')
            args.append(f'missing = "{"ml" if o["missing"] == "fiml" else "listwise"}"')
            args.append(f"meanstructure = {'TRUE' if o.get('meanstructure') else 'FALSE'}")
            args.append(f"fixed.x = {'TRUE' if o.get('fixed_x', True) else 'FALSE'}")
        if o.get("sampling_weights"):
            args.append(f"sampling.weights = {_r_string(o['sampling_weights'])}")
        if o.get("cluster"):
            args.append(f"cluster = {_r_string(o['cluster'])}")
        if o.get("group"):
            args.append(f"group = {_r_string(o['group'])}")
            if o.get("group_equal"):
                args.append(f"group.equal = {_r_vector(o['group_equal'])}")
        if o.get("std_lv"):
            args.append("std.lv = TRUE")
        return "fit <- sem(" + ",\n           ".join(args) + ")"

    def to_lavaan(self, data_path: str = "data.csv") -> str:
        """R code that re-runs this analysis with lavaan, for a reviewer who works in R.

        The script reads ``data_path`` (write the data you fitted with
        ``data.to_csv(data_path, index=False)``), fits the same model string with the same
        estimator, missing-data, group, equality and ordinal options, prints
        ``parameterEstimates(fit, standardized = TRUE)`` and ``fitMeasures(fit)``, and lists
        cxmodels' numbers in comments to compare with.

        Parameters
        ----------
        data_path : str
            Path of the CSV file, as R should open it.

        Returns
        -------
        str
            The script (save it as ``analysis.R`` and run ``Rscript analysis.R``).

        References
        ----------
        Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal
        of Statistical Software*, 48(2), 1-36.
        """
        if not isinstance(data_path, str) or not data_path:
            raise InputError(f"data_path must be a non-empty string, got {data_path!r}")
        if self.options.get("sample_statistics"):
            raise InputError("to_lavaan writes a script that reads the rows; this model was fitted to "
                             "sample statistics (pass them to lavaan as sample.cov, sample.mean, sample.nobs)")
        est = self._table
        lines = [
            f"# Re-runs a cxmodels {self._provenance.method} analysis with lavaan (Rosseel, 2012).",
            f"# Written by cxmodels {self._provenance.versions.get('cxmodels', '')} on "
            f"{_dt.date.today().isoformat()}; data: {self.nobs} observations used, SHA-256 "
            f"{self._provenance.data.get('sha256', '')[:16]}... of the frame fitted.",
            "# Expected numbers from cxmodels are in the comments at the end.",
            "library(lavaan)",
            f"data <- read.csv({_r_string(data_path)}, check.names = FALSE)",
        ]
        if self.options.get("group"):
            # lavaan orders groups by first appearance, as cxmodels does; the labels are kept.
            lines.append(f"data[[{_r_string(self.options['group'])}]] <- "
                         f"as.character(data[[{_r_string(self.options['group'])}]])")
        lines += [f"model <- {_r_string(self.model_syntax)}", self._lavaan_call(),
                  "print(parameterEstimates(fit, standardized = TRUE))",
                  "print(fitMeasures(fit))", "",
                  "# ---- cxmodels' estimates (lhs op rhs [group]: est se std_all) ----"]
        for r in est.itertuples():
            g = f" [{r.group}]" if "group" in est and r.op != ":=" else ""
            lines.append(f"# {r.lhs} {r.op} {r.rhs}{g}: {r.est:.6f} {r.se:.6f} {r.std_all:.6f}")
        lines.append("# ---- cxmodels' fit measures ----")
        fit = self.fit_indices()
        for k, v in fit.items():
            lines.append(f"# {k}: {v:.6f}" if np.isfinite(v) else f"# {k}: NA")
        return "\n".join(lines) + "\n"
