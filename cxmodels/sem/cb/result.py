"""``SEMResult``: one parameter table from which estimates, standardized solutions,
fit indices, modification indices, bootstrap intervals and reports are read."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats

from ..._numerics import jacobian
from ..._stats import wald
from ...errors import (ConvergenceWarning, EstimationError, ImproperSolutionWarning, InputError)
from ...provenance import make_provenance
from .. import references as R
from ..expressions import compile_expression
from . import fit_indices as fi
from .base import SEMBase
from .estimate import weighted_moments
from .core import (Core, _saturated_moments, baseline_table, fit_core, observed_information,
                    robust_pieces, saturated_table, structured_h1_information)

def _compile_defined(defined, labels: set[str]):
    """``[(name, Expression, text)]`` for the ``:=`` lines, in order; each may use the
    model's labels and the defined parameters of earlier lines (never ``eval``: see
    :mod:`cxmodels.sem.expressions`)."""
    out, known = [], set(labels)
    for s in defined:
        expr = compile_expression(s.rhs, f"{s.lhs} := {s.rhs}", known, lineno=s.line)
        out.append((s.lhs, expr, s.rhs))
        known.add(s.lhs)
    return out


class SEMResult(SEMBase):
    """A fitted covariance-based SEM (see :func:`cxmodels.sem.fit_sem`).

    Attributes
    ----------
    admissible : bool
        False when the solution is improper (negative variances, non-positive-definite
        covariance matrices, standardized coefficients beyond 1) or did not converge.
    converged : bool
    nobs : int
    """

    def __init__(self, core: Core, model_syntax: str, defined, data: pd.DataFrame, options: dict,
                 group_labels, df: int, notes: list[str]):
        self._core = core
        self.model_syntax = model_syntax
        self.options = dict(options)
        self.group_labels = list(group_labels)
        self.df = df
        self.nobs = core.N
        self._warnings = list(notes)
        if not core.converged:
            self._flag(f"the optimizer did not converge ({core.message}); estimates are unreliable",
                       ConvergenceWarning)
        t = core.table
        self._labels = {}
        for r in t.itertuples():
            if r.label and r.label not in self._labels:
                self._labels[r.label] = ("pid", r.pid) if r.pid >= 0 else ("value", r.value)
        self._defined = _compile_defined(defined, set(self._labels))
        self._provenance = make_provenance("cxmodels.sem.fit_sem", data, {"model": model_syntax, **options})
        self._references = self._works()
        self._vcov = self._compute_vcov()
        self._table = self._build_table()
        self._check_admissible()

    # ------------------------------------------------------------ inference
    def _compute_vcov(self) -> np.ndarray:
        core, N = self._core, self._core.N
        if self._observed_information:
            A = observed_information(core)
        else:
            A = core.info()
        try:
            Ainv = np.linalg.inv(A)
            ev = np.linalg.eigvalsh(A)
            if ev.min() <= 1e-10 * ev.max():
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            self._warn("the information matrix is singular: the model may not be identified; "
                       "standard errors are not available", ImproperSolutionWarning)
            return np.full(A.shape, np.nan)
        if self._robust:
            _, B = robust_pieces(core, observed=False)
            return Ainv @ B @ Ainv / N
        return Ainv / N

    @property
    def _robust(self) -> bool:
        """Sandwich standard errors and a scaled test: MLR, and (as lavaan) any fit with
        sampling weights or clusters."""
        o = self.options
        return o["estimator"] == "MLR" or o.get("sampling_weights") is not None or o.get("cluster") is not None

    @property
    def _observed_information(self) -> bool:
        """The bread of the sandwich (and the ML information): observed under FIML, MLR and
        with clusters (lavaan's ``information = "observed"``), expected otherwise; lavaan
        turns ML with sampling weights into MLR."""
        o = self.options
        return (o["missing"] == "fiml" or o["estimator"] == "MLR" or o.get("sampling_weights") is not None
                or o.get("cluster") is not None)

    def _require_rows(self, what: str) -> None:
        """Refuse ``what`` on a fit to sample statistics (it needs the rows)."""
        if self._core.data[0].Y is None:
            raise InputError(f"{what} needs the raw rows, but this model was fitted to sample statistics "
                             "(sample_cov=...); fit it to the data instead")

    def _warn(self, msg, category=ImproperSolutionWarning):
        self._flag(msg, category)

    @property
    def references(self) -> tuple:
        """The works :meth:`methods_text` cites: the model's, plus the bootstrap's once
        :meth:`bootstrap` or :meth:`indirect_effects` has run (read from the provenance)."""
        out = list(self._references)
        kinds = {s["step"] for s in self._provenance.steps}
        if kinds:
            out.append(R.EFRON_TIBSHIRANI)
        if "indirect_effects bootstrap" in kinds:
            out += [R.BOLLEN_1987, R.PREACHER_HAYES]
        return tuple(out)

    def _bootstrap_text(self) -> str:
        out = []
        for s in self._provenance.steps:
            kind = "bias-corrected" if s.get("interval") == "bc" else "percentile"
            if s["step"] == "indirect_effects bootstrap":
                out.append(f"Direct, indirect and total effects were read from the regression matrix as in "
                           f"{R.BOLLEN_1987.cite}, with {s['level']:.0%} {kind} intervals from {s['n_boot']} "
                           f"nonparametric bootstrap replicates (seed {s['seed']}), as recommended by "
                           f"{R.PREACHER_HAYES.cite} and described by {R.EFRON_TIBSHIRANI.cite}.")
            elif s["step"] == "bootstrap":
                out.append(f"Bootstrap standard errors and {s['level']:.0%} {kind} intervals came from "
                           f"{s['n_boot']} nonparametric replicates (seed {s['seed']}; "
                           f"{R.EFRON_TIBSHIRANI.cite}).")
        return " ".join(dict.fromkeys(out))

    def _works(self) -> tuple:
        o = self.options
        out = [R.ROSSEEL, R.BOLLEN, R.HU_BENTLER]
        if o["estimator"] == "MLR":
            out.append(R.YUAN_BENTLER)
        if o["missing"] == "fiml":
            out.append(R.ARBUCKLE)
        if self._robust and o["estimator"] != "MLR":
            out.append(R.YUAN_BENTLER)
        if o.get("sampling_weights") is not None:
            out.append(R.ASPAROUHOV_2005)
        if o.get("cluster") is not None:
            out.append(R.MUTHEN_SATORRA_1995)
        return tuple(out)

    def _row_values(self, theta: np.ndarray) -> np.ndarray:
        """Value of every parameter-table row at ``theta`` (fixed rows: their fixed value)."""
        t, model = self._core.table, self._core.model
        out = np.empty(len(t))
        for k, r in enumerate(t.itertuples()):
            if r.pid >= 0:
                out[k] = theta[r.pid]
            elif r.exo:
                gm, i = model.groups[r.group], model.index[r.lhs]
                out[k] = gm.m0[i] if r.op == "~1" else gm.S0[i, model.index[r.rhs]]
            else:
                out[k] = r.value
        return out

    def _defined_values(self, theta: np.ndarray, row_values=None) -> np.ndarray:
        env = {}
        t = self._core.table
        if row_values is None:
            for lab, (kind, x) in self._labels.items():
                env[lab] = theta[x] if kind == "pid" else x
        else:  # standardized values by label
            for lab in self._labels:
                k = int(np.flatnonzero((t["label"] == lab).to_numpy())[0])
                env[lab] = row_values[k]
        out = []
        for name, expr, _ in self._defined:
            env[name] = expr.evaluate(env)
            out.append(env[name])
        return np.asarray(out, dtype=float)

    def _standardized(self, theta: np.ndarray, kind: str) -> np.ndarray:
        """Standardized value of every row (``kind`` "std_all" or "std_lv"), then defined."""
        core = self._core
        model, t = core.model, core.table
        vals = self._row_values(theta)
        out = np.full(len(t), np.nan)
        latent = set(model.variables.latent)
        per_group = {}
        for g in range(model.n_groups):
            A, S, m = model.matrices(theta, g)
            S = S + 0  # fixed.x entries already in S0
            B = np.linalg.inv(np.eye(model.n) - A)
            var = np.diag(B @ S @ B.T)
            with np.errstate(invalid="ignore"):
                sd = np.sqrt(var)
            if kind == "std_lv":
                sd = np.where([n in latent for n in model.names], sd, 1.0)
            per_group[g] = (sd, np.diag(S))
        idx = model.index
        for k, r in enumerate(t.itertuples()):
            sd, resid = per_group[r.group]
            est = vals[k]
            if r.op == "=~":
                out[k] = est * sd[idx[r.lhs]] / sd[idx[r.rhs]]
            elif r.op == "~":
                out[k] = est * sd[idx[r.rhs]] / sd[idx[r.lhs]]
            elif r.op == "~1":
                out[k] = est / sd[idx[r.lhs]]
            elif r.op == "~~":
                i, j = idx[r.lhs], idx[r.rhs]
                if i == j:
                    out[k] = est / sd[i] ** 2
                elif kind == "std_lv" and not (r.lhs in latent and r.rhs in latent):
                    out[k] = est
                else:
                    with np.errstate(invalid="ignore", divide="ignore"):
                        out[k] = est / np.sqrt(resid[i] * resid[j])
        return np.concatenate([out, self._defined_values(theta, out)])

    def _build_table(self) -> pd.DataFrame:
        core, theta, cov = self._core, self._core.theta, self._vcov
        t = core.table
        est = np.concatenate([self._row_values(theta), self._defined_values(theta)])
        se_free = np.sqrt(np.clip(np.diag(cov), 0, None))
        se = np.array([se_free[p] if p >= 0 else 0.0 for p in t["pid"]], dtype=float)
        if self._defined:
            J = jacobian(self._defined_values, theta)
            se = np.concatenate([se, np.sqrt(np.clip(np.diag(J @ cov @ J.T), 0, None))])
        out = pd.DataFrame({
            "lhs": list(t["lhs"]) + [d[0] for d in self._defined],
            "op": list(t["op"]) + [":="] * len(self._defined),
            "rhs": list(t["rhs"]) + [d[2] for d in self._defined],
            "group": [self.group_labels[g] for g in t["group"]] + [None] * len(self._defined),
            "label": list(t["label"]) + [d[0] for d in self._defined],
            "free": list(t["pid"] >= 0) + [False] * len(self._defined),
            "est": est, "se": se,
        })
        fixed = ~out["free"] & (out["op"] != ":=")
        out.loc[fixed, "se"] = 0.0
        for k, v in wald(out["est"], out["se"], self.options["level"]).items():
            out[k] = v
        out["std_lv"] = self._standardized(theta, "std_lv")
        out["std_all"] = self._standardized(theta, "std_all")
        if core.model.n_groups == 1:
            out = out.drop(columns="group")
        out.loc[fixed, ["z", "pvalue"]] = np.nan
        return out

    # ------------------------------------------------------------ admissibility
    def _check_admissible(self) -> None:
        core = self._core
        problems = []
        model = core.model
        for g in range(model.n_groups):
            gname = f" in group {self.group_labels[g]}" if model.n_groups > 1 else ""
            A, S, m = model.matrices(core.theta, g)
            for i, name in enumerate(model.names):
                if S[i, i] < 0:
                    problems.append(f"negative variance estimate for {name}{gname} ({S[i, i]:.4g}): "
                                    "a Heywood case")
            for block, names in (("latent", model.variables.latent), ("residual", model.variables.observed)):
                ii = [model.index[n] for n in names]
                if len(ii) > 1:
                    sub = S[np.ix_(ii, ii)]
                    if np.any(sub[~np.eye(len(ii), dtype=bool)] != 0) and np.linalg.eigvalsh(sub).min() < 0:
                        problems.append(f"the {block} covariance matrix{gname} is not positive definite")
            Sigma, _ = model.implied(core.theta, g)
            if np.linalg.eigvalsh(Sigma).min() <= 0:
                problems.append(f"the model-implied covariance matrix{gname} is not positive definite")
        tab = self._table
        big = tab[tab["op"].isin(["=~", "~"]) & (tab["std_all"].abs() > 1)]
        for r in big.itertuples():
            problems.append(f"standardized coefficient {r.lhs} {r.op} {r.rhs} = {r.std_all:.3f} exceeds 1 "
                            "in magnitude")
        for p in problems:
            self._warn(p)
        self._admissible = self._admissible and not problems and self.converged

    # ------------------------------------------------------------ reports
    def vcov(self) -> pd.DataFrame:
        """Covariance matrix of the free parameters."""
        t = self._core.table
        first = t[t["pid"] >= 0].drop_duplicates("pid").sort_values("pid")
        multi = self._core.model.n_groups > 1
        names = [f"{r.lhs}{r.op}{r.rhs}" + (f"@{self.group_labels[r.group]}" if multi else "")
                 for r in first.itertuples()]
        return pd.DataFrame(self._vcov, index=names, columns=names)

    def standardized_solution(self) -> pd.DataFrame:
        """lavaan's ``standardizedSolution`` (std.all) with delta-method standard errors."""
        theta = self._core.theta
        est = self._standardized(theta, "std_all")
        J = jacobian(lambda th: self._standardized(th, "std_all"), theta)
        se = np.sqrt(np.clip(np.diag(J @ self._vcov @ J.T), 0, None))
        out = self._table[[c for c in ("lhs", "op", "rhs", "group") if c in self._table]].copy()
        out["est_std"] = est
        out["se"] = se
        for k, v in wald(est, se, self.options["level"]).items():
            out[k] = v
        return out

    @cached_property
    def _sat(self):
        return _saturated_moments(self._core)

    def _fit_other(self, make_table) -> Core:
        """Fit another model (baseline, saturated) to this result's data."""
        core = self._core
        t = make_table(core.variables, core.model.n_groups, core.model.meanstructure)
        if core.data[0].Y is None:  # sample statistics only
            moments = [(gd.blocks[0].S, gd.blocks[0].ybar, gd.blocks[0].n) for gd in core.data]
            return fit_core(t, core.variables, None, fiml=False, meanstructure=core.model.meanstructure,
                            moments=moments)
        weights = [gd.wt for gd in core.data] if core.data[0].wt is not None else None
        clusters = [gd.cluster for gd in core.data] if core.data[0].cluster is not None else None
        return fit_core(t, core.variables, [gd.Y for gd in core.data], fiml=self.options["missing"] == "fiml",
                        meanstructure=core.model.meanstructure, weights=weights, clusters=clusters)

    @cached_property
    def _baseline(self) -> Core:
        return self._fit_other(baseline_table)

    @cached_property
    def _saturated_core(self) -> Core:
        return self._fit_other(saturated_table)

    def _scaling(self, core: Core, df: int) -> float:
        """Yuan-Bentler scaling factor ``[tr(A1^-1 B1) - tr(A0^-1 B0)] / df``: the trace of
        ``U Gamma`` written with the unrestricted (1) and fitted (0) models' information
        ``A`` (observed) and score cross-products ``B`` (lavaan's ``yuan.bentler.mplus``).

        lavaan's ML with clusters (and no weights) takes the fitted model's ``A0`` from the
        unrestricted model's observed information at the model-implied moments,
        ``Delta' H1(Sigma(theta)) Delta`` (its ``observed.information = "h1"`` for tests);
        MLR and weighted fits take the Hessian of ``F``."""
        o = self.options
        A1, B1 = robust_pieces(self._saturated_core, observed=True)
        if o["estimator"] == "ML" and o.get("sampling_weights") is None and o.get("cluster") is not None:
            A0 = structured_h1_information(core, self._saturated_core)
            B0 = robust_pieces(core, observed=False)[1]
        else:
            A0, B0 = robust_pieces(core, observed=True)
        tr = np.trace(np.linalg.solve(A1, B1)) - np.trace(np.linalg.solve(A0, B0))
        return float(tr / df)

    def fit_indices(self) -> fi.FitIndices:
        """Fit indices on lavaan's scale (names as lavaan's ``fitMeasures``).

        See :mod:`cxmodels.sem.cb.fit_indices` for the definitions.  Returns a float
        Series (:class:`~cxmodels.sem.cb.fit_indices.FitIndices`) that prints counts as
        integers and indices without scientific notation.

        Raises
        ------
        EstimationError
            When the baseline or saturated model, or the scaling correction, cannot be
            computed on this data (e.g. a singular information matrix).
        """
        if "_fit_indices_cache" not in self.__dict__:
            try:
                self.__dict__["_fit_indices_cache"] = self._fit_indices()
            except (np.linalg.LinAlgError, FloatingPointError, ValueError, ZeroDivisionError) as exc:
                raise EstimationError(
                    f"the fit indices cannot be computed for this fit ({type(exc).__name__}: {exc}); "
                    "the sample or model-implied covariance matrix is probably singular (collinear items "
                    f"or too few rows per group); see .warnings: {self.warnings}") from None
        return self.__dict__["_fit_indices_cache"].copy()

    def _fit_indices(self) -> fi.FitIndices:
        core, N, G, df = self._core, self._core.N, self._core.model.n_groups, self.df
        fiml = self.options["missing"] == "fiml"
        F_sat = core.disc.saturated_value(self._sat if fiml else None)
        T = max(N * (core.fmin - F_sat), 0.0)
        base = self._baseline
        dfb = G * (len(core.variables.observed) * (len(core.variables.observed) - 1) // 2
                   - len(core.variables.exogenous_x) * (len(core.variables.exogenous_x) - 1) // 2)
        Tb = N * (base.fmin - F_sat)
        q = core.model.n_free
        # With fixed.x the covariates' own likelihood is not part of the model (lavaan
        # reports the log-likelihood conditional on them).
        logl_x = self._logl_exogenous()
        logl, logl_h1 = -N / 2 * core.fmin - logl_x, -N / 2 * F_sat - logl_x
        out = {
            "npar": q, "nobs": N, "fmin": (core.fmin - F_sat) / 2,
            "chisq": T, "df": df, "pvalue": float(stats.chi2.sf(T, df)) if df > 0 else np.nan,
            "baseline_chisq": Tb, "baseline_df": dfb, "baseline_pvalue": float(stats.chi2.sf(Tb, dfb)),
            "cfi": fi.cfi(T, df, Tb, dfb), "tli": fi.tli(T, df, Tb, dfb),
            "logl": logl, "unrestricted_logl": logl_h1,
            "aic": -2 * logl + 2 * q, "bic": -2 * logl + q * np.log(N),
            "bic2": -2 * logl + q * np.log((N + 2) / 24),
            "rmsea": fi.rmsea(T, df, N, G),
        }
        out["rmsea_ci_lower"], out["rmsea_ci_upper"] = fi.rmsea_ci(T, df, N, G)
        out["rmsea_pvalue"] = fi.rmsea_pvalue(T, df, N, G)
        out["srmr"] = self._srmr()
        if self._robust and df > 0:
            c = self._scaling(core, df)
            cb = self._scaling(base, dfb)
            Ts, Tbs = T / c, Tb / cb
            out.update({"chisq_scaled": Ts, "df_scaled": df, "pvalue_scaled": float(stats.chi2.sf(Ts, df)),
                        "chisq_scaling_factor": c, "baseline_chisq_scaled": Tbs,
                        "baseline_chisq_scaling_factor": cb,
                        "cfi_scaled": fi.cfi(Ts, df, Tbs, dfb), "tli_scaled": fi.tli(Ts, df, Tbs, dfb),
                        "rmsea_scaled": fi.rmsea(Ts, df, N, G)})
            if self.options["missing"] != "fiml":  # lavaan uses a different correction under FIML
                out.update(fi.robust_indices(T, df, c, Tb, dfb, cb, N, G))
        return fi.FitIndices(out, name="value", dtype=float)

    def _logl_exogenous(self) -> float:
        """Normal log-likelihood of the fixed exogenous covariates at their sample moments."""
        core, total = self._core, 0.0
        xi = [core.variables.observed.index(x) for x in core.variables.exogenous_x]
        if not xi:
            return 0.0
        for gd in core.data:
            b = gd.blocks[0]
            if gd.Y is None or len(gd.blocks) == 1:  # complete data: the (weighted) block moments
                Sx, n = b.S[np.ix_(xi, xi)], b.weight * core.N
            else:
                X = gd.Y[:, xi]
                Sx = weighted_moments(X, gd.wt)[0]
                n = len(X) if gd.wt is None else float(gd.wt.sum())
            total += -n / 2 * (len(xi) * np.log(2 * np.pi) + np.linalg.slogdet(Sx)[1] + len(xi))
        return total

    def _srmr(self) -> float:
        core = self._core
        total = 0.0
        for g, gd in enumerate(core.data):
            S, ybar = self._sat[g]
            Sigma, mu = core.model.implied(core.theta, g)
            w = sum(b.weight for b in gd.blocks)  # the group's share of rows (or of the weights)
            total += w * fi.srmr_group(S, ybar, Sigma, mu, core.model.meanstructure)
        return total

    def _group_index(self, group) -> int:
        """Position of the group labelled ``group`` (None: the first group)."""
        if group is None:
            return 0
        if group not in self.group_labels:
            raise InputError(f"group {group!r} is not one of the fitted groups {self.group_labels}")
        return self.group_labels.index(group)

    def residual_correlations(self, group=None) -> pd.DataFrame:
        """Observed minus model-implied correlations (lavaan ``residuals(type="cor")``) in the
        group labelled ``group`` (default: the first)."""
        group = self._group_index(group)
        S, _ = self._sat[group]
        Sigma, _ = self._core.model.implied(self._core.theta, group)
        cor = lambda M: M / np.sqrt(np.outer(np.diag(M), np.diag(M)))
        names = self._core.variables.observed
        return pd.DataFrame(cor(S) - cor(Sigma), index=names, columns=names)

    def _blocks(self) -> dict[str, list[str]]:
        t = self._table
        out: dict[str, list[str]] = {}
        obs = set(self._core.variables.observed)
        for r in t[(t["op"] == "=~") & t["rhs"].isin(obs)].itertuples():
            if "group" not in t or r.group == self.group_labels[0]:
                out.setdefault(r.lhs, []).append(r.rhs)
        return out

    def _item_frame(self) -> pd.DataFrame:
        self._require_rows("reliability and HTMT")
        gd = self._core.data[0]
        return pd.DataFrame(gd.Y, columns=self._core.variables.observed).dropna()

    def reliability(self) -> pd.DataFrame:
        """alpha, rho_c, ave and rho_a of each factor (first group), from the standardized
        loadings; rho_A uses regression factor-score weights ``R^{-1} lambda``.
        See :mod:`cxmodels.sem.measurement.reliability` for the formulas."""
        from ..measurement import reliability as rel
        t = self._table
        blocks = self._blocks()
        items = self._item_frame()
        loads, weights = {}, {}
        for f, xs in blocks.items():
            sel = t[(t["op"] == "=~") & (t["lhs"] == f) & t["rhs"].isin(xs)]
            if "group" in t:
                sel = sel[sel["group"] == self.group_labels[0]]
            l = sel.set_index("rhs").loc[xs, "std_all"].to_numpy()
            loads[f] = l
            weights[f] = np.linalg.solve(items[xs].corr().to_numpy(), l) if len(xs) > 1 else l
        with np.errstate(invalid="ignore", divide="ignore"):  # NaN in a degenerate (flagged) fit
            return rel.reliability_table(items, blocks, loads, weights)

    def htmt(self) -> pd.DataFrame:
        """Heterotrait-monotrait ratios between the factors (Henseler et al. 2015)."""
        from ..measurement import reliability as rel
        return rel.htmt(self._item_frame(), self._blocks())

    def modification_indices(self, sort: bool = True, minimum: float = 0.0) -> pd.DataFrame:
        """Score tests for fixed-at-zero loadings and (residual) covariances.

        ``mi = N * s^2 / v`` and ``epc = s / v`` (Saris, Satorra & Sorbom 1987), with ``s``
        the score of the added parameter and ``v`` its information conditional on the
        free parameters (expected information, as lavaan's ``modindices``).
        """
        from .modindices import modification_indices
        # In a degenerate fit (flagged) some score variances are negative: NaN, not a warning.
        with np.errstate(invalid="ignore", divide="ignore"):
            return modification_indices(self, sort=sort, minimum=minimum)

    def bootstrap(self, n_boot: int = 1000, *, seed=None, progress=None):
        """Nonparametric bootstrap of every parameter (see :mod:`cxmodels.sem.cb.bootstrap`).

        Returns a :class:`~cxmodels.sem.cb.bootstrap.BootstrapResult` whose provenance holds
        the seed; this result's provenance records the step too.  ``seed=None`` draws a seed
        and records it, so every bootstrap can be re-run.
        """
        from .bootstrap import bootstrap
        self._require_bootstrappable()
        return bootstrap(self, n_boot=n_boot, seed=seed, progress=progress)

    def indirect_effects(self, n_boot: int = 1000, *, seed=None, interval: str = "percentile",
                         level: float | None = None, progress=None) -> pd.DataFrame:
        """Direct, indirect and total effects among the structural variables, plus every
        ``:=`` parameter, with bootstrap intervals.

        Indirect effects are read from ``(I - B)^{-1} - I - B`` over the regression
        matrix ``B`` (Bollen 1987, Sociological Methodology 17, 37-69); their intervals are
        bootstrap intervals (Preacher & Hayes 2008).

        Parameters
        ----------
        n_boot : int
            Bootstrap replicates; ``0`` gives the point estimates only (no intervals).
        seed : int, Generator or None
            Recorded in this result's provenance (a drawn seed when None).
        interval : {"percentile", "bc"}
            Percentile or bias-corrected interval (Efron & Tibshirani 1993, ch. 13-14).
        level : float, optional
            Interval level; defaults to the fit's ``level``.
        progress : bool or None
            Progress bar (None: on for a terminal only).
        """
        from .bootstrap import effects_table
        if n_boot:
            self._require_bootstrappable()
        return effects_table(self, n_boot=n_boot, seed=seed, interval=interval,
                             level=self.options["level"] if level is None else level, progress=progress)

    def _require_bootstrappable(self) -> None:
        """The bootstrap resamples independent, equally weighted rows: refuse the designs it
        would misrepresent."""
        self._require_rows("the bootstrap")
        o = self.options
        if o.get("sampling_weights") is not None or o.get("cluster") is not None:
            raise InputError("the bootstrap resamples rows as independent and equally weighted; with "
                             "sampling_weights or cluster it would misstate the design: use the robust "
                             "(sandwich) standard errors of this fit, or n_boot=0 for point estimates")

    # ------------------------------------------------------------ variables and moments
    @property
    def observed(self) -> list[str]:
        """The model's observed variables, in the order of its matrices."""
        return list(self._core.variables.observed)

    @property
    def latent(self) -> list[str]:
        """The model's latent variables."""
        return list(self._core.variables.latent)

    def latent_covariance(self, group=None) -> pd.DataFrame:
        """Model-implied covariance matrix of the latent variables (lavaan's
        ``lavInspect(fit, "cov.lv")``): ``(I - B)^{-1} Psi (I - B)^{-T}`` over the latent block,
        in the group labelled ``group`` (default: the first)."""
        group = self._group_index(group)
        core = self._core
        full, _ = core.model.implied(core.theta, group, full=True)
        p = len(core.variables.observed)
        lat = core.variables.latent
        return pd.DataFrame(full[p:, p:], index=lat, columns=lat)

    # ------------------------------------------------------------ factor scores
    def _latent_moments(self, data: pd.DataFrame | None):
        """Items, their model-implied mean, and the joint implied moments (single group)."""
        if self.group_labels is not None and len(self.group_labels) > 1:
            raise NotImplementedError("factor scores are available for single-group models")
        core, v = self._core, self._core.variables
        if data is None:
            self._require_rows("factor scores of the fitted rows (data=None)")
            Y = core.data[0].Y
        else:
            missing = [c for c in v.observed if c not in data.columns]
            if missing:
                raise InputError(f"data lacks the model's observed variable(s) {missing}")
            Y = data[v.observed].to_numpy(float)
        full_cov, full_mu = core.model.implied(core.theta, 0, full=True)
        p = len(v.observed)
        # without a mean structure the mean is the (weighted) sample mean the fit used
        gd = core.data[0]
        mu = (full_mu[:p] if core.model.meanstructure
              else gd.blocks[0].ybar if len(gd.blocks) == 1 else np.nanmean(gd.Y, axis=0))
        return Y, mu, full_cov, p

    def latent_posterior(self, data: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Conditional mean and covariance of the latent variables given each row's items.

        Under the fitted model, latent variables and items are jointly normal, so
        ``eta | y ~ N(Phi Lambda' Sigma^{-1} (y - mu), Phi - Phi Lambda' Sigma^{-1} Lambda Phi)``
        with ``Phi Lambda' = Cov(eta, y)`` read from the model-implied moments of all
        variables. The mean is the regression factor score; the covariance (the same for
        every complete row) is what plugging the scores in as exact values ignores.

        Returns
        -------
        (means, cov) : DataFrame (one row per data row, NaN where an item is missing),
            DataFrame (latent x latent)
        """
        Y, mu, C, p = self._latent_moments(data)
        lat = self._core.variables.latent
        S, K, Phi = C[:p, :p], C[p:, :p], C[p:, p:]
        W = np.linalg.solve(S, K.T).T  # K S^{-1}
        means = (Y - mu) @ W.T
        cov = Phi - W @ K.T
        index = data.index if data is not None else None
        return (pd.DataFrame(means, columns=lat, index=index),
                pd.DataFrame((cov + cov.T) / 2, index=lat, columns=lat))

    def factor_scores(self, data: pd.DataFrame | None = None, method: str = "regression") -> pd.DataFrame:
        """Factor scores of the latent variables (lavaan's ``lavPredict``).

        Parameters
        ----------
        data : DataFrame, optional
            New rows with the model's items; defaults to the fitted data (complete rows).
        method : {"regression", "bartlett"}
            ``"regression"`` (Thurstone): ``E[eta | y] = Phi Lambda' Sigma^{-1}(y - mu)``,
            shrunk toward the mean; use it for latent *predictors* (regression calibration,
            Skrondal & Laake 2001). ``"bartlett"``:
            ``(Lambda' Theta^{-1} Lambda)^{-1} Lambda' Theta^{-1} (y - mu)``, conditionally
            unbiased; use it for latent *outcomes* and group mean differences.
            Bartlett scores need every observed variable to be an indicator only.

        Notes
        -----
        Rows with a missing item get NaN. Either score used as an exact covariate ignores
        measurement error (see :meth:`latent_posterior` and :mod:`cxmodels.chain`).

        References
        ----------
        Skrondal, A., & Laake, P. (2001). Regression among factor scores. *Psychometrika*,
        66(4), 563-575.
        """
        if method == "regression":
            return self.latent_posterior(data)[0]
        if method != "bartlett":
            raise InputError(f"method must be 'regression' or 'bartlett', got {method!r}")
        Y, mu, _, p = self._latent_moments(data)
        core = self._core
        A, Smat, _ = core.model.matrices(core.theta, 0)
        if np.any(A[:p, :p] != 0) or np.any(A[p:, :p] != 0):
            raise NotImplementedError("Bartlett scores need every observed variable to be an indicator only")
        Lam, Theta = A[:p, p:], Smat[:p, :p]
        TL = np.linalg.solve(Theta, Lam)
        W = np.linalg.solve(Lam.T @ TL, TL.T)
        index = data.index if data is not None else None
        return pd.DataFrame((Y - mu) @ W.T, columns=core.variables.latent, index=index)

    def methods_text(self) -> str:
        o = self.options
        try:
            f = self.fit_indices()
        except EstimationError:
            f = None
        robust = (f"maximum likelihood with Huber-White robust standard errors and the scaled chi-square "
                  f"of {R.YUAN_BENTLER.cite}")
        est = robust if self._robust else "maximum likelihood"
        design = ""
        if o.get("sampling_weights") is not None:
            design += (f"Sampling weights ({o['sampling_weights']}), normalised to sum to the sample size, "
                       "weighted the sample moments and the casewise scores of the robust standard errors, "
                       f"as lavaan's sampling.weights ({R.ASPAROUHOV_2005.cite}). ")
        if o.get("cluster") is not None:
            n_cl = sum(int(gd.cluster.max()) + 1 for gd in self._core.data)
            design += (f"Standard errors and the test statistic were made robust to the clustering of "
                       f"observations in {n_cl} clusters ({o['cluster']}) by summing the casewise scores "
                       f"within clusters, as lavaan's cluster option ({R.MUTHEN_SATORRA_1995.cite}). ")
        if o.get("sample_statistics"):
            design += "The model was fitted to sample means and covariance matrices. "
        miss = (f"Missing values were handled by full-information maximum likelihood as in {R.ARBUCKLE.cite}. "
                if o["missing"] == "fiml" else "")
        grp = (f"The model was estimated in {len(self.group_labels)} groups ({o['group']})"
               + (f" with {', '.join(o['group_equal'])} constrained equal. " if o["group_equal"] else ". ")
               if o["group"] else "")
        text = (f"Following {R.BOLLEN.cite}, the structural equation model was estimated by {est} on "
                f"{self.nobs} observations with cxmodels {self._provenance.versions.get('cxmodels', '')}, whose "
                f"estimates are checked against lavaan, the R package of {R.ROSSEEL.cite}. " + miss + grp
                + design)
        boot = self._bootstrap_text()
        if f is None:
            return (text + "Fit indices could not be computed for this solution (see its warnings). " + boot).strip()
        chisq = f.get("chisq_scaled", f["chisq"])
        return text + (
            f"Model fit: chi-square({int(f['df'])}) = {chisq:.2f}, p = {f.get('pvalue_scaled', f['pvalue']):.3f}; "
            f"CFI = {f.get('cfi_scaled', f['cfi']):.3f}; TLI = {f.get('tli_scaled', f['tli']):.3f}; "
            f"RMSEA = {f.get('rmsea_scaled', f['rmsea']):.3f} (90% CI {f['rmsea_ci_lower']:.3f}-"
            f"{f['rmsea_ci_upper']:.3f}); SRMR = {f['srmr']:.3f}, judged against the cutoffs of "
            f"{R.HU_BENTLER.cite}." + (" " + boot if boot else "")
        )
