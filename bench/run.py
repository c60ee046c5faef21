"""``make bench``: fupin at the SPEC's size, end to end, against the time it takes just to read the files.

    python bench/run.py                    # SPEC size (scale 1) and one tenth of it
    python bench/run.py --scale 0.1 --no-tenth
    python bench/run.py --scale 0.002 --data /tmp/d --out /tmp/o --results /tmp/r.json   # smoke test

For each scale it

1. generates the inputs with the project's own generator (``python -m jiaoyu_fupin.samplegen DIR
   --scale S --seed N``: .xlsx with the usual mess) unless ``bench/data/x{S}_seed{N}_v{V}`` already
   holds them (V = ``samplegen.bench.BENCH_VERSION``; a new generator version regenerates);
2. measures the reference: reading every input file (all sheets, every cell as a string) into
   pandas DataFrames with fastexcel, the fastest reader available, two files at a time like fupin,
   and (unless ``--quick``) one file after another; the ratios compare process wall clocks;
3. runs ``fupin reconcile`` and ``fupin dropout-check`` as subprocesses, timing the wall clock and
   taking the peak memory of each process from ``os.wait4``; the per-stage seconds, rows and peak
   memory come from the run's own ``run.json`` (``stages``, ``extra.peak_rss_mb``).

It prints one table per command (stage, seconds, rows/s, peak MB), the reference, the ratio
reconcile / reference and, with two scales, the growth from one tenth to full size (linear ≈ 10×),
and writes everything to ``bench/results.json``. Targets (SPEC, issue 7) are checked and reported;
``--strict`` makes a missed target exit non-zero. CI does not run this (tests/test_bench_smoke.py
runs it at a tiny scale).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEMESTER = "2020秋"
SCHOOL_YEAR = "2020"
#: SPEC / issue 7, at scale 1 on a 2-core machine
TARGETS = {"reconcile_seconds": 60.0, "reconcile_vs_read": 2.0, "dropout_seconds": 45.0, "peak_mb": 4096.0}


# ----------------------------------------------------------------------------------------------
# measuring a child process

def run_measured(cmd: list[str], *, env: dict | None = None) -> dict:
    """Run ``cmd``; wall seconds, peak resident MB (this child and its children) and exit code."""
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fo, stderr=fe, env=env)
        # os.wait4 gives the resource usage of exactly this child (and what it waited for)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read(), fe.read()
    peak_kb = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
    return {"wall_seconds": round(wall, 2), "peak_mb": round(peak_kb / 1024, 1), "returncode": proc.returncode,
            "stdout": out.decode("utf-8", "replace"), "stderr": err.decode("utf-8", "replace")}


# ----------------------------------------------------------------------------------------------
# data

def bench_version() -> int:
    from jiaoyu_fupin.samplegen.bench import BENCH_VERSION
    return BENCH_VERSION


def scale_label(scale: float) -> str:
    return f"{scale:g}"


def ensure_data(base: Path, scale: float, seed: int) -> tuple[Path, float | None]:
    """The bench inputs for ``scale`` (generated once; (dir, seconds spent generating or None))."""
    target = base / f"x{scale_label(scale)}_seed{seed}_v{bench_version()}"
    marker = target / "scenario.json"
    if marker.is_file():
        try:
            info = json.loads(marker.read_text(encoding="utf-8"))
            if info.get("bench_version") == bench_version():
                return target, None
        except ValueError:
            pass
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(target, ignore_errors=True)
    base.mkdir(parents=True, exist_ok=True)
    print(f"生成测试数据 scale={scale_label(scale)} → {target} …", flush=True)
    res = run_measured([sys.executable, "-m", "jiaoyu_fupin.samplegen", str(tmp), "--scale", str(scale),
                        "--seed", str(seed)])
    if res["returncode"] != 0:
        raise SystemExit(f"generator failed:\n{res['stderr'][-3000:]}")
    tmp.rename(target)
    return target, res["wall_seconds"]


def input_files(data: Path) -> list[Path]:
    return sorted(p for p in data.rglob("*.xlsx") if not p.name.startswith(("~$", ".")))


# ----------------------------------------------------------------------------------------------
# the reference: just reading the files

def reference_read(data: Path, threads: int) -> dict:
    """Read every .xlsx under ``data`` (all sheets, all cells as strings) into DataFrames."""
    import fastexcel

    def read(path: Path) -> int:
        reader = fastexcel.read_excel(str(path))
        rows = 0
        for name in reader.sheet_names:
            df = reader.load_sheet(name, header_row=None, dtypes="string").to_pandas()
            rows += len(df)
        return rows

    files = input_files(data)
    t0 = time.perf_counter()
    if threads > 1:
        with ThreadPoolExecutor(threads) as pool:
            rows = sum(pool.map(read, files))
    else:
        rows = sum(read(p) for p in files)
    return {"seconds": round(time.perf_counter() - t0, 2), "rows": rows, "files": len(files), "threads": threads,
            "reader": "fastexcel (dtypes=string) -> pandas"}


def measure_reference(data: Path, threads: int) -> dict:
    res = run_measured([sys.executable, str(Path(__file__).resolve()), "--reference-read", str(data),
                        "--threads", str(threads)])
    if res["returncode"] != 0:
        raise SystemExit(f"reference read failed:\n{res['stderr'][-3000:]}")
    out = json.loads(res["stdout"].strip().splitlines()[-1])
    out.update(wall_seconds=res["wall_seconds"], peak_mb=res["peak_mb"])
    return out


# ----------------------------------------------------------------------------------------------
# the commands

def fupin(*args: str) -> list[str]:
    return [sys.executable, "-m", "jiaoyu_fupin", *args]


def command_lines(data: Path, out: Path) -> dict[str, list[str]]:
    reg, ros = str(data / "registry"), str(data / "rosters")
    return {
        "reconcile": fupin("reconcile", "--registry", reg, "--national", str(data / "national"),
                           "--provincial", str(data / "provincial"), "--roster", ros,
                           "--schools", str(data / "schools.xlsx"), "--semester", SEMESTER,
                           "-o", str(out / "reconcile"), "--force"),
        "dropout": fupin("dropout-check", "--registry", reg, "--roster", ros, "--school-year", SCHOOL_YEAR,
                         "-o", str(out / "dropout"), "--force"),
    }


def run_command(name: str, cmd: list[str], out_dir: Path) -> dict:
    env = dict(os.environ, PYTHONIOENCODING="utf-8", COLUMNS="120")
    res = run_measured(cmd, env=env)
    if res["returncode"] != 0:
        raise SystemExit(f"{name} failed (exit {res['returncode']}):\n{res['stderr'][-3000:]}")
    run = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
    peaks = run.get("extra", {}).get("peak_rss_mb", {})
    stages = [{"name": s["name"], "seconds": s["seconds"], "rows": s["rows"],
               "rows_per_second": s["rows_per_second"], "peak_mb": peaks.get(s["name"])}
              for s in run.get("stages", [])]
    acc = run.get("accounting", {})
    return {"wall_seconds": res["wall_seconds"], "peak_mb": res["peak_mb"],
            "duration_seconds": run.get("duration_seconds"), "stages": stages,
            "rows_read": acc.get("totals", {}).get("read"), "accounting_ok": acc.get("ok"),
            "counts": run.get("extra", {}).get("counts"),
            "outputs": {o["file"]: o["size"] for o in run.get("outputs", [])}}


def bench_scale(scale: float, args) -> dict:
    data, gen_seconds = ensure_data(Path(args.data), scale, args.seed)
    scenario = json.loads((data / "scenario.json").read_text(encoding="utf-8"))
    out = Path(args.out) / f"x{scale_label(scale)}"
    out.mkdir(parents=True, exist_ok=True)
    result: dict = {"scale": scale, "data": str(data), "sizes": scenario.get("sizes", {}),
                    "generate_seconds": gen_seconds}
    print(f"[x{scale_label(scale)}] 纯读取参照（fastexcel）…", flush=True)
    result["reference"] = measure_reference(data, 2)
    if not args.quick:
        result["reference_1thread"] = measure_reference(data, 1)
    for name, cmd in command_lines(data, out).items():
        if name == "dropout" and args.skip_dropout:
            continue
        print(f"[x{scale_label(scale)}] fupin {name} …", flush=True)
        result[name] = run_command(name, cmd, out / name)
    # both sides as process wall clock (start-up included on both)
    if "reconcile" in result:
        wall = result["reconcile"]["wall_seconds"]
        result["reconcile_vs_read"] = round(wall / max(result["reference"]["wall_seconds"], 1e-9), 2)
        if "reference_1thread" in result:
            result["reconcile_vs_read_1thread"] = round(
                wall / max(result["reference_1thread"]["wall_seconds"], 1e-9), 2)
    return result


# ----------------------------------------------------------------------------------------------
# report

def table(title: str, run: dict) -> str:
    lines = [title, f"  {'stage':<10} {'seconds':>8} {'rows/s':>10} {'peak MB':>8}"]
    for s in run["stages"]:
        rate = f"{s['rows_per_second']:,}" if s.get("rows_per_second") else "-"
        peak = f"{s['peak_mb']:,.0f}" if s.get("peak_mb") is not None else "-"
        lines.append(f"  {s['name']:<10} {s['seconds']:>8.2f} {rate:>10} {peak:>8}")
    lines.append(f"  {'total':<10} {run['wall_seconds']:>8.2f} {'':>10} {run['peak_mb']:>8,.0f}"
                 "   (process wall clock incl. start-up; peak from wait4)")
    return "\n".join(lines)


def report(results: dict) -> str:
    out = []
    for label, r in results["scales"].items():
        sizes = r.get("sizes", {})
        out.append(f"\n=== scale x{label}: registry {sizes.get('registry_rows', '?'):,} · roster "
                   f"{sizes.get('roster_rows', '?'):,} · national {sizes.get('national_rows', '?'):,} · provincial "
                   f"{sizes.get('provincial_rows', '?'):,} rows (.xlsx) ===")
        ref = r["reference"]
        out.append(f"reference: read all {ref['files']} files into DataFrames (fastexcel, strings, 2 threads): "
                   f"{ref['wall_seconds']:.2f} s wall ({ref['seconds']:.2f} s reading), {ref['rows']:,} rows, "
                   f"{ref['rows'] / max(ref['seconds'], 1e-9):,.0f} rows/s, peak {ref['peak_mb']:,.0f} MB")
        if "reference_1thread" in r:
            one = r["reference_1thread"]
            out.append(f"           same, one file after another: {one['wall_seconds']:.2f} s wall "
                       f"({one['seconds']:.2f} s reading, {one['rows'] / max(one['seconds'], 1e-9):,.0f} rows/s)")
        for name in ("reconcile", "dropout"):
            if name in r:
                out.append(table(f"fupin {'reconcile' if name == 'reconcile' else 'dropout-check'}", r[name]))
        if "reconcile_vs_read" in r:
            out.append(f"reconcile / reference read (2 threads) = {r['reconcile_vs_read']:.2f}×")
        if "reconcile_vs_read_1thread" in r:
            out.append(f"reconcile / reference read (one thread) = {r['reconcile_vs_read_1thread']:.2f}×")
    if results.get("growth"):
        g = results["growth"]
        out.append(f"\ngrowth x{g['from']} → x{g['to']} (linear = {g['expected']:.0f}×):")
        for name, stages in g["commands"].items():
            cells = ", ".join(f"{k} {v:.1f}×" for k, v in stages.items())
            out.append(f"  {name}: {cells}")
    if results.get("checks"):
        out.append("\ntargets at full size:")
        for c in results["checks"]:
            out.append(f"  [{'ok' if c['ok'] else 'OVER'}] {c['what']}: {c['value']} (target {c['target']})")
    return "\n".join(out)


def growth(big: dict, small: dict) -> dict:
    out: dict = {"from": scale_label(small["scale"]), "to": scale_label(big["scale"]),
                 "expected": big["scale"] / small["scale"], "commands": {}}
    for name in ("reconcile", "dropout"):
        if name not in big or name not in small:
            continue
        ratios = {}
        sm = {s["name"]: s["seconds"] for s in small[name]["stages"]}
        for s in big[name]["stages"]:
            if sm.get(s["name"]) and s["name"] != "inputs":
                ratios[s["name"]] = round(s["seconds"] / sm[s["name"]], 1)
        ratios["total"] = round(big[name]["wall_seconds"] / small[name]["wall_seconds"], 1)
        out["commands"][name] = ratios
    return out


def checks(full: dict) -> list[dict]:
    out = []
    if "reconcile" in full:
        out.append({"what": "reconcile end to end (s)", "value": full["reconcile"]["wall_seconds"],
                    "target": TARGETS["reconcile_seconds"],
                    "ok": full["reconcile"]["wall_seconds"] <= TARGETS["reconcile_seconds"]})
        for key, what in (("reconcile_vs_read", "reconcile / pure read, 2 threads"),
                          ("reconcile_vs_read_1thread", "reconcile / pure read, one thread")):
            if key in full:
                out.append({"what": what, "value": full[key], "target": TARGETS["reconcile_vs_read"],
                            "ok": full[key] <= TARGETS["reconcile_vs_read"]})
        out.append({"what": "reconcile peak memory (MB)", "value": full["reconcile"]["peak_mb"],
                    "target": TARGETS["peak_mb"], "ok": full["reconcile"]["peak_mb"] <= TARGETS["peak_mb"]})
    if "dropout" in full:
        out.append({"what": "dropout-check end to end (s)", "value": full["dropout"]["wall_seconds"],
                    "target": TARGETS["dropout_seconds"],
                    "ok": full["dropout"]["wall_seconds"] <= TARGETS["dropout_seconds"]})
        out.append({"what": "dropout-check peak memory (MB)", "value": full["dropout"]["peak_mb"],
                    "target": TARGETS["peak_mb"], "ok": full["dropout"]["peak_mb"] <= TARGETS["peak_mb"]})
    return out


def machine() -> dict:
    mem = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            mem = round(int(fh.readline().split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return {"cpus": os.cpu_count(), "memory_gb": mem, "python": platform.python_version(),
            "platform": platform.platform()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="bench scale (1 = SPEC size)")
    ap.add_argument("--no-tenth", dest="tenth", action="store_false", help="skip the run at one tenth")
    ap.add_argument("--seed", type=int, default=20201)
    ap.add_argument("--data", default=str(HERE / "data"), help="cache of generated inputs (git-ignored)")
    ap.add_argument("--out", default=str(HERE / "out"), help="where the commands write (git-ignored)")
    ap.add_argument("--results", default=str(HERE / "results.json"))
    ap.add_argument("--skip-dropout", action="store_true")
    ap.add_argument("--quick", action="store_true", help="no single-thread reference")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--reference-read", metavar="DIR", help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.reference_read:
        print(json.dumps(reference_read(Path(args.reference_read), args.threads)))
        return 0
    scales = [args.scale] + ([args.scale / 10] if args.tenth else [])
    results: dict = {"generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(),
                     "bench_version": bench_version(), "seed": args.seed, "targets": TARGETS, "scales": {}}
    for scale in scales:
        results["scales"][scale_label(scale)] = bench_scale(scale, args)
    full = results["scales"][scale_label(args.scale)]
    if args.tenth:
        results["growth"] = growth(full, results["scales"][scale_label(args.scale / 10)])
    if args.scale == 1.0:
        results["checks"] = checks(full)
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    Path(args.results).write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(report(results))
    print(f"\nresults: {args.results}")
    if args.strict and not all(c["ok"] for c in results.get("checks", [])):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
