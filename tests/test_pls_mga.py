"""MICOM and permutation PLS-MGA between segments; segment discovery by clustering."""

import numpy as np
import pandas as pd
import pytest

from cxmodels import datasets
from cxmodels.errors import InputError
from cxmodels.sem import templates
from cxmodels.sem.pls.mga import compare_groups, find_segments


def _two_segments(path_b: float):
    a = datasets.make_survey_continuous(700, model="ACSI", seed=11)
    b = datasets.make_survey_continuous(700, model="ACSI", seed=12, paths={("CUSA", "PERQ"): path_b})
    return pd.concat([a.assign(seg="a"), b.assign(seg="b")], ignore_index=True)


def test_same_population_is_invariant_with_no_path_differences():
    res = compare_groups(templates.ACSI, _two_segments(0.5), "seg", n_perm=200, seed=1, progress=False)
    assert res.groups == ("a", "b") and res.provenance.seed == 1 and res.n_perm == 200
    assert res.converged and res.admissible and not res.warnings
    assert all(r.cite in res.methods_text() for r in res.references)
    assert res.compositional["invariant"].all()
    assert res.means_variances["equal_means"].sum() >= len(res.means_variances) - 1
    assert (res.paths["pvalue"] > 0.01).all()


def test_a_different_path_is_detected():
    res = compare_groups(templates.ACSI, _two_segments(0.1), "seg", n_perm=200, seed=1, progress=False)
    p = res.paths.set_index(["lhs", "rhs"])
    assert p.loc[("CUSA", "PERQ"), "diff"] > 0.2
    assert p.loc[("CUSA", "PERQ"), "pvalue"] < 0.01
    assert res.compositional["invariant"].all()


def test_group_labels_not_row_order_name_the_contrast():
    """The same data with its rows reversed gives the same tables: groups are sorted labels."""
    d = _two_segments(0.1)
    a = compare_groups(templates.ACSI, d, "seg", n_perm=30, seed=4, progress=False)
    b = compare_groups(templates.ACSI, d.iloc[::-1], "seg", n_perm=30, seed=4, progress=False)
    assert a.groups == b.groups == ("a", "b")
    assert list(a.paths.columns) == ["lhs", "op", "rhs", "est_a", "est_b", "contrast", "diff", "pvalue"]
    assert (a.paths["contrast"] == "a - b").all() and (a.means_variances["contrast"] == "a - b").all()
    pd.testing.assert_frame_equal(a.paths.drop(columns="pvalue"), b.paths.drop(columns="pvalue"))
    np.testing.assert_allclose(a.paths["diff"], a.paths["est_a"] - a.paths["est_b"])
    assert a.params.index[0].count("~") == 1


def test_group_column_must_have_two_groups():
    d = _two_segments(0.5).assign(seg=lambda x: np.arange(len(x)) % 3)
    with pytest.raises(InputError, match="exactly two groups"):
        compare_groups(templates.ACSI, d, "seg", n_perm=10)


def test_find_segments_picks_the_true_number_of_clusters():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [4, 0], [0, 4]])
    X = np.vstack([c + rng.normal(scale=0.6, size=(150, 2)) for c in centres])
    seg = find_segments(pd.DataFrame(X, columns=["CUSA", "CUSL"]), seed=1)
    labels, crit = seg.labels, seg.summary()
    assert crit["est"].idxmax() == 3 == seg.k
    assert seg.provenance.seed == 1
    assert labels.nunique() == 3
    truth = np.repeat([0, 1, 2], 150)
    # clusters match the truth up to relabelling
    agree = max((pd.crosstab(labels, truth).max(axis=1).sum()) / len(truth), 0)
    assert agree > 0.97
