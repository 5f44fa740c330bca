"""fixed_x=False frees the variances, covariances (and means) of observed covariates as lavaan's
fixed.x = FALSE; parity with lavaan 0.6-14 (tests/fixtures/lavaan_fixedx, with its R script)."""

from pathlib import Path

import pandas as pd
import pytest

from cxmodels.datasets import load_political_democracy
from cxmodels.sem import fit_sem

REF = pd.read_csv(Path(__file__).parent / "fixtures" / "lavaan_fixedx" / "estimates.csv")
MODELS = {"reg": "y1 ~ x1 + x2",
          "sem": "ind60 =~ x1 + x2 + x3\n dem60 =~ y1 + y2 + y3 + y4\n dem60 ~ ind60 + y5"}


def _key(frame):
    return frame.assign(pair=[(lhs, op, rhs) if op != "~~" else (min(lhs, rhs), op, max(lhs, rhs))
                              for lhs, op, rhs in zip(frame.lhs, frame.op, frame.rhs)]).set_index("pair")


@pytest.mark.parametrize("name", list(MODELS))
def test_fixed_x_false_matches_lavaan(name):
    ref = _key(REF[REF.model == name])
    got = _key(fit_sem(MODELS[name], load_political_democracy(), fixed_x=False).estimates())
    assert set(got.index) == set(ref.index), "free parameters differ from lavaan's parameter table"
    got = got.loc[ref.index]
    assert got["est"].to_numpy() == pytest.approx(ref["est"].to_numpy(), abs=2e-4)
    assert got["se"].to_numpy() == pytest.approx(ref["se"].to_numpy(), abs=2e-4)
