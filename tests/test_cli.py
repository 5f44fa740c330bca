"""The `cxmodels` command: list the studies, run them, write self-contained reports, say what it
is doing as it goes, and take ``--bootstrap 0`` (no bootstrap) without a traceback."""

import base64
import re
import subprocess
import sys

import pytest

import cxmodels
from cxmodels.cli import main

STEP = re.compile(r"^\[\s*\d+\.\d s\] (\w+): (.+)$")


def test_list(capsys):
    assert main(["list"]) == 0
    assert "sem" in capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"cxmodels {cxmodels.__version__}"


def test_negative_bootstrap_is_refused_with_a_message(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["study", "sem", "--bootstrap", "-1"])
    assert exit_.value.code == 2
    assert "cannot be negative" in capsys.readouterr().err


def test_sem_study_writes_a_report_with_figures_and_no_rows(tmp_path, capsys):
    assert main(["study", "sem", "--out", str(tmp_path), "--bootstrap", "100"]) == 0
    captured = capsys.readouterr()
    html = (tmp_path / "sem_study.html").read_text()
    assert "Satisfaction and loyalty" in html and "Methods" in html and "Rosseel" in html
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert images and all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    # provenance names the data by its hash, and records the bootstrap with its seed
    assert re.search(r"sha256: [0-9a-f]{64}", html)
    prov = html.split("<h2>Provenance</h2>")[1]
    assert re.search(r"- step: [^\n]*bootstrap[^\n]*\n\s+seed: 2026", prov) and "n_boot: 100" in prov
    assert html.count("<tr>") < 80
    # one timed line per step on stderr; stdout only names the report
    steps = [STEP.match(line) for line in captured.err.splitlines()]
    assert all(steps) and len(steps) >= 3, captured.err
    assert any("100 bootstrap replicates" in m.group(2) for m in steps)
    assert captured.out.strip() == f"sem: report written to {tmp_path / 'sem_study.html'}"


@pytest.mark.parametrize("name", ["sem", "chain"])
def test_bootstrap_zero_means_no_bootstrap(tmp_path, name):
    """``--bootstrap 0`` is documented as "no bootstrap": the study runs and says so."""
    proc = subprocess.run([sys.executable, "-m", "cxmodels.cli", "study", name, "--out", str(tmp_path),
                           "--bootstrap", "0"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    html = (tmp_path / f"{name}_study.html").read_text()
    assert "no bootstrap" in html


def test_every_study_writes_its_report(tmp_path, capsys):
    assert main(["study", "all", "--out", str(tmp_path), "--bootstrap", "50"]) == 0
    err = capsys.readouterr().err
    for name, marker in [("churn", "hazard_ratio"), ("clv", "BG/NBD"), ("ab", "Decision: adopt"), ("sem", "CUSA"),
                         ("chain", "clv_per_unit")]:
        html = (tmp_path / f"{name}_study.html").read_text()
        assert marker in html and "Provenance" in html and "<h2>References</h2>" in html
        assert 'src="data:image/png;base64,' in html
        # each study announced as it starts and as it ends, with the elapsed time
        assert re.search(rf"^\[\s*\d+\.\d s\] {name}: started$", err, flags=re.M), err
        assert re.search(rf"^\[\s*\d+\.\d s\] {name}: report written to ", err, flags=re.M), err
    assert re.search(r"all 7 studies done$", err, flags=re.M)
    clv = (tmp_path / "clv_study.html").read_text()
    assert "GammaGamma" in clv or "Gamma-Gamma" in clv
    assert "lower 90% bound" in clv and clv.count("<img") >= 2
