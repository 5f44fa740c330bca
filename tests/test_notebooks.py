"""Every notebook runs top to bottom, and reproduces the numbers stored in it.

Cells tagged ``no-compare`` are run but not compared: those printing library versions, and
those printing MCMC (NUTS) summaries, which are reproducible from their seed on one machine
but not bit-for-bit across processors; the PyMC models themselves are checked in
tests/test_ab_pymc.py against known truth.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
_NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")


def _numbers(cell) -> list[float]:
    text = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            text.append(out["text"])
        elif "data" in out and "text/plain" in out["data"]:
            text.append(out["data"]["text/plain"])
    return [float(x) for x in _NUMBER.findall("\n".join(text))]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_and_reproduces_its_numbers(path):
    stored = nbformat.read(path, as_version=4)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    for old, new in zip(stored.cells, nb.cells):
        if old.cell_type != "code" or "no-compare" in old.metadata.get("tags", []):
            continue
        a, b = _numbers(old), _numbers(new)
        assert len(a) == len(b), f"{path.name}: cell output changed shape:\\n{old.source[:200]}"
        np.testing.assert_allclose(b, a, rtol=2e-3, atol=2e-3, err_msg=f"{path.name}: {old.source[:200]}")
