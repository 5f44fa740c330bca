"""The `cxmodels` command: list the studies, run the SEM study, write a self-contained report."""

import base64
import re

from cxmodels.cli import main


def test_list(capsys):
    assert main(["list"]) == 0
    assert "sem" in capsys.readouterr().out


def test_sem_study_writes_a_report_with_figures_and_no_rows(tmp_path, capsys):
    assert main(["study", "sem", "--out", str(tmp_path), "--bootstrap", "100"]) == 0
    html = (tmp_path / "sem_study.html").read_text()
    assert "Satisfaction and loyalty" in html and "Methods" in html and "Rosseel" in html
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert images and all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    # provenance names the data by its hash, and no respondent-level table is embedded
    assert re.search(r'sha256(&quot;|"): (&quot;|")[0-9a-f]{64}', html)
    assert html.count("<tr>") < 80


def test_every_study_writes_its_report(tmp_path):
    assert main(["study", "all", "--out", str(tmp_path), "--bootstrap", "50"]) == 0
    for name, marker in [("churn", "hazard_ratio"), ("clv", "BG/NBD"), ("ab", "Decision: adopt"), ("sem", "CUSA"),
                         ("chain", "clv_per_unit")]:
        html = (tmp_path / f"{name}_study.html").read_text()
        assert marker in html and "Provenance" in html and "<h2>References</h2>" in html
        assert 'src="data:image/png;base64,' in html or name == "clv"
