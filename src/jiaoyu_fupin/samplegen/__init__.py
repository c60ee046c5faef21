"""Deterministic synthetic county generator with ground truth (the tool's independent oracle).

    python -m jiaoyu_fupin.samplegen OUTDIR [--seed N] [--scale small|bench|N] [--truth DIR]

``small`` writes the committed sample (every file format and mess, injected scenarios, truth
files); ``bench`` (or a factor N of it) writes large .xlsx inputs for ``make bench``.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_SEED = 20201
DEFAULT_TRUTH = Path("tests/data/sample_truth")


def generate_small(out: Path, seed: int = DEFAULT_SEED, truth: Path | None = None) -> dict:
    from . import exporters, mess, oracle
    from .world import PAYOUT_SEMESTER, PREV_SEMESTER, SCHOOL_YEAR, SEMESTER, WINDOW, World

    out = Path(out)
    w = World(seed)
    w.build_registry()
    mess.special_people(w)
    mess.situations(w)
    w.finalize_registry()
    w.build_others()
    mess.outsider_situations(w)
    w.finish_students()
    w.build_records()
    mess.build_payments(w)
    mess.build_lists(w)
    mess.damage_records(w)
    written = exporters.write_all(w, out)
    oracle.finalize_intents(w)
    errors = oracle.check_links(w)
    if errors:
        raise RuntimeError("generator self-check failed:\n" + "\n".join(errors[:30]))

    def rel(p: Path) -> str:
        return p.relative_to(out).as_posix()

    reg = [out / "registry" / exporters.REGISTRY_A, out / "registry" / exporters.REGISTRY_B]
    nat = [out / "national" / exporters.NATIONAL_A, out / "national" / exporters.NATIONAL_B]
    prov = out / "provincial" / exporters.PROVINCIAL
    o = out.as_posix()
    reg_args = " ".join(f"--registry {o}/{rel(p)}" for p in reg)
    commands = {
        "reconcile": f"fupin reconcile {reg_args} " + " ".join(f"--national {o}/{rel(p)}" for p in nat)
                     + f" --provincial {o}/{rel(prov)} --roster {o}/rosters --schools {o}/schools.xlsx"
                     + f" --semester {SEMESTER} -o OUT/reconcile",
        "dropout_check": f"fupin dropout-check {reg_args} --roster {o}/rosters --previous-roster "
                         f"{o}/previous_rosters --home-education {o}/home_education.xlsx --elsewhere "
                         f"{o}/elsewhere.xlsx --school-year {SCHOOL_YEAR} -o OUT/dropout",
        "payout": f"fupin payout {reg_args} --roster {o}/rosters --schools {o}/schools.xlsx "
                  f"--semester {PAYOUT_SEMESTER} -o OUT/payout",
    }
    scenario = {
        "generator": "jiaoyu_fupin.samplegen",
        "seed": seed,
        "scale": "small",
        "semester": SEMESTER,
        "skipped_semester_rows": PREV_SEMESTER,
        "school_year": SCHOOL_YEAR,
        "dropout_window": [WINDOW[0].isoformat(), WINDOW[1].isoformat()],
        "payout_semester": PAYOUT_SEMESTER,
        "region_codes": {"county": "341021", "neighbour": "341022"},
        "sizes": {
            "registry_households": len(w.households),
            "registry_persons": len(w.persons),
            "schools": 13,
            "roster_rows": len(w.roster),
            "previous_roster_rows": len(w.previous),
            "national_rows": sum(1 for r in w.payments if r.kind == "national"),
            "national_rows_previous_semester": sum(1 for r in w.payments if r.kind == "national"
                                                   and r.semester != SEMESTER),
            "provincial_rows": sum(1 for r in w.payments if r.kind == "provincial"),
            "provincial_rows_previous_semester": sum(1 for r in w.payments if r.kind == "provincial"
                                                     and r.semester != SEMESTER),
            "home_education_rows": len(w.home),
            "elsewhere_rows": len(w.elsewhere),
        },
        "scenario_counts": dict(sorted(w.scenarios.items())),
        "scenario_definitions": {k: mess.SCENARIO_DOC.get(k, "") for k in sorted(w.scenarios)},
        "files": sorted(rel(p) for p in written),
        "commands": commands,
        "notes": NOTES,
    }
    if truth is not None:
        oracle.write_truth(w, Path(truth), scenario)
    return scenario


NOTES = [
    ("truth_findings_reconcile.csv: compare findings as a multiset of (category, id_number, item, semester, "
    "expected_amount, paid_amount); sources is a ';'-joined set (order not significant); name/school/"
    "township/village/reason are informational."),
    ("expected_amount = the policy amount when the person is eligible for the item and the amount is known "
    "(boarding known, tier with an amount), else empty; paid_amount = the national sum when the national "
    "ledger has the (person, item), else the provincial sum; empty for UNPAID and person-level findings."),
    ("sources: payment findings list every payment row of that (person, item, semester) in both ledgers plus "
    "the registry row; UNPAID/UNDERPAID/OVERPAID also list the active roster row(s); OUT_OF_AREA lists the "
    "registry row; DATA_MISMATCH/INVALID_ID/NEEDS_REVIEW list the record's own row."),
    "Rows of other semesters (2020春) are 'skipped' (skip_reason 非本学期 in truth_links) and produce no findings.",
    ("Payment rows that stay unlinked (NEEDS_REVIEW / INVALID_ID) produce only that finding: no NOT_ENROLLED, "
    "NOT_REGISTERED or DUPLICATE for an unidentified person."),
    "A non-empty but unusable ID next to a G 学籍号 that links counts as a mismatch (xueji_no + DATA_MISMATCH).",
    "An empty ID with a J/L 学籍号 and no candidate is INVALID_ID (SEMANTICS: unusable ID, no G 学籍号).",
    ("HS_TUITION at a school whose tier has no amount (普通) is not checked: no UNPAID/UNDERPAID/OVERPAID and "
    "no payout row."),
    "HTML tables are sheet '表1'; CSV files have sheet ''.",
]
