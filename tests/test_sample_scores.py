"""reconcile scored against the generator's ground truth: precision and recall ≥ 0.99 for every
category and for links, on the committed sample and on a county generated with another seed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from scoring import report, score_findings, score_links

from jiaoyu_fupin.cli import main

ROOT = Path(__file__).resolve().parent.parent
BAR = 0.99


def run_reconcile(data: Path, out: Path) -> None:
    args = ["-q", "reconcile", "--registry", str(data / "registry"), "--national", str(data / "national"),
            "--provincial", str(data / "provincial"), "--roster", str(data / "rosters"),
            "--schools", str(data / "schools.xlsx"), "--semester", "2020秋", "-o", str(out)]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output


def check(out: Path, truth: Path) -> None:
    scores = score_findings(out / "findings.csv", truth / "truth_findings_reconcile.csv")
    text = report(scores)
    assert len(scores) == 11, text       # every category is exercised
    for cat, s in scores.items():
        assert s["precision"] >= BAR and s["recall"] >= BAR, f"{cat}\n{text}"
    links = score_links(out / "links.csv", truth / "truth_links.csv")
    assert links["n_rows_missing"] == 0, links["rows_missing"]
    assert links["precision"] >= BAR and links["recall"] >= BAR, links


def test_committed_sample(tmp_path):
    out = tmp_path / "out"
    run_reconcile(ROOT / "sample_data", out)
    check(out, ROOT / "tests" / "data" / "sample_truth")


@pytest.mark.parametrize("seed", [7])
def test_other_county(tmp_path, seed):
    from jiaoyu_fupin.samplegen import generate_small

    data, truth = tmp_path / "data", tmp_path / "truth"
    generate_small(data, seed=seed, truth=truth)
    out = tmp_path / "out"
    run_reconcile(data, out)
    check(out, truth)
