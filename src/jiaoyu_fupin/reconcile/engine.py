"""reconcile: eligibility × payments → findings (SPEC.md categories, docs/SEMANTICS.md).

Works on the frames ``link.prepare`` builds. Everything is a groupby/merge over whole columns;
the per-finding Python work is only the building of finding rows (a few per problem).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from jiaoyu_fupin.link.engine import combined_codes, method_label
from jiaoyu_fupin.link.prepare import Prepared
from jiaoyu_fupin.normalize.semesters import Semester, parse_semesters
from jiaoyu_fupin.normalize.values import (
    boardings,
    enrolment_statuses,
    parse_amounts,
    parse_grades,
    parse_tiers,
    stages_from_school_names,
)
from jiaoyu_fupin.policy.model import IGNORED, Policy
from jiaoyu_fupin.reconcile.findings import CATEGORY_ORDER, Finding, money

ZERO = Decimal(0)


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


FACT_COLUMNS = ("stage", "school_n", "school", "grade", "tier", "boarding")


def student_facts(frame: pd.DataFrame, prep: Prepared) -> pd.DataFrame:
    """stage, grade, boarding, tier of each record from its own columns and the schools list
    (worked out once per distinct combination of the columns they depend on)."""
    if not len(frame):
        return _student_facts(frame, prep)
    key, first = combined_codes([frame[c].to_numpy(dtype=object) for c in FACT_COLUMNS])
    # key k is the k-th distinct combination, first seen at row first[k]
    distinct = frame.iloc[first][list(FACT_COLUMNS)].reset_index(drop=True)
    facts = _student_facts(distinct, prep)
    return pd.DataFrame({c: pd.Series(facts[c].to_numpy(dtype=object)[key], index=frame.index, dtype=object)
                         for c in facts.columns})


def person_keys(link_reg: np.ndarray, registry_ids: np.ndarray, link_status: np.ndarray, own_id: np.ndarray,
                id_status: np.ndarray, xueji_id: np.ndarray) -> np.ndarray:
    """Whose record it is: 'R'+registry ID when linked; for a record linked to nobody, 'X'+its
    own usable ID, else 'X'+the ID its G 学籍号 carries; '' otherwise (review, invalid)."""
    n = len(link_reg)
    person = np.full(n, "", dtype=object)
    linked = link_reg >= 0
    if linked.any():
        ids = registry_ids[linked]
        codes, uniques = pd.factorize(pd.Series(ids, dtype=object, copy=False))
        keys = np.array(["R" + str(u) for u in uniques], dtype=object)
        person[linked] = keys[codes]
    idx = np.flatnonzero(~linked & (link_status == "none"))
    if len(idx):
        usable = np.isin(id_status[idx], ["valid", "converted_15"]) & (own_id[idx] != "")
        person[idx] = ["X" + str(i) if ok else ("X" + str(x) if x != "" else "")
                       for i, x, ok in zip(own_id[idx].tolist(), xueji_id[idx].tolist(), usable.tolist())]
    return person


def _student_facts(frame: pd.DataFrame, prep: Prepared) -> pd.DataFrame:
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


def _obj(values, index) -> pd.Series:
    """An object column (pandas 3 would store an object array of text as its slower ``str``)."""
    return pd.Series(values, index=index, dtype=object)


def build_context(prep: Prepared, policy: Policy, roster_roles=("roster",)) -> Context:
    warnings: list[str] = []
    reg = prep.reg.copy()
    reg["eligible"] = classify_registry(reg, policy, warnings).to_numpy()
    rec = prep.rec
    roster = rec[rec["role"].isin(roster_roles).to_numpy()]
    status = enrolment_statuses(roster["enrolment_status"])
    active = policy.activity(status)
    unknown = active.isna() & (status != "")
    if unknown.any():
        policy.check_values("enrolment_status", status[unknown].value_counts().to_dict(), where="学生名册")
    blank = int((status == "").sum())
    if blank:
        warnings.append(f"学生名册中有 {blank} 行未填写学籍状态，按在读处理")
    roster["active"] = active.fillna(True).astype(bool).to_numpy()
    roster["status_n"] = _obj(status.to_numpy(dtype=object), roster.index)
    facts = student_facts(roster, prep)
    for c in facts.columns:
        roster[c] = _obj(facts[c].to_numpy(dtype=object), roster.index)
    link_reg = roster["link_reg"].to_numpy()
    roster["person"] = _obj(person_keys(link_reg, roster["registry_id"].to_numpy(dtype=object),
                                        roster["link_status"].to_numpy(dtype=object),
                                        roster["id"].to_numpy(dtype=object),
                                        roster["id_status"].to_numpy(dtype=object),
                                        roster["xueji_id"].to_numpy(dtype=object)), roster.index)
    # enrolment of registry persons: first active record (file order)
    act_mask = roster["active"].to_numpy(dtype=bool) & (link_reg >= 0)
    act_reg = link_reg[act_mask]
    act_pos = np.flatnonzero(act_mask)
    _, first_i = np.unique(act_reg, return_index=True)     # first active record of each person
    first_i = np.sort(first_i)
    first = act_pos[first_i]                                # roster positions
    idx = act_reg[first_i]                                  # registry positions
    m = len(reg)
    n_active = np.bincount(act_reg, minlength=m) if len(act_reg) else np.zeros(m, dtype=np.int64)

    def take(col: str) -> np.ndarray:
        return roster[col].to_numpy(dtype=object)

    cols = {c: np.full(m, "", dtype=object) for c in ("stage", "grade", "boarding_n", "tier_n", "school", "class",
                                                       "grade_raw", "roster_ref", "enrol_status", "roster_match")}
    r_file, r_sheet, r_row = take("file"), take("sheet"), roster["row"].to_numpy()
    refs = lambda pos: np.array([f"{f}:{s}:{r}" for f, s, r in zip(r_file[pos].tolist(), r_sheet[pos].tolist(),
                                                                    r_row[pos].tolist())], dtype=object)
    enrolled = np.zeros(m, dtype=bool)
    enrolled[idx] = True
    for c, src in (("stage", "stage"), ("grade", "grade"), ("boarding_n", "boarding_n"), ("tier_n", "tier_n"),
                   ("school", "school"), ("class", "class"), ("grade_raw", "grade"), ("enrol_status", "status_n")):
        cols[c][idx] = take(src)[first]
    cols["roster_ref"][idx] = refs(first)
    cols["roster_match"][idx] = np.array([method_label(x) for x in take("link_method")[first].tolist()],
                                         dtype=object)
    # registry persons with any roster record, and the inactive-only ones: their first record
    # (file order) shows their last status/school in the ledgers
    any_pos = np.flatnonzero(link_reg >= 0)
    any_reg = link_reg[any_pos]
    any_roster = np.zeros(m, dtype=bool)
    any_roster[any_reg] = True
    inact_keep = ~enrolled[any_reg]
    in_reg = any_reg[inact_keep]
    in_pos = any_pos[inact_keep]
    _, fi = np.unique(in_reg, return_index=True)
    fi = np.sort(fi)
    ii, ipos = in_reg[fi], in_pos[fi]
    for c, src in (("school", "school"), ("enrol_status", "status_n"), ("stage", "stage"), ("grade", "grade"),
                   ("class", "class")):
        cols[c][ii] = take(src)[ipos]
    cols["roster_ref"][ii] = refs(ipos)
    reg["enrolled"] = enrolled
    reg["any_roster"] = any_roster
    for c in ("stage", "grade", "boarding_n", "tier_n", "school", "class", "grade_raw", "roster_ref",
              "enrol_status", "roster_match"):
        reg[c] = _obj(cols[c], reg.index)
    reg["n_active"] = n_active.astype(int)
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


def _refs_of(file: np.ndarray, sheet: np.ndarray, row: np.ndarray) -> np.ndarray:
    """'file:sheet:row' for aligned arrays (object array)."""
    return np.array([f"{f}:{s}:{r}" for f, s, r in zip(file.tolist(), sheet.tolist(), row.tolist())],
                    dtype=object)


def _col(frame: pd.DataFrame, name: str) -> np.ndarray:
    return frame[name].to_numpy(dtype=object)


class _StageSwitch:
    """Times consecutive steps with a ``stage(name, rows)`` context manager factory (e.g.
    ``RunInfo.stage``); a no-op without one."""

    def __init__(self, stage) -> None:
        self.stage = stage
        self.cm = None

    def start(self, name: str, rows: int = 0) -> None:
        self.stop()
        if self.stage is not None:
            self.cm = self.stage(name, rows)
            self.cm.__enter__()

    def stop(self) -> None:
        if self.cm is not None:
            cm, self.cm = self.cm, None
            cm.__exit__(None, None, None)


def reconcile(prep: Prepared, policy: Policy, semester: Semester, stage=None) -> ReconcileResult:
    """Judge one semester. ``stage(name, rows)`` (e.g. ``RunInfo.stage``) times ``policy``
    (eligibility, enrolment, the semester's payments classified) and ``findings`` (the rules)."""
    steps = _StageSwitch(stage)
    try:
        return _reconcile(prep, policy, semester, steps)
    finally:
        steps.stop()


def _reconcile(prep: Prepared, policy: Policy, semester: Semester, steps: _StageSwitch) -> ReconcileResult:
    steps.start("policy", len(prep.rec) + len(prep.reg))
    sem = str(semester)
    ctx = build_context(prep, policy)
    reg = ctx.reg
    warnings = list(ctx.warnings)
    rec = prep.rec
    findings: list[Finding] = []
    n_rec = len(rec)

    # ---- payments of the semester ---------------------------------------------------------------
    # a slim, object-typed frame of the payment rows (the record frame is wide)
    pay_pos = np.flatnonzero(rec["role"].isin(["national", "provincial"]).to_numpy())
    pay_cols = ["role", "file", "sheet", "row", "id_number", "name", "school", "school_n", "township", "village",
                "stage", "grade", "tier", "boarding", "item", "amount", "semester", "school_year", "hardship_type",
                "id", "id_status", "xueji_id", "link_reg", "link_status", "link_method", "link_score",
                "registry_id"]
    pay = pd.DataFrame({c: (pd.Series(rec[c].to_numpy()[pay_pos], dtype=object) if rec[c].dtype == object
                            else pd.Series(rec[c].to_numpy()[pay_pos])) for c in pay_cols})
    pay.index = rec.index[pay_pos]
    pay_sem = parse_semesters(pay["semester"], pay["school_year"]).astype(object).to_numpy(dtype=object)
    other_sem = (pay_sem != "") & (pay_sem != sem)
    no_sem = pay_sem == ""
    # rows with no readable semester: assumed to be this semester when their file holds no other
    if no_sem.any():
        files_with_other = set(pay["file"].to_numpy(dtype=object)[other_sem])
        assume = no_sem & ~pay["file"].isin(files_with_other).to_numpy()
        pay_sem = np.where(assume, sem, pay_sem)
        rec.loc[pay.index[assume], "sem_assumed"] = True
    skip = np.full(n_rec, "", dtype=object)
    off = pay_sem != sem
    skip[pay_pos[off]] = np.where(pay_sem[off] == "", "学期无法识别且文件含其他学期", "非本学期（" + sem + "以外）")
    rec["skip_reason"] = pd.Series(skip, dtype=object, index=rec.index)
    pay = pay[~off]
    pay["amount_d"] = parse_amounts(pay["amount"]).to_numpy()
    bad_amount = pay["amount_d"].isna() & (pay["amount"].astype(str).str.strip() != "")
    if bad_amount.any():
        r = pay[bad_amount].iloc[0]
        warnings.append(f"{int(bad_amount.sum())} 行金额无法识别（如 {r['file']} 第 {r['row']} 行“{r['amount']}”），按 0 计")
    pay["amount_d"] = pay["amount_d"].where(pay["amount_d"].notna(), ZERO)
    # stage of the student: enrolment for registry persons, else the row's own grade/school
    facts = student_facts(pay, prep)
    link_reg = pay["link_reg"].to_numpy()
    linked = link_reg >= 0
    st_reg = np.where(linked, reg["stage"].to_numpy(dtype=object)[np.maximum(link_reg, 0)], "")
    pay["stage_use"] = pd.Series(np.where(st_reg != "", st_reg, facts["stage"].to_numpy(dtype=object)),
                                 dtype=object, index=pay.index)
    codes = policy.resolve_items(pay["item"], pay["stage_use"])
    unresolved = codes.isna()
    if unresolved.any():
        policy.check_values("item", pay.loc[unresolved, "item"].value_counts().to_dict(), where="资助发放数据")
    pay["code"] = codes.to_numpy()
    pay = pay[pay["code"] != IGNORED]
    jd = policy.jdlk(pay["hardship_type"])
    unknown = jd.isna() & (pay["hardship_type"].astype(str).str.strip() != "")
    if unknown.any():
        policy.check_values("hardship_type", pay.loc[unknown, "hardship_type"].value_counts().to_dict(),
                            where="全国学生资助系统")
    pay_jdlk = jd.fillna(False).astype(bool).to_numpy() | (pay["role"] == "provincial").to_numpy()
    # person key
    person_col = person_keys(pay["link_reg"].to_numpy(), _col(pay, "registry_id"), _col(pay, "link_status"),
                             _col(pay, "id"), _col(pay, "id_status"), _col(pay, "xueji_id"))
    keep = person_col != ""
    # the judged rows as plain arrays: findings take small row subsets of them many times
    J = {c: _col(pay, c)[keep] for c in ("link_method", "school", "name", "township", "village", "grade", "code",
                                         "role", "amount_d")}
    J["person"] = person_col[keep]
    J["jdlk"] = pay_jdlk[keep]
    J["link_score"] = pay["link_score"].to_numpy(dtype=float)[keep]
    J["ref"] = _refs_of(_col(pay, "file")[keep], _col(pay, "sheet")[keep], pay["row"].to_numpy()[keep])
    j_ref, j_method, j_score, j_jdlk = J["ref"], J["link_method"], J["link_score"], J["jdlk"]

    # registry persons by ID (the first registry row of an ID) and what findings read of them
    rid_arr = reg["rid"].to_numpy(dtype=object)
    first_of: dict[str, int] = {}
    for i, rid in enumerate(rid_arr.tolist()):
        first_of.setdefault(rid, i)
    R = {c: reg[c].to_numpy(dtype=object) for c in ("name_raw", "name", "school", "township", "village",
                                                    "household_no", "stage", "grade", "roster_match",
                                                    "boarding_n", "tier_n", "roster_ref", "in_school_status")}
    r_eligible = reg["eligible"].to_numpy(dtype=bool)
    r_any_roster = reg["any_roster"].to_numpy(dtype=bool)
    r_status = registry_status(reg).to_numpy(dtype=object)
    roster_active_people = set(ctx.roster.loc[ctx.roster["active"], "person"]) - {""}
    reg_enrolled = set("R" + reg.loc[reg["enrolled"], "rid"])
    enrolled_people = roster_active_people | reg_enrolled

    def person_info(person: str, first: int | None) -> dict:
        if person.startswith("R"):
            k = first_of[person[1:]]
            return {"id_number": rid_arr[k], "name": R["name_raw"][k],
                    "school": R["school"][k] or (J["school"][first] if first is not None else ""),
                    "township": R["township"][k], "village": R["village"][k],
                    "household_no": R["household_no"][k], "grade": grade_text(R["stage"][k], R["grade"][k])}
        return {"id_number": person[1:],
                "name": J["name"][first] if first is not None else "",
                "school": J["school"][first] if first is not None else "",
                "township": J["township"][first] if first is not None else "",
                "village": J["village"][first] if first is not None else "", "household_no": "",
                "grade": J["grade"][first] if first is not None else ""}

    def add(category: str, person: str, item: str, rows: list[int] | None, *, expected=None, paid=None,
            reason: str = "", confidence: float = 1.0, extra_refs: list[str] | None = None) -> None:
        info = person_info(person, rows[0] if rows else None)
        refs = [j_ref[i] for i in rows] if rows is not None else []
        if extra_refs:
            refs += [r for r in extra_refs if r and r not in refs]
        match = ""
        if rows:
            match = "；".join(dict.fromkeys(method_label(j_method[i]) for i in rows))
            low = min(j_score[i] for i in rows)
            confidence = float(low) if low > 0 else confidence
        elif person.startswith("R"):
            match = R["roster_match"][first_of[person[1:]]]
        findings.append(Finding(category=category, id_number=info["id_number"], name=info["name"], item=item,
                                semester=sem, school=info["school"], township=info["township"],
                                village=info["village"], expected_amount=expected, paid_amount=paid,
                                reason=reason, confidence=confidence, sources=tuple(refs),
                                household_no=info["household_no"], grade=info["grade"], match=match))

    amounts: dict[tuple, object] = {}

    def amount_of(code: str, boarding, tier):
        key = (code, boarding, tier)
        if key not in amounts:
            amounts[key] = policy.amount_result(code, sem, boarding, tier)
        return amounts[key]

    def expected_for(code: str, k: int):
        try:
            return amount_of(code, R["boarding_n"][k] or None, R["tier_n"][k] or None).amount
        except KeyError:
            return None

    steps.start("findings", len(prep.rec) + len(prep.reg))
    # ---- sums per (person, item, ledger), once over the rows -----------------------------------------
    sums: dict[tuple[str, str, str], Decimal] = {}
    nrows: dict[tuple[str, str, str], int] = {}
    idx_by_key: dict[tuple[str, str], list[int]] = {}
    for i, (person, code, role, amt) in enumerate(zip(J["person"].tolist(), J["code"].tolist(),
                                                      J["role"].tolist(), J["amount_d"].tolist())):
        k3 = (person, code, role)
        sums[k3] = sums.get(k3, ZERO) + amt
        nrows[k3] = nrows.get(k3, 0) + 1
        idx_by_key.setdefault((person, code), []).append(i)
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
        total = sums[(person, code, role)]
        exp = expected_for(code, first_of[person[1:]]) if person.startswith("R") else None
        label = "全国学生资助系统" if role == "national" else "省建档立卡资助系统"
        add("DUPLICATE", person, code, idx_by_key[(person, code)], expected=exp, paid=total,
            reason=f"{label}中同一学期同一项目发放 {n} 次，合计 {money(total)} 元")

    # ---- NOT_ENROLLED / NOT_REGISTERED --------------------------------------------------------------
    not_enrolled_people: set[str] = set()
    roster_people = set(ctx.roster["person"])
    jdlk_set = set(zip(J["person"][j_jdlk].tolist(), J["code"][j_jdlk].tolist()))
    for key, rows in idx_by_key.items():
        person, code = key
        enrolled = person in enrolled_people
        if enrolled and key not in jdlk_set:
            continue
        registry = person.startswith("R")
        k = first_of[person[1:]] if registry else -1
        if enrolled and registry and r_eligible[k]:
            continue   # 建档立卡 payment to an enrolled, eligible registry person: nothing to say
        if not enrolled:
            not_enrolled_people.add(person)
            where = "未在任何学生名册中找到" if (registry and not r_any_roster[k]) \
                or (not registry and person not in roster_people) else "学籍状态不是在读"
            add("NOT_ENROLLED", person, code, rows, paid=paid.get(key),
                reason=f"本学期{where}，却领取了资助")
        jrows = [i for i in rows if j_jdlk[i]]
        if jrows:
            if not registry:
                add("NOT_REGISTERED", person, code, jrows, paid=paid.get(key),
                    reason="按建档立卡学生发放，但建档立卡库中查无此人")
            elif not r_eligible[k]:
                add("NOT_REGISTERED", person, code, jrows, paid=paid.get(key),
                    reason=f"按建档立卡学生发放，但建档立卡库中状态为“{r_status[k]}”，不再享受政策")

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
    entitled_memo: dict[tuple, tuple] = {}

    def entitled(stage, grade) -> tuple:
        key = (stage, grade)
        if key not in entitled_memo:
            entitled_memo[key] = policy.entitled_items(stage, grade)
        return entitled_memo[key]

    tier_items = {it.code for it in policy.items if policy.item(it.code).rate.kind == "tier"}
    for k in np.flatnonzero(r_eligible & reg["enrolled"].to_numpy(dtype=bool)).tolist():
        rid = rid_arr[k]
        person = "R" + rid
        if person in not_enrolled_people:
            continue
        stage, grade, boarding, tier = R["stage"][k], R["grade"][k], R["boarding_n"][k], R["tier_n"][k]
        items = entitled(stage or None, grade if grade != "" else None)
        for it in items:
            res = amount_of(it.code, boarding or None, tier or None)
            key = (person, it.code)
            paid_amt = paid.get(key)
            if res.amount is None and it.code in tier_items:
                not_checked[res.reason] = not_checked.get(res.reason, 0) + 1
                continue
            if paid_amt is None:
                if key in review_block:
                    continue
                add("UNPAID", person, it.code, None, expected=res.amount, paid=None,
                    reason=f"{stage}{_grade_label(grade)}在读，{'住校' if boarding == '住校' else ('走读' if boarding else '')}"
                           f"应享受{it.name}，本学期未发放" + (f"（{res.reason}）" if res.reason else ""),
                    extra_refs=[R["roster_ref"][k]])
                continue
            if key in dup_keys or res.amount is None:
                continue
            if paid_amt < res.amount:
                add("UNDERPAID", person, it.code, idx_by_key.get(key), expected=res.amount, paid=paid_amt,
                    reason=f"应发 {money(res.amount)} 元（{boarding or ''}），实发 {money(paid_amt)} 元")
            elif paid_amt > res.amount:
                add("OVERPAID", person, it.code, idx_by_key.get(key), expected=res.amount, paid=paid_amt,
                    reason=f"应发 {money(res.amount)} 元（{boarding or ''}），实发 {money(paid_amt)} 元")
        codes_entitled = {it.code for it in items}
        for code, amt in paid_by_person.get(person, []):
            if code not in codes_entitled and (person, code) not in dup_keys:
                add("OVERPAID", person, code, idx_by_key.get((person, code)), expected=ZERO, paid=amt,
                    reason=f"{stage}{_grade_label(grade)}不在该项目的资助范围内")
    for reason, n in not_checked.items():
        warnings.append(f"{n} 人次未核对金额：{reason}")

    # ---- LEDGER_MISMATCH ----------------------------------------------------------------------------
    if prep.loaded.tables.get("provincial"):
        for key, rows in idx_by_key.items():
            person, code = key
            if not person.startswith("R") or key in dup_keys or key not in jdlk_set:
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
            add("LEDGER_MISMATCH", person, code, rows, expected=None,
                paid=n_amt if n_amt is not None else p_amt, reason=reason)

    # ---- OUT_OF_AREA -------------------------------------------------------------------------------
    paid_people = set(J["person"].tolist())
    from jiaoyu_fupin.normalize.values import parse_grades as _pg
    ins = _pg(reg["in_school_status"])
    ins_stage = ins["stage"].to_numpy(dtype=object)
    ins_grade = ins["grade"].astype(object).where(ins["grade"].notna(), None).to_numpy(dtype=object)
    funded = set(policy.funded_stages)
    cand = r_eligible & ~r_any_roster & np.isin(ins_stage, list(funded))
    for k in np.flatnonzero(cand).tolist():
        stage_i, grade_i = ins_stage[k], ins_grade[k]
        if not entitled(stage_i, grade_i if grade_i not in ("", None) else None):
            continue
        rid = rid_arr[k]
        person = "R" + rid
        if person in paid_people or rid in review_people:
            continue
        add("OUT_OF_AREA", person, "", None,
            reason=f"建档立卡库在校生状况为“{R['in_school_status'][k]}”，但不在本县任何学校名册中，本学期也无资助记录：需发函外地学校核实就读情况")

    # ---- record-level: DATA_MISMATCH, INVALID_ID, NEEDS_REVIEW ---------------------------------------
    mine = rec["role"].isin(["roster", "national", "provincial"]).to_numpy()
    status = rec["link_status"].to_numpy(dtype=object)
    mismatch = rec["link_mismatch"].to_numpy(dtype=object)

    def rows_of(mask: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        pos = np.flatnonzero(mask)
        cols = {c: rec[c].to_numpy()[pos] for c in ("file", "sheet", "row", "school", "township", "village",
                                                     "id_number", "name", "id", "id_status", "id_note",
                                                     "link_reg", "link_score", "link_mismatch", "link_candidates")}
        cols["ref"] = _refs_of(cols["file"], cols["sheet"], cols["row"])
        return pos, cols

    _, D = rows_of(mine & (status == "linked") & (mismatch != ""))
    reg_name = R["name"]
    for n in range(len(D["ref"])):
        k = int(D["link_reg"][n])
        g_rid, g_name = rid_arr[k], reg_name[k]
        findings.append(Finding("DATA_MISMATCH", g_rid, g_name, "", sem, D["school"][n], R["township"][k],
                                R["village"][k], None, None,
                                f"{D['link_mismatch'][n]}：原表证件号“{D['id_number'][n]}”、姓名“{D['name'][n]}”；"
                                f"建档立卡库为“{g_rid}”、“{g_name}”",
                                float(D["link_score"][n]), (D["ref"][n],)))
    _, D = rows_of(mine & (status == "invalid"))
    for n in range(len(D["ref"])):
        findings.append(Finding("INVALID_ID", D["id_number"][n], D["name"][n], "", sem, D["school"][n],
                                D["township"][n], D["village"][n], None, None,
                                _invalid_reason(D["id_status"][n], D["id_note"][n]), 0.0, (D["ref"][n],)))
    _, D = rows_of(mine & (status == "review"))
    for n in range(len(D["ref"])):
        cands = [c for c in str(D["link_candidates"][n]).split(";") if c]
        names = [f"{reg_name[first_of[c]]}（{c}）" for c in cands if c in first_of]
        own = D["id"][n] if D["id_status"][n] in ("valid", "converted_15") else D["id_number"][n]
        findings.append(Finding("NEEDS_REVIEW", own, D["name"][n], "", sem, D["school"][n], D["township"][n],
                                D["village"][n], None, None,
                                "证据不足以确定是哪一个人，候选：" + "；".join(names), 0.5, (D["ref"][n],)))

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
    # records: counts per (table, link status) with one bincount; skip reasons per table
    tables = rec["table"].to_numpy().astype(np.int64)
    skip = (rec["skip_reason"].astype(object).fillna("").to_numpy(dtype=object)
            if "skip_reason" in rec.columns else np.full(len(rec), "", dtype=object))
    live = skip == ""
    statuses = ("linked", "none", "review", "invalid")
    status_code = pd.Categorical(rec["link_status"].to_numpy(dtype=object), categories=list(statuses)).codes
    n_tables = max(len(prep.table_list), int(tables.max()) + 1 if len(tables) else 0)
    counts = np.bincount(tables[live] * 5 + np.where(status_code[live] < 0, 4, status_code[live]),
                         minlength=n_tables * 5).reshape(n_tables, 5)
    skipped_by_table: dict[int, pd.Series] = {}
    off = np.flatnonzero(~live)
    if len(off):
        for ti in np.unique(tables[off]).tolist():
            rows_off = off[tables[off] == ti]
            skipped_by_table[ti] = pd.Series(skip[rows_off], dtype=object).value_counts()
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
            if ti in skipped_by_table:
                for reason, n in skipped_by_table[ti].items():
                    entry["skipped"][reason] = int(n)
            c = counts[ti] if ti < len(counts) else np.zeros(5, dtype=np.int64)
            entry["linked"] = int(c[0])
            entry["unlinked_legitimate"] = int(c[1])
            entry["needs_review"] = int(c[2])
            entry["invalid_id"] = int(c[3])
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
