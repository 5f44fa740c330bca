"""SEM results write a runnable lavaan script (``to_lavaan``); where R with lavaan is installed,
run it on the same data and compare the estimates and the chi-square with cxmodels'.

Install R for these tests with ``apt-get install r-base-core r-cran-lavaan`` (Debian/Ubuntu).
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from conftest import FIXTURES, HS_MODEL, PD_MODEL
from cxmodels import datasets
from cxmodels.sem import fit_sem


def _have_lavaan() -> str | None:
    """None when Rscript with lavaan runs here, else why not."""
    if shutil.which("Rscript") is None:
        return "Rscript is not installed (apt-get install r-base-core r-cran-lavaan)"
    try:
        ok = subprocess.run(["Rscript", "-e", "suppressMessages(library(lavaan))"], capture_output=True,
                            timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return None if ok else "Rscript cannot load the R package lavaan (apt-get install r-cran-lavaan)"


WHY_NOT = _have_lavaan()


def _data(kind):
    if kind == "pd":
        return datasets.load_political_democracy()
    if kind == "hs":
        return datasets.load_holzinger_swineford()
    if kind == "hs_fiml":
        return pd.read_csv(FIXTURES / "lavaan" / "hs_fiml" / "data.csv")
    return pd.read_csv(FIXTURES / "lavaan" / "ordinal" / "data.csv")


CASES = {
    "pd_sem_defined": (PD_MODEL, "pd", {}),
    "hs_mlr": (HS_MODEL, "hs", {"estimator": "MLR"}),
    "hs_fiml": (HS_MODEL, "hs_fiml", {"missing": "fiml"}),
    "hs_metric": (HS_MODEL, "hs", {"group": "school", "group_equal": ["loadings"]}),
    "ordinal": ("G =~ PERQ1 + PERQ2 + PERQ3 + CUSA1 + CUSA2 + CUSA3", "ordinal", {"ordered": True}),
}

# Appended to the generated script: write what it printed as CSV, to compare exactly.
_DUMP = """
est <- parameterEstimates(fit)
if (is.null(est$group)) est$group <- 1L
write.csv(est[, c("lhs", "op", "rhs", "group", "est", "se")], "r_estimates.csv", row.names = FALSE)
fm <- fitMeasures(fit)
write.csv(data.frame(name = names(fm), value = as.numeric(fm)), "r_fit.csv", row.names = FALSE)
"""


def test_the_script_states_the_model_options_and_expected_numbers(political_democracy):
    res = fit_sem(PD_MODEL, political_democracy, estimator="MLR")
    script = res.to_lavaan("pd.csv")
    assert "library(lavaan)" in script and "read.csv('pd.csv'" in script
    assert 'estimator = "MLR"' in script and 'missing = "listwise"' in script
    assert "print(parameterEstimates(fit, standardized = TRUE))" in script and "print(fitMeasures(fit))" in script
    assert PD_MODEL.strip().splitlines()[0].strip() in script
    chisq = res.fit_indices()["chisq"]
    assert f"# chisq: {chisq:.6f}" in script
    assert f"# dem60 ~ ind60: {res.params['dem60 ~ ind60']:.6f}" in script


@pytest.mark.skipif(WHY_NOT is not None, reason=str(WHY_NOT))
@pytest.mark.parametrize("name", list(CASES))
def test_lavaan_reproduces_the_numbers(name, tmp_path):
    model, kind, kw = CASES[name]
    data = _data(kind)
    res = fit_sem(model, data, **kw)
    data.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "analysis.R").write_text(res.to_lavaan("data.csv") + _DUMP)
    run = subprocess.run(["Rscript", "analysis.R"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    ref = pd.read_csv(tmp_path / "r_estimates.csv", keep_default_na=False, na_values=["NA"])
    ours = res.estimates()
    number = {lab: k + 1 for k, lab in enumerate(res.group_labels)}
    ours = ours.assign(group=[number.get(g, 0) for g in ours["group"]] if "group" in ours else 1)
    ref.loc[ref["op"] == ":=", "group"] = 0
    ours.loc[ours["op"] == ":=", "group"] = 0

    def key(df):
        lhs, rhs = df["lhs"].astype(str), df["rhs"].astype(str)
        a = np.where(df["op"] == "~~", np.minimum(lhs, rhs), lhs)
        b = np.where(df["op"] == "~~", np.maximum(lhs, rhs), rhs)
        b = np.where(df["op"].isin([":=", "~1"]), "", b)
        return pd.Series(a, index=df.index) + " " + df["op"] + " " + b + " @" + df["group"].astype(int).astype(str)

    ref = ref[ref["op"].isin(["=~", "~", "~~", "~1", ":=", "|"])]
    ref, ours = ref.set_index(key(ref)), ours.set_index(key(ours))
    common = ref.index.intersection(ours.index)
    assert len(common) == len(ours), f"rows lavaan lacks: {sorted(set(ours.index) - set(ref.index))}"
    np.testing.assert_allclose(ours.loc[common, "est"], ref.loc[common, "est"], atol=1e-3)
    np.testing.assert_allclose(ours.loc[common, "se"], ref.loc[common, "se"], atol=1e-3)
    fit = pd.read_csv(tmp_path / "r_fit.csv").set_index("name")["value"]
    mine = res.fit_indices()
    for k in ("chisq", "df") + (("chisq.scaled",) if "chisq_scaled" in mine else ()):
        assert mine[k.replace(".", "_")] == pytest.approx(fit[k], abs=1e-3 * max(1, fit[k] / 1000)), k
