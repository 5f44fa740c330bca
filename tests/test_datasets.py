"""Bundled data: checksums as documented in datasets/README.md, loaders, shapes."""

import re
from pathlib import Path

import pytest

from cxmodels import datasets

README = Path(__file__).resolve().parents[1] / "datasets" / "README.md"


def documented():
    rows = re.findall(r"^\| `([\w.]+\.csv(?:\.gz)?)` \| `(\w+)\(\)` \| (\d+) x (\d+) \| `([0-9a-f]{64})`", README.read_text(), re.M)
    assert len(rows) >= 3
    return rows


@pytest.mark.parametrize("name,loader,n,k,sha", documented())
def test_file_matches_its_data_dictionary(name, loader, n, k, sha):
    assert datasets.sha256(name) == sha
    df = getattr(datasets, loader)()
    assert df.shape == (int(n), int(k))


def test_every_bundled_file_is_documented_and_packaged():
    """Each data file in datasets/ has a row in the data dictionary and matches a package-data
    pattern of pyproject.toml, so it is in the wheel and not only in an editable checkout."""
    import fnmatch
    import tomllib

    folder = README.parent
    files = {p.name for p in folder.iterdir() if p.is_file() and p.name not in ("README.md", "__init__.py")}
    assert files == {name for name, *_ in documented()}
    pyproject = tomllib.loads((folder.parent / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["cxmodels.datasets.data"]
    unpackaged = sorted(f for f in files if not any(fnmatch.fnmatch(f, pat) for pat in patterns))
    assert not unpackaged, f"not matched by package-data {patterns}: {unpackaged}"


def test_loaders_return_fresh_frames():
    a = datasets.load_political_democracy()
    a.iloc[0, 0] = -99
    assert datasets.load_political_democracy().iloc[0, 0] != -99


def test_acsi_survey_is_the_seeded_generator_output():
    import pandas as pd
    bundled = datasets.load_acsi_survey()
    regenerated = datasets.make_survey(800, model="ACSI", seed=2026)
    pd.testing.assert_frame_equal(bundled, regenerated, check_dtype=False)
    assert bundled.attrs["truth"]["paths"][("CUSL", "CUSA")] == 0.6


def test_missing_file_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        datasets.data_path("nope.csv")


def test_ecsi_survey_is_the_seeded_generator_output():
    import pandas as pd
    bundled = datasets.load_ecsi_survey()
    regenerated = datasets.make_survey(1000, model="ECSI", seed=2026)
    pd.testing.assert_frame_equal(bundled, regenerated, check_dtype=False)
    assert bundled.attrs["truth"]["paths"][("CUSA", "PERQ")] == pytest.approx(0.45)
