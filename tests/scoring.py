"""Score findings.csv / links.csv against a generator's ground truth (precision and recall)."""

from __future__ import annotations

import csv
from pathlib import Path

RECORD_LEVEL = {"DATA_MISMATCH", "INVALID_ID", "NEEDS_REVIEW"}


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def finding_key(row: dict) -> tuple:
    cat = row["category"]
    if cat in RECORD_LEVEL:
        first = row["sources"].split(";")[0] if row["sources"] else ""
        return (cat, first)
    return (cat, row["id_number"], row.get("item", ""))


def score(got_keys: set, truth_keys: set) -> dict[str, dict]:
    cats = {k[0] for k in got_keys | truth_keys}
    out = {}
    for c in sorted(cats):
        g = {k for k in got_keys if k[0] == c}
        t = {k for k in truth_keys if k[0] == c}
        tp = len(g & t)
        out[c] = {"tp": tp, "got": len(g), "truth": len(t),
                  "precision": tp / len(g) if g else 1.0, "recall": tp / len(t) if t else 1.0,
                  "extra": sorted(g - t)[:10], "missed": sorted(t - g)[:10]}
    return out


def score_findings(findings_csv: Path, truth_csv: Path) -> dict[str, dict]:
    got = {finding_key(r) for r in read_csv(findings_csv)}
    truth = {finding_key(r) for r in read_csv(truth_csv)}
    return score(got, truth)


def score_links(links_csv: Path, truth_csv: Path) -> dict:
    rows = read_csv(links_csv)
    got = {(r["file"], r["sheet"], r["row"]): r["registry_id"] for r in rows}
    sources = {r["source"] for r in rows}
    truth = {(r["file"], r["sheet"], r["row"]): r["expected_registry_id"] for r in read_csv(truth_csv)
             if r["source"] in sources}
    missing_rows = [k for k in truth if k not in got]
    tp = sum(1 for k, v in got.items() if v and truth.get(k) == v)
    got_n = sum(1 for v in got.values() if v)
    truth_n = sum(1 for v in truth.values() if v)
    wrong = [(k, v, truth.get(k)) for k, v in got.items() if v and truth.get(k) != v]
    missed = [(k, got.get(k), v) for k, v in truth.items() if v and got.get(k) != v]
    return {"precision": tp / got_n if got_n else 1.0, "recall": tp / truth_n if truth_n else 1.0,
            "tp": tp, "got": got_n, "truth": truth_n, "wrong": wrong[:10], "missed": missed[:10],
            "rows_missing": missing_rows[:10], "n_rows_missing": len(missing_rows)}


def report(scores: dict[str, dict]) -> str:
    lines = []
    for c, s in scores.items():
        lines.append(f"{c:16} P={s['precision']:.3f} R={s['recall']:.3f} (tp {s['tp']}, got {s['got']}, "
                     f"truth {s['truth']})")
        for k in s["extra"]:
            lines.append(f"    extra  {k}")
        for k in s["missed"]:
            lines.append(f"    missed {k}")
    return "\n".join(lines)
