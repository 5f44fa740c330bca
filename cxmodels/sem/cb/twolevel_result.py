"""``TwoLevelResult``: a fitted two-level SEM (see :func:`~cxmodels.sem.cb.twolevel.fit_sem_twolevel`).

Estimates, observed-information standard errors, the chi-square against the unrestricted
two-level model, CFI/TLI/RMSEA, SRMR per level (lavaan's ``srmr_within`` and
``srmr_between``, whose sum is ``srmr``) and the intraclass correlations of the items.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..._numerics import hessian_from_gradient, jacobian, safe_inverse
from ..._stats import wald
from ...errors import ConvergenceWarning, ImproperSolutionWarning, InputError
from ...provenance import make_provenance
from .. import references as R
from ..expressions import compile_expression
from . import fit_indices as fi
from .base import SEMBase

#: Works of the two-level model (to join ``cxmodels/sem/references.py``).
LEVEL_NAMES = {1: "within", 2: "between"}


class TwoLevelResult(SEMBase):
    """A fitted two-level SEM.

    Attributes
    ----------
    nobs : int
        Rows used.
    nclusters : int
        Clusters.
    df : int
        Degrees of freedom of the chi-square against the unrestricted two-level model.
    """

    def __init__(self, *, model_syntax, data, cd, ram, fit, h1_model, h1, base_fit, base_model, defined, df,
                 h1_npar, logl_x, options, notes, h1_free=None):
        self.model_syntax = model_syntax
        self.options = dict(options)
        self.group_labels = [None]
        self._cd, self._ram, self._fit = cd, ram, fit
        self._h1mats = h1_model.matrices(h1.theta)
        self._h1_f = h1.f
        self._base_f, self._base_q = base_fit.f, base_model.q
        self._base_model, self._base_theta = base_model, base_fit.theta
        self._h1_free = h1_free  # the unrestricted model without the fixed.x moments (for MLR)
        self.df, self._h1_npar, self._logl_x = df, h1_npar, logl_x
        self.nobs, self.nclusters = cd.N, cd.C
        self._warnings = list(notes)
        self._provenance = make_provenance("cxmodels.sem.fit_sem (two-level)", data,
                                           {"model": model_syntax, **options})
        self._references = (R.ROSSEEL, R.MCDONALD_GOLDSTEIN, R.MUTHEN_1994, R.BOLLEN, R.HU_BENTLER) + (
            (R.YUAN_BENTLER, R.ASPAROUHOV_MUTHEN_2005) if options.get("estimator") == "MLR" else ())
        if not fit.converged:
            self._flag(f"the optimizer did not converge ({fit.message}); estimates are unreliable",
                       ConvergenceWarning)
        if not base_fit.converged:
            self._flag("the baseline model did not converge: CFI and TLI are unreliable", ConvergenceWarning)
        t = ram.table
        self._labels = {}
        for r in t.itertuples():
            if r.label and r.label not in self._labels:
                self._labels[r.label] = ("pid", r.pid) if r.pid >= 0 else ("value", r.value)
        known, self._defined = set(self._labels), []
        for s in defined:
            self._defined.append((s.lhs, compile_expression(s.rhs, f"{s.lhs} := {s.rhs}", known, lineno=s.line)))
            known.add(s.lhs)
        self._vcov = self._compute_vcov()
        self._table = self._build_table()
        self._check_admissible()

    # ------------------------------------------------------------------ inference
    def _compute_vcov(self) -> np.ndarray:
        """Inverse of the observed information (the Hessian of ``-logL``), lavaan's default
        for two-level models (``information = "observed"``)."""
        theta = self._fit.theta
        grad = lambda th: (lambda out: out[1] if out[1] is not None else np.full(len(th), np.nan))(
            self._ram.value_grad(th))
        H = hessian_from_gradient(grad, theta, h=1e-6, relative=False) / 2
        cov, ok = safe_inverse(H)
        if not ok:
            self._flag("the information matrix is singular or not positive definite: the model may not be "
                       "identified; standard errors are not available", ImproperSolutionWarning)
        self._information = H
        if self._robust and ok:
            S = self._ram.scores(theta)
            self._meat = S.T @ S
            return cov @ self._meat @ cov
        return cov

    @property
    def _robust(self) -> bool:
        return self.options.get("estimator") == "MLR"

    @staticmethod
    def _trace(model, theta) -> float:
        """``tr(A^{-1} B)``: observed information ``A`` (Hessian of ``-logL``) and the outer
        product ``B`` of the clusterwise scores, of ``model`` at ``theta``."""
        grad = lambda th: (lambda out: out[1] if out[1] is not None else np.full(len(th), np.nan))(
            model.value_grad(th))
        A = hessian_from_gradient(grad, theta, h=1e-6, relative=False) / 2
        S = model.scores(theta)
        return float(np.trace(np.linalg.solve(A, S.T @ S)))

    def _scaling(self) -> tuple[float, float]:
        r"""Yuan-Bentler scaling factors of the model and the baseline as lavaan's MLR test
        (``yuan.bentler.mplus``): :math:`c = (\mathrm{tr}(A_1^{-1}B_1) - \mathrm{tr}(A_0^{-1}B_0))/df`,
        with ``A1``, ``B1`` of the unrestricted model at its estimates (the fixed.x moments
        left out) and ``A0``, ``B0`` of the fitted (or the baseline) model at its own
        (Asparouhov & Muthen 2005)."""
        h1 = self._h1_free
        t1 = self._trace(h1, h1.delta(*self._h1mats))
        t0 = float(np.trace(np.linalg.solve(self._information, self._meat)))
        tb = self._trace(self._base_model, self._base_theta)
        dfb = self._h1_npar - self._base_q
        c = (t1 - t0) / self.df if self.df > 0 else np.nan
        return c, (t1 - tb) / dfb

    def _defined_values(self, theta):
        env = {lab: (theta[x] if kind == "pid" else x) for lab, (kind, x) in self._labels.items()}
        out = []
        for name, expr in self._defined:
            env[name] = expr.evaluate(env)
            out.append(env[name])
        return np.asarray(out, dtype=float)

    def _standardized(self, theta) -> tuple[np.ndarray, np.ndarray]:
        """std_lv and std_all of every row, within each level's own variances."""
        t = self._ram.table
        vals = self._row_values(theta)
        sd = {}
        for lev, ram in enumerate(self._ram.rams, start=1):
            Sig, _ = ram.implied(theta, 0, full=True)
            sd[lev] = dict(zip(ram.names, np.sqrt(np.clip(np.diag(Sig), 0, None))))
        latent = {lev: set(ram.variables.latent) for lev, ram in enumerate(self._ram.rams, start=1)}
        lv, al = np.full(len(t), np.nan), np.full(len(t), np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            for k, r in enumerate(t.itertuples()):
                s, L = sd[r.level], latent[r.level]
                a = lambda n, all_: s[n] if (all_ or n in L) else 1.0
                for out, all_ in ((lv, False), (al, True)):
                    if r.op == "=~":
                        out[k] = vals[k] * a(r.lhs, all_) / a(r.rhs, all_)
                    elif r.op == "~":
                        out[k] = vals[k] * a(r.rhs, all_) / a(r.lhs, all_)
                    elif r.op == "~~":
                        out[k] = vals[k] / (a(r.lhs, all_) * a(r.rhs, all_))
                    else:
                        out[k] = vals[k] / a(r.lhs, all_)
        return lv, al

    def _row_values(self, theta):
        t = self._ram.table
        return np.array([theta[r.pid] if r.pid >= 0 else r.value for r in t.itertuples()], dtype=float)

    def _build_table(self) -> pd.DataFrame:
        t, theta, cov = self._ram.table, self._fit.theta, self._vcov
        se_free = np.sqrt(np.clip(np.diag(cov), 0, None)) if np.all(np.isfinite(cov)) else np.full(len(theta), np.nan)
        est = self._row_values(theta)
        se = np.array([se_free[p] if p >= 0 else 0.0 for p in t["pid"]])
        std_lv, std_all = self._standardized(theta)
        out = pd.DataFrame({"lhs": t["lhs"], "op": t["op"], "rhs": t["rhs"], "level": t["level"].astype(int),
                            "label": t["label"], "free": t["pid"] >= 0, "est": est, "se": se})
        if self._defined:
            dvals = self._defined_values(theta)
            J = jacobian(self._defined_values, theta)
            dse = np.sqrt(np.clip(np.diag(J @ cov @ J.T), 0, None))
            extra = pd.DataFrame({"lhs": [n for n, _ in self._defined], "op": ":=", "rhs": "",
                                  "level": 0, "label": "", "free": False, "est": dvals, "se": dse})
            out = pd.concat([out, extra], ignore_index=True)
            std_lv = np.r_[std_lv, np.full(len(extra), np.nan)]
            std_all = np.r_[std_all, np.full(len(extra), np.nan)]
        w = wald(out["est"].to_numpy(), out["se"].to_numpy(), level=self.options["level"])
        for col in ("z", "pvalue", "ci_lower", "ci_upper"):
            out[col] = np.asarray(w[col], dtype=float)
        fixed = ~out["free"] & (out["op"] != ":=")
        out.loc[fixed, ["z", "pvalue"]] = np.nan
        out.loc[fixed, "ci_lower"] = out.loc[fixed, "est"]
        out.loc[fixed, "ci_upper"] = out.loc[fixed, "est"]
        out["std_lv"], out["std_all"] = std_lv, std_all
        return out

    def _check_admissible(self) -> None:
        t = self._table
        neg = t[(t["op"] == "~~") & (t["lhs"] == t["rhs"]) & (t["est"] < 0)]
        for r in neg.itertuples():
            self._flag(f"negative variance of {r.lhs} on the {LEVEL_NAMES[r.level]} level ({r.est:.4g}): the "
                       "solution is improper (a Heywood case)", ImproperSolutionWarning)
        theta = self._fit.theta
        for lev, ram in enumerate(self._ram.rams, start=1):
            _, S, _ = ram.matrices(theta, 0)
            ev = np.linalg.eigvalsh(S)
            if ev.min() < -1e-10 and not len(neg):
                self._flag(f"the residual covariance matrix of the {LEVEL_NAMES[lev]} level is not positive "
                           "definite: the solution is improper", ImproperSolutionWarning)

    # ------------------------------------------------------------------ surface
    @property
    def params(self) -> pd.Series:
        """Free-parameter (and ``:=``) estimates named ``"lhs op rhs@within"`` /
        ``"lhs op rhs@between"``."""
        t = self._table
        keep = t[t["free"] | (t["op"] == ":=")]
        names = [r.lhs if r.op == ":=" else f"{r.lhs} {r.op} {r.rhs}".strip() + f"@{LEVEL_NAMES[r.level]}"
                 for r in keep.itertuples()]
        return pd.Series(keep["est"].to_numpy(), index=names, name="est")

    def icc(self) -> pd.Series:
        """Intraclass correlations of the level-1 variables from the unrestricted model,
        :math:`\\sigma^2_B / (\\sigma^2_B + \\sigma^2_W)` (lavaan's ``lavInspect(fit, "icc")``);
        zero for variables of the within level only; covariates last, as lavaan lists them."""
        S1, _, S2, _ = self._h1mats
        cd = self._cd
        b = np.diag(cd.E.T @ cd.P @ S2 @ cd.P.T @ cd.E)
        w = np.diag(S1)
        icc = pd.Series(b / (b + w), index=cd.within, name="icc")
        exo = set(self._ram.rams[0].variables.exogenous_x)
        return icc[[v for v in cd.within if v not in exo] + [v for v in cd.within if v in exo]]

    def implied(self) -> dict:
        """Model-implied within and between covariance matrices and means (DataFrames/Series)."""
        S1, m1, S2, m2 = self._ram.matrices(self._fit.theta)
        cd = self._cd
        return {"within": (pd.DataFrame(S1, cd.within, cd.within), pd.Series(m1, cd.within)),
                "between": (pd.DataFrame(S2, cd.between, cd.between), pd.Series(m2, cd.between))}

    def _logl(self, f):
        return -f / 2 - self._logl_x

    def fit_indices(self) -> fi.FitIndices:
        """Fit indices on lavaan's scale (see :meth:`_fit_indices`), a copy."""
        if "_fit_indices_cache" not in self.__dict__:
            self.__dict__["_fit_indices_cache"] = self._fit_indices()
        return self.__dict__["_fit_indices_cache"].copy()

    def _fit_indices(self) -> fi.FitIndices:
        """Fit indices on lavaan's scale (names as lavaan's ``fitMeasures``, dots as underscores).

        ``chisq = 2 (logL_h1 - logL)`` against the unrestricted two-level model;
        CFI/TLI against the baseline with free variances on both levels; RMSEA with the
        total number of rows; ``srmr_within`` and ``srmr_between`` are, for
        each level: the root mean square difference of the unrestricted and implied
        correlations (diagonal included), and ``srmr`` their sum (lavaan's two-level SRMR);
        TLI is 1 for a saturated model (``df = 0``), as lavaan reports it.  With
        ``estimator="MLR"`` also the scaled chi-square and its scaling factor (see
        :meth:`_scaling`), the scaled CFI, TLI and RMSEA, and the robust ones of
        Brosseau-Liard, Savalei & Li (lavaan's ``cfi.robust`` ...).
        """
        q = self._ram.q
        N = self.nobs
        logl, logl_h1, logl_b = self._logl(self._fit.f), self._logl(self._h1_f), self._logl(self._base_f)
        T = max(2 * (logl_h1 - logl), 0.0)
        Tb = 2 * (logl_h1 - logl_b)
        df, dfb = self.df, self._h1_npar - self._base_q
        out = {"npar": q, "nobs": N, "chisq": T, "df": df,
               "pvalue": float(stats.chi2.sf(T, df)) if df > 0 else np.nan,
               "baseline_chisq": Tb, "baseline_df": dfb, "baseline_pvalue": float(stats.chi2.sf(Tb, dfb)),
               "cfi": fi.cfi(T, df, Tb, dfb), "tli": fi.tli(T, df, Tb, dfb) if df > 0 else 1.0,
               "logl": logl, "unrestricted_logl": logl_h1,
               "aic": -2 * logl + 2 * q, "bic": -2 * logl + q * np.log(N),
               "bic2": -2 * logl + q * np.log((N + 2) / 24), "rmsea": fi.rmsea(T, df, N)}
        out["rmsea_ci_lower"], out["rmsea_ci_upper"] = fi.rmsea_ci(T, df, N)
        out["rmsea_pvalue"] = fi.rmsea_pvalue(T, df, N)
        if self._robust and df > 0:
            c, cb = self._scaling()
            Ts, Tbs = T / c, Tb / cb
            out.update({"chisq_scaled": Ts, "df_scaled": df, "pvalue_scaled": float(stats.chi2.sf(Ts, df)),
                        "chisq_scaling_factor": c, "baseline_chisq_scaled": Tbs, "baseline_df_scaled": dfb,
                        "baseline_chisq_scaling_factor": cb,
                        "cfi_scaled": fi.cfi(Ts, df, Tbs, dfb), "tli_scaled": fi.tli(Ts, df, Tbs, dfb),
                        "rmsea_scaled": fi.rmsea(Ts, df, N)})
            out.update(fi.robust_indices(T, df, c, Tb, dfb, cb, N))
        sw, sb = self._srmr()
        out.update({"srmr": sw + sb, "srmr_within": sw, "srmr_between": sb})
        return fi.FitIndices(out, dtype=float, name="fit")

    def _srmr(self):
        """SRMR of each level: the root mean square of the differences between the
        unrestricted and the implied correlations, diagonal included (what lavaan 0.6-14
        reports for two-level models; the means are left out)."""
        S1, _, S2, _ = self._ram.matrices(self._fit.theta)
        H1, _, H2, _ = self._h1mats
        return _srmr_cor(H1, S1), _srmr_cor(H2, S2)

    # ------------------------------------------------------------------ text, figure
    def methods_text(self) -> str:
        f = self.fit_indices()
        return (f"Following {R.BOLLEN.cite}, a two-level structural equation model separated the variation of "
                f"{self.nobs} customers within their clusters ({self.options['cluster']}, {self.nclusters} "
                f"clusters) from the variation between clusters, with the likelihood of "
                f"{R.MCDONALD_GOLDSTEIN.cite} and {R.MUTHEN_1994.cite} maximised as in the lavaan package of {R.ROSSEEL.cite}; "
                + self._inference_text(f) + " The model fitted with chi-square "
                f"{f['chisq']:.2f} on {int(f['df'])} degrees of freedom (p = {f['pvalue']:.3f}), CFI "
                f"{f['cfi']:.3f}, RMSEA {f['rmsea']:.3f}, SRMR within {f['srmr_within']:.3f} and between "
                f"{f['srmr_between']:.3f}; cut-offs as in {R.HU_BENTLER.cite}." + self._icc_text())

    def _inference_text(self, f) -> str:
        if not self._robust:
            return "standard errors came from the observed information."
        scaled = (f" (the Yuan-Bentler scaled chi-square was {f['chisq_scaled']:.2f}, scaling factor "
                  f"{f['chisq_scaling_factor']:.3f})" if "chisq_scaled" in f else "")
        return (f"standard errors were robust to non-normality (a sandwich of the observed information and "
                f"the clusterwise scores) and the test statistic was scaled as in {R.YUAN_BENTLER.cite} and "
                f"{R.ASPAROUHOV_MUTHEN_2005.cite}{scaled}.")

    def _icc_text(self) -> str:
        icc = self.icc()
        icc = icc[icc > 0]
        if not len(icc):
            return ""
        return (f" Intraclass correlations of the items measured on both levels ranged from {icc.min():.2f} "
                f"({icc.idxmin()}) to {icc.max():.2f} ({icc.idxmax()}).")

    def plot(self, ax=None, *, level: str = "within", standardized: bool = True, **kwargs):
        """Path diagram of one level (``"within"`` or ``"between"``); returns the Axes."""
        if level not in ("within", "between"):
            raise InputError(f"level must be 'within' or 'between', got {level!r}")
        from ..diagram.path import path_diagram
        lev = 1 if level == "within" else 2
        est = self._table[self._table["level"] == lev].drop(columns="level")
        return path_diagram(est, standardized=standardized, ax=ax, **kwargs)

    def to_lavaan(self, data_path: str = "data.csv") -> str:
        """R code that re-runs this two-level analysis with lavaan (see
        :meth:`SEMBase.to_lavaan`); cxmodels' estimates in the comments carry their level."""
        lines = super().to_lavaan(data_path).split("\n")
        start = lines.index("# ---- cxmodels' estimates (lhs op rhs [group]: est se std_all) ----")
        lines[start] = "# ---- cxmodels' estimates (lhs op rhs [level]: est se std_all) ----"
        for k, r in enumerate(self._table.itertuples(), start=start + 1):
            lev = f" [{LEVEL_NAMES[r.level]}]" if r.op != ":=" else ""
            lines[k] = f"# {r.lhs} {r.op} {r.rhs}".rstrip() + f"{lev}: {r.est:.6f} {r.se:.6f} {r.std_all:.6f}"
        return "\n".join(lines)

    def _lavaan_call(self) -> str:
        o = self.options
        args = ["model", "data = data", f"cluster = '{o['cluster']}'"]
        if o.get("estimator") == "MLR":
            args.append('estimator = "MLR"')
        if o.get("std_lv"):
            args.append("std.lv = TRUE")
        if not o.get("fixed_x", True):
            args.append("fixed.x = FALSE")
        return "fit <- sem(" + ", ".join(args) + ")"


def _srmr_cor(S, Sigma) -> float:
    a, b = np.sqrt(np.diag(S)), np.sqrt(np.diag(Sigma))
    with np.errstate(divide="ignore", invalid="ignore"):
        R = S / np.outer(a, a) - Sigma / np.outer(b, b)
    return float(np.sqrt(np.mean(R[np.tril_indices(len(S))] ** 2)))

