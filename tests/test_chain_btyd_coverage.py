"""A small version of the noncontractual chain's coverage study (validation/btyd_chain_coverage.py;
the full study's table is in docs/chain_btyd.md): four seeded BG/NBD bases of 1000 customers,
7-point and continuous items, random and satisfaction-dependent survey response, 20 bootstrap
replicates each (too few for a calibrated 95% interval: the study uses 100)."""

import importlib.util
import json
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _study():
    spec = importlib.util.spec_from_file_location("btyd_chain_coverage", ROOT / "validation" / "btyd_chain_coverage.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_small_coverage_study(tmp_path):
    study = _study()
    tab, overall = study.run(4, 1000, 20, tmp_path, name="small")
    df = pd.read_csv(tmp_path / "small.csv")
    assert len(df) == 4 and set(df["scale"]) == {"7-point", "continuous"}
    assert set(df["response_dependence"]) == {0.0, 1.0}
    assert df["converged"].all()
    covered = (df.ci_lower <= df.truth) & (df.truth <= df.ci_upper)
    assert covered.sum() >= 3          # 3 of 4 on these seeds (one 7-point base misses, just above)
    assert abs(overall["bias_pct_of_truth"]) < 40
    res = json.loads((tmp_path / "small.json").read_text())
    assert res["bases"] == 4 and res["overall"]["coverage"] == covered.mean()
    assert "| 7-point |" in study.markdown(tab, overall)
