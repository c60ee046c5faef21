"""Ground truth: expected links, reconcile findings, dropout statuses and the payout roster.

Findings are derived from the *expected links* (what the evidence in the files decides), never
from the hidden identities, following docs/SEMANTICS.md. The expected links are the scenario
intents; ``check_links`` re-derives every link from the rendered cell values with an independent
implementation of the linking rules and fails loudly if the two disagree (a generator bug, or an
accidental ambiguity the guards missed).
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from . import ids as idm
from . import names as nm
from .world import FUNDED_IN_SCHOOL, PAYOUT_SEMESTER, SEMESTER, STAGE_WORD, WINDOW, Rec, World, entitlements

FINDING_COLUMNS = ("category", "id_number", "name", "item", "semester", "school", "township", "village",
                   "expected_amount", "paid_amount", "reason", "confidence", "sources")
LINK_COLUMNS = ("source", "file", "sheet", "row", "true_person_id", "expected_registry_id",
                "expected_method_class", "raw_id", "raw_name", "skip_reason")
CATEGORY_ORDER = ("UNPAID", "UNDERPAID", "OVERPAID", "DUPLICATE", "NOT_REGISTERED", "NOT_ENROLLED",
                  "OUT_OF_AREA", "LEDGER_MISMATCH", "DATA_MISMATCH", "INVALID_ID", "NEEDS_REVIEW")
DROPOUT_ORDER = ("ENROLLED", "HOME_EDUCATION", "ENROLLED_ELSEWHERE", "DROPPED_OUT", "OUT_OF_AREA_UNVERIFIED",
                 "NOT_ENROLLED")
SOURCE_ORDER = {"registry": 0, "roster": 1, "previous_roster": 2, "national": 3, "provincial": 4,
                "home_education": 5, "elsewhere": 6}


def fmt_money(d: Decimal | None) -> str:
    return "" if d is None else f"{d:.2f}"


def raw_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def all_records(w: World) -> list[Rec]:
    recs = w.roster + w.previous + w.payments + w.home + w.elsewhere
    return sorted(recs, key=lambda r: (SOURCE_ORDER[r.kind], r.file, r.sheet, r.row))


def finalize_intents(w: World) -> None:
    """Default intents: registry person -> exact link, anyone else -> no link."""
    for r in all_records(w):
        p = r.person
        if not r.exp_class:
            r.exp_class = "exact" if p.registry else "none"
        if r.exp_class in ("exact", "mismatch"):
            r.exp_reg = p.pid
        else:
            r.exp_reg = ""
        r.skip = "非本学期" if r.kind in ("national", "provincial") and r.semester != SEMESTER else ""


# ----------------------------------------------------------------------------------------------
# Independent link check
# ----------------------------------------------------------------------------------------------
def derive_links(w: World, recs: list[Rec]) -> dict[int, tuple[str, str, list]]:
    """Apply SEMANTICS' linking rules to the rendered cells: id(rec) -> (class, registry_id, candidates)."""
    reg = {}
    for p in w.persons:
        st, val = idm.normalize(p.reg_id_raw)
        assert st == "valid", (p.reg_id_raw, st)
        assert val not in reg, "registry ID twice"
        reg[val] = p
    by_prefix: dict[str, list] = {}
    for pid, p in reg.items():
        by_prefix.setdefault(pid[:14], []).append(p)
    by_name: dict[str, list] = {}
    by_pinyin: dict[str, list] = {}
    for p in w.persons:
        by_name.setdefault(nm.strip_name(p.name), []).append(p)
        by_pinyin.setdefault(nm.pinyin_key(p.name), []).append(p)
    out: dict[int, tuple[str, str, list]] = {}
    state = {}
    schools: dict[str, set] = {}

    def link(r, cls, p):
        out[id(r)] = (cls, p.pid, [])
        if r.school is not None and r.kind in ("roster", "national", "provincial", "previous_roster"):
            schools.setdefault(p.pid, set()).add(r.school.name)

    for r in recs:
        st, val = idm.normalize(r.raw_id)
        xid = idm.xueji_id(r.raw_xueji)
        state[id(r)] = (st, val, xid)
        name_differs = nm.strip_name(r.raw_name) != nm.strip_name(_reg_name(reg, val, xid))
        if st in ("valid", "converted_15") and val in reg:
            link(r, "mismatch" if st == "converted_15" or name_differs else "exact", reg[val])
        elif xid and xid in reg:
            link(r, "exact" if st == "empty" and not name_differs else "mismatch", reg[xid])
    for r in recs:                                   # rule 3: one-edit typo, names agree
        if id(r) in out:
            continue
        st, val, _ = state[id(r)]
        if st == "invalid" and len(val) == 18:
            near = [reg[n] for n in idm.neighbours(val) if n in reg]
            agree = [p for p in near if nm.names_agree(p.name, r.raw_name)]
            if len(near) == 1 and len(agree) == 1:
                link(r, "mismatch", agree[0])
    for r in recs:                                   # rule 4: precision lost
        if id(r) in out:
            continue
        st, val, _ = state[id(r)]
        if st == "precision_lost":
            cands = [p for p in by_prefix.get(val[:14], []) if nm.names_agree(p.name, r.raw_name)]
            if len(cands) == 1:
                link(r, "mismatch", cands[0])
    for r in recs:                                   # rules 5 and 6
        if id(r) in out:
            continue
        st, val, xid = state[id(r)]
        bd = None
        if st in ("valid", "invalid", "precision_lost") and len(val) in (15, 18):
            bd = idm.parse_date8(val[6:14])
        if bd is None and r.raw_birth:
            bd = idm.parse_date8(r.raw_birth)
        if bd is None and r.raw_xueji.startswith("L"):
            bd = idm.parse_date8(r.raw_xueji[7:15])
        village = r.raw_village
        school = r.school.name if r.school is not None and r.kind in ("roster", "national", "provincial",
                                                                        "previous_roster") else ""
        same_name = by_name.get(nm.strip_name(r.raw_name), []) + [
            p for p in by_pinyin.get(nm.pinyin_key(r.raw_name), [])
            if nm.strip_name(p.name) != nm.strip_name(r.raw_name)]
        place = [p for p in same_name if (school and school in schools.get(p.pid, ())) or
                 (village and village == p.village)]
        if bd is not None:
            exact5 = [p for p in place if p.birth == bd]
            if len(exact5) == 1:
                present = st != "empty"
                out[id(r)] = ("mismatch" if present else "name", exact5[0].pid, [])
                continue
        cands = {p.pid for p in place}
        if bd is not None:
            cands |= {p.pid for p in same_name if p.birth == bd}
        if st == "invalid" and len(val) == 18:
            cands |= {n for n in idm.neighbours(val) if n in reg}
        if cands:
            out[id(r)] = ("review", "", sorted(cands))
        elif st in ("valid", "converted_15") or xid:
            out[id(r)] = ("none", "", [])
        else:
            out[id(r)] = ("invalid", "", [])
    return out


def _reg_name(reg, val, xid) -> str:
    p = reg.get(val) or reg.get(xid or "")
    return p.name if p else ""


def check_links(w: World) -> list[str]:
    """Compare intents with the independently derived links, per command context."""
    errors = []
    in_s = [r for r in w.payments if r.semester == SEMESTER]
    contexts = {
        "reconcile": w.roster + in_s,
        "dropout": w.roster + w.previous + w.home + w.elsewhere,
        "payout": list(w.roster),
        "previous_semester_rows": w.roster + [r for r in w.payments if r.semester != SEMESTER],
    }
    for ctx, recs in contexts.items():
        got = derive_links(w, recs)
        for r in recs:
            cls, reg_id, cands = got[id(r)]
            if (cls, reg_id) != (r.exp_class, r.exp_reg) or (cls == "review" and cands != sorted(r.candidates)):
                errors.append(f"[{ctx}] {r.ref} ({r.kind}, tags={r.tags}, raw_id={r.raw_id!r}, "
                              f"name={r.raw_name}) expected {r.exp_class}/{r.exp_reg} got {cls}/{reg_id} {cands}")
    return errors


# ----------------------------------------------------------------------------------------------
# reconcile
# ----------------------------------------------------------------------------------------------
def _own_key(r: Rec) -> str:
    st, val = idm.normalize(r.raw_id)
    if st in ("valid", "converted_15"):
        return val
    return idm.xueji_id(r.raw_xueji) or ""


def _sort_refs(refs: list[tuple]) -> str:
    seen = []
    for t in sorted(set(refs), key=lambda t: (SOURCE_ORDER[t[0]], t[1], t[2], t[3])):
        seen.append(f"{t[1]}:{t[2]}:{t[3]}")
    return ";".join(seen)


def _rref(r: Rec) -> tuple:
    return (r.kind, r.file, r.sheet, r.row)


def _regref(p) -> tuple:
    return ("registry",) + tuple(p.reg_ref)


def enrolment(w: World):
    """registry pid -> active current roster records (file order), set of pids with any record."""
    active: dict[str, list[Rec]] = {}
    anyrec: set[str] = set()
    for r in sorted(w.roster, key=lambda r: (r.file, r.row)):
        if r.exp_reg:
            anyrec.add(r.exp_reg)
            if r.active:
                active.setdefault(r.exp_reg, []).append(r)
    return active, anyrec


def reconcile(w: World) -> list[dict]:
    reg = {p.pid: p for p in w.persons}
    active, anyrec = enrolment(w)
    outsider_active = {_own_key(r) for r in w.roster if not r.exp_reg and r.exp_class == "none" and r.active}
    outsider_active.discard("")
    pays = [r for r in w.payments if r.semester == SEMESTER]
    groups: dict[tuple[str, str], dict[str, list[Rec]]] = {}
    paid_any: set[str] = set()
    for r in pays:
        if r.exp_reg:
            key = "R:" + r.exp_reg
            paid_any.add(r.exp_reg)
        elif r.exp_class == "none":
            key = "O:" + _own_key(r)
        else:
            continue                               # unidentified (review / invalid): its own finding only
        if r.ignored_item:
            continue
        groups.setdefault((key, r.item), {"national": [], "provincial": []})[r.kind].append(r)
    review_items = {(c, r.item) for r in pays if r.exp_class == "review" for c in r.candidates}

    findings: list[dict] = []

    def add(cat, pid, item="", expected=None, paid=None, refs=(), reason="", p=None, rec=None, school=""):
        if p is not None:
            name, tw, vil = p.name, p.township, p.village
        else:
            name, tw, vil = (nm.strip_name(rec.raw_name) if rec is not None else ""), "", ""
        findings.append({"category": cat, "id_number": pid, "name": name, "item": item,
                         "semester": SEMESTER,
                         "school": school, "township": tw, "village": vil,
                         "expected_amount": fmt_money(expected), "paid_amount": fmt_money(paid),
                         "reason": reason, "confidence": "", "sources": _sort_refs(list(refs))})

    def entitled(pid):
        recs = active.get(pid)
        if not recs:
            return None, {}
        first = recs[0]
        return first, dict(entitlements(first.stage, first.grade, first.boarding, first.school.tier))

    for (key, item), by in groups.items():
        nat, prov = by["national"], by["provincial"]
        rows = nat + prov
        is_reg = key.startswith("R:")
        pid = key[2:]
        p = reg.get(pid) if is_reg else None
        refs = [_rref(r) for r in rows] + ([_regref(p)] if p else [])
        school = rows[0].school.name
        dup = len(nat) >= 2 or len(prov) >= 2
        paid = sum((r.amount for r in nat), Decimal(0)) if nat else sum((r.amount for r in prov), Decimal(0))
        enrolled = (pid in active) if is_reg else (pid in outsider_active)
        first, ent = entitled(pid) if is_reg else (None, {})
        if first is not None:
            school = first.school.name
        eligible = bool(p and p.eligible and enrolled and item in ent)
        expected = ent.get(item) if eligible else None
        if dup:
            add("DUPLICATE", pid, item, expected, paid, refs, "同一项目同一学期重复发放", p, rows[0], school)
        jdlk = any(r.hardship == "建档立卡" for r in nat) or bool(prov)
        if jdlk and (not is_reg or not p.eligible):
            add("NOT_REGISTERED", pid, item, None, paid, refs,
                "非建档立卡人口" if not is_reg else f"脱贫属性为{p.hh.status}", p, rows[0], school)
        if not enrolled:
            add("NOT_ENROLLED", pid, item, None, paid, refs, "本学期无在籍学籍记录", p, rows[0], school)
        if is_reg and not dup:
            nj = [r for r in nat if r.hardship == "建档立卡"]
            if nj or prov:
                ns = sum((r.amount for r in nj), Decimal(0))
                ps = sum((r.amount for r in prov), Decimal(0))
                if not nj or not prov or ns != ps:
                    reason = ("仅省级系统有记录" if not nj else "仅全国系统有记录" if not prov
                              else f"全国 {ns:.2f} 元，省级 {ps:.2f} 元")
                    add("LEDGER_MISMATCH", pid, item, expected, paid, refs, reason, p, rows[0], school)
        if eligible and expected is not None:
            erefs = refs + [_rref(r) for r in active[pid]]
            if paid < expected:
                add("UNDERPAID", pid, item, expected, paid, erefs, "实发低于标准", p, rows[0], school)
            elif paid > expected and not dup:
                add("OVERPAID", pid, item, expected, paid, erefs, "实发高于标准", p, rows[0], school)

    for p in w.persons:
        if not p.eligible:
            continue
        first, ent = entitled(p.pid)
        if first is not None:
            for item, amount in ent.items():
                if amount is None:
                    continue                        # tier/boarding unknown: not checked
                if ("R:" + p.pid, item) in groups:
                    continue
                if (p.pid, item) in review_items:
                    continue
                refs = [_regref(p)] + [_rref(r) for r in active[p.pid]]
                add("UNPAID", p.pid, item, amount, None, refs, "应享未享", p, school=first.school.name)
        elif p.in_school in FUNDED_IN_SCHOOL and p.pid not in anyrec and p.pid not in paid_any:
            add("OUT_OF_AREA", p.pid, "", None, None, [_regref(p)],
                f"在校生状况为{p.in_school}，县内名册中无此人，本学期无资助记录", p)

    for r in sorted(w.roster + pays, key=lambda r: (SOURCE_ORDER[r.kind], r.file, r.row)):
        p = reg.get(r.exp_reg)
        school = r.school.name if r.school is not None else ""
        if r.exp_class == "mismatch":
            add("DATA_MISMATCH", r.exp_reg, "", None, None, [_rref(r)], "; ".join(r.tags), p, school=school)
        elif r.exp_class == "invalid":
            add("INVALID_ID", raw_text(r.raw_id), "", None, None, [_rref(r)], "证件号无效且无法匹配", None, r,
                school)
        elif r.exp_class == "review":
            _st, val = idm.normalize(r.raw_id)
            add("NEEDS_REVIEW", val or raw_text(r.raw_id), "", None, None, [_rref(r)],
                "候选：" + "、".join(r.candidates), None, r, school)
    order = {c: i for i, c in enumerate(CATEGORY_ORDER)}
    findings.sort(key=lambda f: (order[f["category"]], f["id_number"], f["item"], f["sources"]))
    return findings


# ----------------------------------------------------------------------------------------------
# dropout-check, payout
# ----------------------------------------------------------------------------------------------
def dropout(w: World) -> list[dict]:
    out = []
    cur: dict[str, list[Rec]] = {}
    for r in w.roster:
        if r.exp_reg:
            cur.setdefault(r.exp_reg, []).append(r)
    prev_active = {r.exp_reg for r in w.previous if r.exp_reg and r.active}
    home = {r.exp_reg for r in w.home if r.exp_reg}
    away = {r.exp_reg for r in w.elsewhere if r.exp_reg}
    for p in w.persons:
        _st, pid = idm.normalize(p.reg_id_raw)
        bd = idm.parse_date8(pid[6:14])
        if not (WINDOW[0] <= bd <= WINDOW[1]):
            continue
        recs = cur.get(pid, [])
        if any(r.active for r in recs):
            cat = "ENROLLED"
        elif pid in home:
            cat = "HOME_EDUCATION"
        elif pid in away:
            cat = "ENROLLED_ELSEWHERE"
        elif recs or pid in prev_active:
            cat = "DROPPED_OUT"
        elif p.in_school and p.in_school != "学龄前儿童":
            cat = "OUT_OF_AREA_UNVERIFIED"
        else:
            cat = "NOT_ENROLLED"
        reason = ""
        if cat == "DROPPED_OUT":
            reason = "、".join(sorted({r.status for r in recs})) or "上学期在籍，本学期名册中无此人"
        out.append({"category": cat, "id_number": pid, "name": p.name, "township": p.township,
                    "village": p.village, "reason": reason})
    order = {c: i for i, c in enumerate(DROPOUT_ORDER)}
    out.sort(key=lambda d: (order[d["category"]], d["id_number"]))
    return out


def payout(w: World) -> list[dict]:
    active, _ = enrolment(w)
    rows = []
    for p in w.persons:
        if not p.eligible or p.pid not in active:
            continue
        first = active[p.pid][0]
        for item, amount in entitlements(first.stage, first.grade, first.boarding, first.school.tier):
            if amount is None:
                continue
            rows.append({"id_number": p.pid, "name": p.name, "school": first.school.name,
                         "stage": STAGE_WORD[first.stage], "grade": str(first.grade), "item": item,
                         "semester": PAYOUT_SEMESTER, "amount": fmt_money(amount)})
    rows.sort(key=lambda d: (d["id_number"], d["item"]))
    return rows


# ----------------------------------------------------------------------------------------------
# writing
# ----------------------------------------------------------------------------------------------
def _csv_bytes(columns, rows) -> bytes:
    buf = io.StringIO()
    wr = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    wr.writeheader()
    for row in rows:
        wr.writerow(row)
    return buf.getvalue().encode("utf-8-sig")


def links_rows(w: World) -> list[dict]:
    rows = []
    for r in all_records(w):
        rows.append({"source": r.kind, "file": r.file, "sheet": r.sheet, "row": r.row,
                     "true_person_id": r.person.pid, "expected_registry_id": r.exp_reg,
                     "expected_method_class": r.exp_class, "raw_id": raw_text(r.raw_id), "raw_name": r.raw_name,
                     "skip_reason": r.skip})
    return rows


def write_truth(w: World, truth: Path, scenario: dict) -> dict[str, int]:
    import json
    truth.mkdir(parents=True, exist_ok=True)
    rec = reconcile(w)
    drop = dropout(w)
    pay = payout(w)
    (truth / "truth_links.csv").write_bytes(_csv_bytes(LINK_COLUMNS, links_rows(w)))
    (truth / "truth_findings_reconcile.csv").write_bytes(_csv_bytes(FINDING_COLUMNS, rec))
    (truth / "truth_dropout.csv").write_bytes(_csv_bytes(("category", "id_number", "name", "township", "village",
                                                          "reason"), drop))
    (truth / "truth_payout.csv").write_bytes(_csv_bytes(("id_number", "name", "school", "stage", "grade", "item",
                                                         "semester", "amount"), pay))
    counts = {}
    for f in rec:
        counts[f["category"]] = counts.get(f["category"], 0) + 1
    dcounts = {}
    for d in drop:
        dcounts[d["category"]] = dcounts.get(d["category"], 0) + 1
    scenario["expected_reconcile_findings"] = {c: counts.get(c, 0) for c in CATEGORY_ORDER}
    scenario["expected_dropout"] = {c: dcounts.get(c, 0) for c in DROPOUT_ORDER}
    scenario["expected_payout"] = {"rows": len(pay), "persons": len({r["id_number"] for r in pay}),
                                   "amount": fmt_money(sum((Decimal(r["amount"]) for r in pay), Decimal(0)))}
    classes = {}
    for r in all_records(w):
        classes[r.exp_class] = classes.get(r.exp_class, 0) + 1
    scenario["expected_link_classes"] = classes
    (truth / "scenario.json").write_text(json.dumps(scenario, ensure_ascii=False, indent=2) + "\n",
                                         encoding="utf-8")
    return counts
