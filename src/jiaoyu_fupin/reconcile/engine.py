"""reconcile: eligibility × payments → findings (SPEC.md categories, docs/SEMANTICS.md).

Works on the frames ``link.prepare`` builds. Everything is a groupby/merge over whole columns;
the per-finding Python work is only the building of finding rows (a few per problem).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from jiaoyu_fupin.link.engine import method_label
from jiaoyu_fupin.link.prepare import Prepared
from jiaoyu_fupin.normalize.semesters import Semester, parse_semesters
from jiaoyu_fupin.normalize.values import (
    boardings, enrolment_statuses, parse_amounts, parse_grades, parse_tiers, stages_from_school_names,
)
from jiaoyu_fupin.policy.model import IGNORED, Policy
from jiaoyu_fupin.reconcile.findings import CATEGORY_ORDER, Finding, money

ZERO = Decimal("0")


@dataclass
class Context:
    """Derived per-person facts reconcile, payout and dropout share."""

    reg: pd.DataFrame          # registry persons + eligible, enrolled, stage, grade, boarding, school, tier
    roster: pd.DataFrame       # roster records + active, stage, grade, boarding, tier, person
    warnings: list[str] = field(default_factory=list)


def registry_status(reg: pd.DataFrame) -> pd.Series:
    """The status the policy classifies: 监测对象类别 when given, else 脱贫属性, else 户类型."""
    s = reg["monitor_type"].astype(object).fillna("")
    s = s.where(s != "", reg["poverty_status"].astype(object).fillna(""))
    return s.where(s != "", reg["household_type"].astype(object).fillna(""))


def classify_registry(reg: pd.DataFrame, policy: Policy, warnings: list[str]) -> pd.Series:
    status = registry_status(reg)
    elig = policy.eligibility(status)
    unknown = elig.isna() & (status != "")
    if unknown.any():
        counts = status[unknown].value_counts().to_dict()
        policy.check_values("poverty_status", counts, where="建档立卡库")
    blank = int((status == "").sum())
    if blank:
        warnings.append(f"建档立卡库中有 {blank} 人未填写脱贫属性/监测对象类别，按享受政策处理")
    return elig.fillna(True).astype(bool)


def school_tiers(prep: Prepared) -> dict[str, str]:
    """school (normalized) → tier from the schools list."""
    from jiaoyu_fupin.link.prepare import norm_place
    out: dict[str, str] = {}
    for role, t in prep.table_list:
        if role != "schools" or "school" not in t.df.columns or "tier" not in t.df.columns:
            continue
        names = norm_place(t.df["school"].astype(object).fillna(""))
        tiers = parse_tiers(t.df["tier"])
        out.update({n: tr for n, tr in zip(names, tiers) if n and tr})
    return out


def school_stages(prep: Prepared) -> dict[str, str]:
    from jiaoyu_fupin.link.prepare import norm_place
    from jiaoyu_fupin.normalize.values import parse_stages
    out: dict[str, str] = {}
    for role, t in prep.table_list:
        if role != "schools" or "school" not in t.df.columns or "stage" not in t.df.columns:
            continue
        names = norm_place(t.df["school"].astype(object).fillna(""))
        st = parse_stages(t.df["stage"])
        out.update({n: s for n, s in zip(names, st) if n and s})
    return out


def student_facts(frame: pd.DataFrame, prep: Prepared) -> pd.DataFrame:
    """stage, grade, boarding, tier of each record from its own columns and the schools list."""
    stage_col = frame["stage"].astype(object)
    by_list = frame["school_n"].map(school_stages(prep)).astype(object).fillna("")
    by_name = stages_from_school_names(frame["school"])
    from jiaoyu_fupin.normalize.values import parse_stages
    hint = parse_stages(stage_col)
    hint = hint.where(hint != "", by_list).where(lambda x: x != "", by_name)
    grades = parse_grades(frame["grade"], hint)
    stage = grades["stage"].astype(object).where(grades["stage"] != "", hint)
    tiers = parse_tiers(frame["tier"]).astype(object)
    tiers = tiers.where(tiers != "", frame["school_n"].map(school_tiers(prep)).astype(object).fillna(""))
    return pd.DataFrame({"stage": stage.to_numpy(dtype=object),
                         "grade": grades["grade"].astype(object).where(grades["grade"].notna(), "").to_numpy(),
                         "boarding_n": boardings(frame["boarding"]).to_numpy(dtype=object),
                         "tier_n": tiers.to_numpy(dtype=object)}, index=frame.index)


def build_context(prep: Prepared, policy: Policy, roster_roles=("roster",)) -> Context:
    warnings: list[str] = []
    reg = prep.reg.copy()
    reg["eligible"] = classify_registry(reg, policy, warnings).to_numpy()
    rec = prep.rec
    roster = rec[rec["role"].isin(roster_roles)].copy()
    status = enrolment_statuses(roster["enrolment_status"])
    active = policy.activity(status)
    unknown = active.isna() & (status != "")
    if unknown.any():
        policy.check_values("enrolment_status", status[unknown].value_counts().to_dict(), where="学生名册")
    blank = int((status == "").sum())
    if blank:
        warnings.append(f"学生名册中有 {blank} 行未填写学籍状态，按在读处理")
    roster["active"] = active.fillna(True).astype(bool).to_numpy()
    roster["status_n"] = status.to_numpy(dtype=object)
    facts = student_facts(roster, prep)
    for c in facts.columns:
        roster[c] = facts[c].to_numpy()
    roster["person"] = np.where(roster["link_reg"] >= 0, "R" + roster["registry_id"].astype(str),
                                np.where(roster["link_status"] == "none",
                                         np.where(roster["id"].isin([""]) | ~roster["id_status"].isin(
                                             ["valid", "converted_15"]),
                                             np.where(roster["xueji_id"] != "", "X" + roster["xueji_id"], ""),
                                             "X" + roster["id"]), ""))
    # enrolment of registry persons: first active record (file order)
    act = roster[roster["active"] & (roster["link_reg"] >= 0)]
    first = act.drop_duplicates("link_reg")
    n_active = act.groupby("link_reg").size()
    reg["enrolled"] = False
    reg["any_roster"] = False
    for c in ("stage", "grade", "boarding_n", "tier_n", "school", "class", "grade_raw", "roster_ref",
              "enrol_status", "roster_match"):
        reg[c] = pd.Series([""] * len(reg), index=reg.index, dtype=object)
    idx = first["link_reg"].to_numpy()
    reg.loc[idx, "enrolled"] = True
    reg.loc[idx, "stage"] = first["stage"].to_numpy()
    reg.loc[idx, "grade"] = first["grade"].to_numpy()
    reg.loc[idx, "boarding_n"] = first["boarding_n"].to_numpy()
    reg.loc[idx, "tier_n"] = first["tier_n"].to_numpy()
    reg.loc[idx, "school"] = first["school"].to_numpy()
    reg.loc[idx, "class"] = first["class"].to_numpy()
    reg.loc[idx, "grade_raw"] = first["grade"].to_numpy()
    reg.loc[idx, "roster_ref"] = (first["file"] + ":" + first["sheet"] + ":" + first["row"].astype(str)).to_numpy()
    reg.loc[idx, "enrol_status"] = first["status_n"].to_numpy()
    reg.loc[idx, "roster_match"] = [method_label(m) for m in first["link_method"]]
    reg["n_active"] = n_active.reindex(np.arange(len(reg))).fillna(0).astype(int).to_numpy()
    anyr = roster[roster["link_reg"] >= 0]
    reg.loc[anyr["link_reg"].unique(), "any_roster"] = True
    # inactive-only registry persons: show their last status/school for the ledgers
    inact = anyr[~anyr["link_reg"].isin(idx)].drop_duplicates("link_reg")
    ii = inact["link_reg"].to_numpy()
    reg.loc[ii, "school"] = inact["school"].to_numpy()
    reg.loc[ii, "enrol_status"] = inact["status_n"].to_numpy()
    reg.loc[ii, "stage"] = inact["stage"].to_numpy()
    reg.loc[ii, "grade"] = inact["grade"].to_numpy()
    reg.loc[ii, "class"] = inact["class"].to_numpy()
    reg.loc[ii, "roster_ref"] = (inact["file"] + ":" + inact["sheet"] + ":" + inact["row"].astype(str)).to_numpy()
    return Context(reg, roster, warnings)


def _ref(frame: pd.DataFrame) -> pd.Series:
    return frame["file"].astype(str) + ":" + frame["sheet"].astype(str) + ":" + frame["row"].astype(str)


@dataclass
class ReconcileResult:
    semester: str
    findings: list[Finding]
    rec: pd.DataFrame
    reg: pd.DataFrame
    accounting: dict
    warnings: list[str]
    counts: dict


def reconcile(prep: Prepared, policy: Policy, semester: Semester) -> ReconcileResult:
    sem = str(semester)
    ctx = build_context(prep, policy)
    reg = ctx.reg
    warnings = list(ctx.warnings)
    rec = prep.rec
    rec["ref"] = _ref(rec).to_numpy()
    findings: list[Finding] = []

    # ---- payments of the semester ---------------------------------------------------------------
    pay = rec[rec["role"].isin(["national", "provincial"])].copy()
    pay_sem = parse_semesters(pay["semester"], pay["school_year"]).astype(object)
    pay["sem"] = pay_sem.to_numpy()
    other_sem = pay["sem"].ne("") & pay["sem"].ne(sem)
    no_sem = pay["sem"].eq("")
    # rows with no readable semester: assumed to be this semester when their file holds no other
    if no_sem.any():
        files_with_other = set(pay.loc[other_sem, "file"])
        assume = no_sem & ~pay["file"].isin(files_with_other)
        pay.loc[assume, "sem"] = sem
        rec.loc[pay.index[assume], "sem_assumed"] = True
    rec["skip_reason"] = ""
    rec.loc[pay.index[pay["sem"] != sem], "skip_reason"] = np.where(
        pay.loc[pay["sem"] != sem, "sem"] == "", "学期无法识别且文件含其他学期", "非本学期（" + sem + "以外）")
    pay = pay[pay["sem"] == sem].copy()
    pay["amount_d"] = parse_amounts(pay["amount"]).to_numpy()
    bad_amount = pay["amount_d"].isna() & (pay["amount"].astype(str).str.strip() != "")
    if bad_amount.any():
        r = pay[bad_amount].iloc[0]
        warnings.append(f"{int(bad_amount.sum())} 行金额无法识别（如 {r['file']} 第 {r['row']} 行“{r['amount']}”），按 0 计")
    pay["amount_d"] = pay["amount_d"].where(pay["amount_d"].notna(), ZERO)
    # stage of the student: enrolment for registry persons, else the row's own grade/school
    facts = student_facts(pay, prep)
    linked = pay["link_reg"].to_numpy() >= 0
    st_reg = np.where(linked, reg["stage"].to_numpy(dtype=object)[np.maximum(pay["link_reg"].to_numpy(), 0)], "")
    pay["stage_use"] = np.where(st_reg != "", st_reg, facts["stage"].to_numpy(dtype=object))
    codes = policy.resolve_items(pay["item"], pay["stage_use"])
    unresolved = codes.isna()
    if unresolved.any():
        policy.check_values("item", pay.loc[unresolved, "item"].value_counts().to_dict(), where="资助发放数据")
    pay["code"] = codes.to_numpy()
    pay = pay[pay["code"] != IGNORED].copy()
    jd = policy.jdlk(pay["hardship_type"])
    unknown = jd.isna() & (pay["hardship_type"].astype(str).str.strip() != "")
    if unknown.any():
        policy.check_values("hardship_type", pay.loc[unknown, "hardship_type"].value_counts().to_dict(),
                            where="全国学生资助系统")
    pay["jdlk"] = jd.fillna(False).astype(bool).to_numpy() | (pay["role"] == "provincial").to_numpy()
    # person key
    linked = pay["link_reg"].to_numpy() >= 0
    usable = pay["id_status"].isin(["valid", "converted_15"])
    own = np.where(usable, "X" + pay["id"], np.where(pay["xueji_id"] != "", "X" + pay["xueji_id"], ""))
    pay["person"] = np.where(linked, "R" + pay["registry_id"].astype(str),
                             np.where(pay["link_status"] == "none", own, ""))
    judged = pay[pay["person"] != ""]
    # a slim, object-typed frame: findings take small row subsets of it many times
    slim_cols = ["ref", "link_method", "link_score", "school", "name", "township", "village", "grade", "jdlk",
                 "person", "code", "role", "amount_d", "file", "sheet", "row"]
    judged = pd.DataFrame({c: judged[c].to_numpy(dtype=object) for c in slim_cols})
    judged["link_score"] = judged["link_score"].astype(float)
    judged["jdlk"] = judged["jdlk"].astype(bool)

    reg_by_rid = reg.set_index("rid", drop=False)
    reg_by_rid = reg_by_rid[~reg_by_rid.index.duplicated()]
    roster_active_people = set(ctx.roster.loc[ctx.roster["active"], "person"]) - {""}
    reg_enrolled = set("R" + reg.loc[reg["enrolled"], "rid"])
    enrolled_people = roster_active_people | reg_enrolled

    def person_info(person: str, row: pd.Series | None = None) -> dict:
        if person.startswith("R"):
            r = reg_by_rid.loc[person[1:]]
            return {"id_number": r["rid"], "name": r["name_raw"],
                    "school": r["school"] or (row["school"] if row is not None else ""),
                    "township": r["township"], "village": r["village"], "household_no": r["household_no"],
                    "grade": grade_text(r["stage"], r["grade"])}
        return {"id_number": person[1:],
                "name": row["name"] if row is not None else "",
                "school": row["school"] if row is not None else "",
                "township": row["township"] if row is not None else "",
                "village": row["village"] if row is not None else "", "household_no": "",
                "grade": row["grade"] if row is not None else ""}

    def add(category: str, person: str, item: str, rows: pd.DataFrame | None, *, expected=None, paid=None,
            reason: str = "", confidence: float = 1.0, extra_refs: list[str] | None = None) -> None:
        first = rows.iloc[0] if rows is not None and len(rows) else None
        info = person_info(person, first)
        refs = list(rows["ref"]) if rows is not None else []
        if extra_refs:
            refs += [r for r in extra_refs if r and r not in refs]
        match = ""
        if rows is not None and len(rows):
            match = "；".join(dict.fromkeys(method_label(m) for m in rows["link_method"]))
            confidence = float(rows["link_score"].min()) if rows["link_score"].min() > 0 else confidence
        elif person.startswith("R"):
            match = reg_by_rid.loc[person[1:], "roster_match"]
        findings.append(Finding(category=category, id_number=info["id_number"], name=info["name"], item=item,
                                semester=sem, school=info["school"], township=info["township"],
                                village=info["village"], expected_amount=expected, paid_amount=paid,
                                reason=reason, confidence=confidence, sources=tuple(refs),
                                household_no=info["household_no"], grade=info["grade"], match=match))

    # ---- sums per (person, item, ledger), once over the rows -----------------------------------------
    sums: dict[tuple[str, str, str], Decimal] = {}
    nrows: dict[tuple[str, str, str], int] = {}
    idx_by_key: dict[tuple[str, str], list] = {}
    for i, person, code, role, amt in zip(range(len(judged)), judged["person"], judged["code"], judged["role"],
                                          judged["amount_d"]):
        k3 = (person, code, role)
        sums[k3] = sums.get(k3, ZERO) + amt
        nrows[k3] = nrows.get(k3, 0) + 1
        idx_by_key.setdefault((person, code), []).append(i)
    class _Rows(dict):
        """(person, item) → the payment rows behind it, built only when a finding needs them."""

        def __missing__(self, key):
            idx = idx_by_key.get(key)
            return judged.iloc[idx] if idx else None

        def get(self, key, default=None):
            return self[key] if key in idx_by_key else default

        def items(self):
            return ((k, self[k]) for k in idx_by_key)

    rows_by_key = _Rows()
    paid: dict[tuple[str, str], Decimal] = {}
    paid_by_person: dict[str, list[tuple[str, Decimal]]] = {}
    for (person, code) in idx_by_key:
        nat_amt = sums.get((person, code, "national"))
        amt = nat_amt if nat_amt is not None else sums[(person, code, "provincial")]
        paid[(person, code)] = amt
        paid_by_person.setdefault(person, []).append((code, amt))

    # ---- DUPLICATE ---------------------------------------------------------------------------------
    dup_keys: set[tuple[str, str]] = set()
    for (person, code, role), n in nrows.items():
        if n < 2 or (person, code) in dup_keys:
            continue
        dup_keys.add((person, code))
        rows = rows_by_key[(person, code)]
        total = sums[(person, code, role)]
        exp = _expected(policy, code, sem, reg_by_rid.loc[person[1:]]) if person.startswith("R") else None
        label = "全国学生资助系统" if role == "national" else "省建档立卡资助系统"
        add("DUPLICATE", person, code, rows, expected=exp, paid=total,
            reason=f"{label}中同一学期同一项目发放 {n} 次，合计 {money(total)} 元")

    # ---- NOT_ENROLLED / NOT_REGISTERED --------------------------------------------------------------
    not_enrolled_people: set[str] = set()
    roster_people = set(ctx.roster["person"])
    jdlk_set = set(zip(judged.loc[judged["jdlk"], "person"], judged.loc[judged["jdlk"], "code"]))
    for (person, code) in idx_by_key:
        if person in enrolled_people and (person, code) not in jdlk_set:
            continue
        rows = rows_by_key[(person, code)]
        if person not in enrolled_people:
            not_enrolled_people.add(person)
            where = "未在任何学生名册中找到" if (person.startswith("R") and not reg_by_rid.loc[person[1:], "any_roster"]) \
                or (person.startswith("X") and person not in roster_people) else "学籍状态不是在读"
            add("NOT_ENROLLED", person, code, rows, paid=paid.get((person, code)),
                reason=f"本学期{where}，却领取了资助")
        jrows = rows[rows["jdlk"]]
        if len(jrows):
            if person.startswith("X"):
                add("NOT_REGISTERED", person, code, jrows, paid=paid.get((person, code)),
                    reason="按建档立卡学生发放，但建档立卡库中查无此人")
            elif not reg_by_rid.loc[person[1:], "eligible"]:
                st = registry_status(reg_by_rid.loc[[person[1:]]]).iloc[0]
                add("NOT_REGISTERED", person, code, jrows, paid=paid.get((person, code)),
                    reason=f"按建档立卡学生发放，但建档立卡库中状态为“{st}”，不再享受政策")

    # ---- eligible registry persons: UNPAID / UNDERPAID / OVERPAID -----------------------------------
    review_recs = rec[rec["link_status"] == "review"]
    review_block: set[tuple[str, str]] = set()
    review_people: set[str] = set()
    if len(review_recs):
        rv_facts = student_facts(review_recs, prep)
        rv_codes = policy.resolve_items(review_recs["item"], rv_facts["stage"])
        for cands, code in zip(review_recs["link_candidates"], rv_codes):
            for rid in str(cands).split(";"):
                if rid:
                    review_people.add(rid)
                    if code and code != IGNORED:
                        review_block.add(("R" + rid, code))
    not_checked: dict[str, int] = {}
    elig = reg[reg["eligible"] & reg["enrolled"]]
    for r in elig.itertuples(index=False):
        person = "R" + r.rid
        if person in not_enrolled_people:
            continue
        items = policy.entitled_items(r.stage or None, r.grade if r.grade != "" else None)
        for it in items:
            res = policy.amount_result(it.code, sem, r.boarding_n or None, r.tier_n or None)
            key = (person, it.code)
            paid_amt = paid.get(key)
            if res.amount is None and policy.item(it.code).rate.kind == "tier":
                not_checked[res.reason] = not_checked.get(res.reason, 0) + 1
                continue
            if paid_amt is None:
                if key in review_block:
                    continue
                add("UNPAID", person, it.code, None, expected=res.amount, paid=None,
                    reason=f"{r.stage}{_grade_label(r.grade)}在读，{'住校' if r.boarding_n == '住校' else ('走读' if r.boarding_n else '')}"
                           f"应享受{it.name}，本学期未发放" + (f"（{res.reason}）" if res.reason else ""),
                    extra_refs=[r.roster_ref])
                continue
            if key in dup_keys or res.amount is None:
                continue
            if paid_amt < res.amount:
                add("UNDERPAID", person, it.code, rows_by_key.get(key), expected=res.amount, paid=paid_amt,
                    reason=f"应发 {money(res.amount)} 元（{r.boarding_n or ''}），实发 {money(paid_amt)} 元")
            elif paid_amt > res.amount:
                add("OVERPAID", person, it.code, rows_by_key.get(key), expected=res.amount, paid=paid_amt,
                    reason=f"应发 {money(res.amount)} 元（{r.boarding_n or ''}），实发 {money(paid_amt)} 元")
        entitled = {it.code for it in items}
        for code, amt in paid_by_person.get(person, []):
            if code not in entitled and (person, code) not in dup_keys:
                add("OVERPAID", person, code, rows_by_key.get((person, code)), expected=ZERO, paid=amt,
                    reason=f"{r.stage}{_grade_label(r.grade)}不在该项目的资助范围内")
    for reason, n in not_checked.items():
        warnings.append(f"{n} 人次未核对金额：{reason}")

    # ---- LEDGER_MISMATCH ----------------------------------------------------------------------------
    if prep.loaded.tables.get("provincial"):
        jdlk_keys = set(zip(judged.loc[judged["jdlk"], "person"], judged.loc[judged["jdlk"], "code"]))
        for (person, code) in idx_by_key:
            if not person.startswith("R") or (person, code) in dup_keys or (person, code) not in jdlk_keys:
                continue
            n_amt = sums.get((person, code, "national"))
            p_amt = sums.get((person, code, "provincial"))
            if n_amt is not None and p_amt is not None and n_amt == p_amt:
                continue
            if n_amt is None:
                reason = f"省建档立卡资助系统有发放记录（{money(p_amt)} 元），全国学生资助系统没有"
            elif p_amt is None:
                reason = f"全国学生资助系统有发放记录（{money(n_amt)} 元），省建档立卡资助系统没有"
            else:
                reason = f"金额不一致：全国 {money(n_amt)} 元，省 {money(p_amt)} 元"
            add("LEDGER_MISMATCH", person, code, rows_by_key[(person, code)], expected=None,
                paid=n_amt if n_amt is not None else p_amt, reason=reason)

    # ---- OUT_OF_AREA -------------------------------------------------------------------------------
    paid_people = set(judged["person"])
    from jiaoyu_fupin.normalize.values import parse_grades as _pg
    ins = _pg(reg["in_school_status"])
    ins_grade = ins["grade"].astype(object).where(ins["grade"].notna(), None)
    funded = set(policy.funded_stages)
    for i, r in enumerate(reg.itertuples(index=False)):
        if not r.eligible or r.any_roster:
            continue
        stage_i, grade_i = ins["stage"].iat[i], ins_grade.iat[i]
        if stage_i not in funded:
            continue
        if not policy.entitled_items(stage_i, grade_i if grade_i not in ("", None) else None):
            continue
        person = "R" + r.rid
        if person in paid_people or r.rid in review_people:
            continue
        add("OUT_OF_AREA", person, "", None,
            reason=f"建档立卡库在校生状况为“{r.in_school_status}”，但不在本县任何学校名册中，本学期也无资助记录：需发函外地学校核实就读情况")

    # ---- record-level: DATA_MISMATCH, INVALID_ID, NEEDS_REVIEW ---------------------------------------
    mine = rec[rec["role"].isin(["roster", "national", "provincial"])]
    for r in mine[(mine["link_status"] == "linked") & (mine["link_mismatch"] != "")].itertuples(index=False):
        g = reg.iloc[r.link_reg]
        findings.append(Finding("DATA_MISMATCH", g["rid"], g["name"], "", sem, r.school, g["township"], g["village"],
                                None, None, f"{r.link_mismatch}：原表证件号“{r.id_number}”、姓名“{r.name}”；"
                                f"建档立卡库为“{g['rid']}”、“{g['name']}”",
                                float(r.link_score), (r.ref,)))
    for r in mine[mine["link_status"] == "invalid"].itertuples(index=False):
        findings.append(Finding("INVALID_ID", r.id_number, r.name, "", sem, r.school, r.township, r.village,
                                None, None, _invalid_reason(r.id_status, r.id_note), 0.0, (r.ref,)))
    for r in mine[mine["link_status"] == "review"].itertuples(index=False):
        cands = [c for c in str(r.link_candidates).split(";") if c]
        names = []
        for c in cands:
            if c in reg_by_rid.index:
                names.append(f"{reg_by_rid.loc[c, 'name']}（{c}）")
        own = r.id if r.id_status in ("valid", "converted_15") else r.id_number
        findings.append(Finding("NEEDS_REVIEW", own, r.name, "", sem, r.school, r.township, r.village, None, None,
                                "证据不足以确定是哪一个人，候选：" + "；".join(names), 0.5, (r.ref,)))

    findings.sort(key=lambda f: (CATEGORY_ORDER.index(f.category), f.township, f.village, f.school,
                                 f.id_number, f.item))
    counts = {c: 0 for c in CATEGORY_ORDER}
    for f in findings:
        counts[f.category] += 1
    accounting = account(prep, rec)
    return ReconcileResult(sem, findings, rec, reg, accounting, warnings, counts)


def grade_text(stage, grade) -> str:
    """'初中8年级', '高中1年级', '小学' for the ledgers."""
    return f"{stage or ''}{_grade_label(grade)}"


def _grade_label(grade) -> str:
    if grade in ("", None) or (isinstance(grade, float) and np.isnan(grade)):
        return ""
    return f"{int(grade)}年级"


def _expected(policy: Policy, code: str, sem: str, r: pd.Series):
    try:
        return policy.amount(code, sem, r["boarding_n"] or None, r["tier_n"] or None)
    except KeyError:
        return None


def _invalid_reason(status: str, note: str) -> str:
    base = {
        "bad_checksum": "证件号校验位错误",
        "bad_date": "证件号中的出生日期不存在",
        "wrong_length": "证件号位数或字符不对",
        "precision_lost": "证件号被 Excel 转成数字、后几位已丢失（须以文本格式重新导出）",
    }.get(status, "证件号无效")
    return base + "，且无法按姓名、出生日期、学校或村找到对应的人" + (f"（{note}）" if note else "")


def account(prep: Prepared, rec: pd.DataFrame) -> dict:
    """Row accounting per input table: every data row read is in exactly one bucket."""
    out = []
    # group once (slim columns) instead of filtering the wide frames per table
    reg_slim = pd.DataFrame({"table": prep.reg_rows["table"].to_numpy(), "id": prep.reg_rows["id"].to_numpy(dtype=object),
                             "person": prep.reg_rows["person"].to_numpy(), "rid": prep.reg_rows["rid"].to_numpy(dtype=object),
                             "name_n": prep.reg_rows["name_n"].to_numpy(dtype=object)})
    reg_by_table = dict(tuple(reg_slim.groupby("table", sort=False)))
    rec_slim = pd.DataFrame({"table": rec["table"].to_numpy(),
                             "skip_reason": (rec["skip_reason"].astype(object).fillna("").to_numpy()
                                             if "skip_reason" in rec.columns else np.full(len(rec), "", dtype=object)),
                             "link_status": rec["link_status"].to_numpy(dtype=object)})
    rec_by_table = dict(tuple(rec_slim.groupby("table", sort=False)))
    empty_rec = rec_slim.iloc[:0]
    for ti, (role, t) in enumerate(prep.table_list):
        entry = {"role": role, "file": t.file, "sheet": t.sheet, "path": t.path, "header_row": t.header_row,
                 "source": t.source, "read": t.rows_read, "skipped": {}, "rejected": {}}
        for issue in t.skipped:
            entry["skipped"][issue.reason] = entry["skipped"].get(issue.reason, 0) + 1
        for issue in t.rejected:
            entry["rejected"][issue.reason] = entry["rejected"].get(issue.reason, 0) + 1
        if role == "registry":
            rows = reg_by_table.get(ti, reg_slim.iloc[:0])
            no_id = int((rows["id"] == "").sum())
            dup = int(((rows["person"] >= 0) & rows.duplicated(["rid", "name_n"])).sum())
            entry["registry_persons"] = int(len(rows) - no_id - dup)
            if dup:
                entry["skipped"]["建档立卡库中重复的人员行（同一证件号、同一姓名）"] = dup
            if no_id:
                entry["rejected"]["建档立卡库中该人员缺少证件号，无法比对"] = no_id
        elif role != "schools":
            rows = rec_by_table.get(ti, empty_rec)
            skip = rows["skip_reason"]
            for reason, n in skip[skip != ""].value_counts().items():
                entry["skipped"][reason] = int(n)
            live = rows[skip == ""]
            st = live["link_status"]
            entry["linked"] = int((st == "linked").sum())
            entry["unlinked_legitimate"] = int((st == "none").sum())
            entry["needs_review"] = int((st == "review").sum())
            entry["invalid_id"] = int((st == "invalid").sum())
        else:
            entry["used"] = len(t.df)
        parts = sum(entry["skipped"].values()) + sum(entry["rejected"].values())
        parts += sum(entry.get(k, 0) for k in ("registry_persons", "linked", "unlinked_legitimate",
                                                 "needs_review", "invalid_id", "used"))
        entry["accounted"] = parts
        entry["ok"] = parts == entry["read"]
        out.append(entry)
    return {"tables": out, "ok": all(e["ok"] for e in out),
            "rows_read": sum(e["read"] for e in out)}
