"""bench/run.py works end to end (at a tiny scale; ``make bench`` runs it at the SPEC's size)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_script_small_scale(tmp_path):
    results = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--scale", "0.002", "--no-tenth", "--quick",
         "--data", str(tmp_path / "data"), "--out", str(tmp_path / "out"), "--results", str(results)],
        capture_output=True, text=True, encoding="utf-8", timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(results.read_text(encoding="utf-8"))
    run = data["scales"]["0.002"]
    assert run["reference"]["rows"] > 2000 and run["reference"]["seconds"] > 0
    for name in ("reconcile", "dropout"):
        stages = {s["name"]: s for s in run[name]["stages"]}
        assert {"read", "normalize", "link", "write"} <= set(stages)
        assert all(s["seconds"] >= 0 and s["peak_mb"] for s in stages.values())
        assert run[name]["wall_seconds"] > 0 and run[name]["peak_mb"] > 0
        assert run[name]["accounting_ok"] is True
    assert {"policy", "findings"} <= {s["name"] for s in run["reconcile"]["stages"]}
    assert run["reconcile_vs_read"] > 0
    assert "fupin reconcile" in proc.stdout and "reference" in proc.stdout
    # the generated data is cached: a second run reuses it
    assert (tmp_path / "data" / f"x0.002_seed20201_v{data['bench_version']}" / "scenario.json").is_file()
