"""Shared test helpers: fixture locations and the lavaan reference tables."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"


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
