"""dropout-check: one 控辍保学 status per registry child of compulsory-education age.

Rules (SPEC.md "dropout-check categories", docs/SEMANTICS.md "dropout-check"): for school year
Y the window is ``policy.dropout_window(Y)`` (birth dates, inclusive); the birth date is the
registry person's (from the ID number). Every registry person born in the window gets exactly
one finding, the first of these that applies:

1. ``ENROLLED`` — linked to an *active* record of the current roster (any stage, 普高/中职 too);
2. ``HOME_EDUCATION`` — linked to a record of the 送教上门 list;
3. ``ENROLLED_ELSEWHERE`` — linked to a record of the 外地就读证明 list;
4. ``DROPPED_OUT`` — linked to an inactive current roster record (休学/退学/停学/流失/转学/毕业/
   死亡 …; the reason names the status), or active in the previous roster and in no current
   roster record;
5. ``OUT_OF_AREA_UNVERIFIED`` — found in none of those, registry 在校生状况 says in school
   (any non-blank value except 学龄前儿童 / 未入学 and the words in :data:`NOT_IN_SCHOOL`;
   学前教育 counts as in school: a child of 6 or more registered as 学前教育 is somewhere the
   county cannot see);
6. ``NOT_ENROLLED`` — found nowhere, registry says not in school or is blank.

Decisions beyond the SPEC (also in the workbook's 说明 sheet):

* Records the linker could not attribute (``link_status == "review"``) that list a child as a
  candidate do not change the child's category, but a child judged DROPPED_OUT, NOT_ENROLLED
  or OUT_OF_AREA_UNVERIFIED gets "有待核对的疑似记录：file:sheet:row" in the reason, those rows
  in ``sources`` and confidence 0.5: the officer checks those rows before visiting the family.
* ``findings.csv`` ``semester`` holds the school year (``2019-2020学年``); ``item`` is empty;
  ``school`` is the school of the deciding record; ``sources`` starts with the registry row(s)
  and then lists the records that decided.
* Registry persons whose birth date cannot be read (ID date unusable and no 出生日期 column)
  cannot be placed in or out of the window: they are counted in a warning and listed on the
  workbook's 待核对记录 sheet, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from jiaoyu_fupin.link.engine import method_label
from jiaoyu_fupin.link.prepare import Prepared
from jiaoyu_fupin.normalize.values import clean_text, enrolment_statuses, parse_grade, sexes_of
from jiaoyu_fupin.policy.model import Policy
from jiaoyu_fupin.reconcile.engine import account, build_context, grade_text, student_facts
from jiaoyu_fupin.reconcile.findings import DROPOUT_LABELS, DROPOUT_ORDER, Finding

#: findings of these categories are the ones a village must act on (the action lists)
ACTION = ("DROPPED_OUT", "NOT_ENROLLED", "OUT_OF_AREA_UNVERIFIED")
#: the record columns dropout-check (and build_context / student_facts / account) read
REC_COLUMNS = ("role", "table", "file", "sheet", "row", "id_number", "name", "school", "school_n", "stage", "grade",
               "class", "tier", "boarding", "enrolment_status", "id", "id_status", "xueji_id", "link_reg",
               "link_method", "link_score", "link_status", "link_mismatch", "link_candidates", "registry_id")
#: precedence (SPEC: "the first in this order wins")
PRECEDENCE = ("ENROLLED", "HOME_EDUCATION", "ENROLLED_ELSEWHERE", "DROPPED_OUT", "OUT_OF_AREA_UNVERIFIED",
              "NOT_ENROLLED")
#: 在校生状况 values (after NFKC / whitespace removal) that say "not in school", besides the
#: 学龄前 words the grade parser recognises (学龄前儿童, 未入学)
NOT_IN_SCHOOL = frozenset({"失学", "辍学", "未上学", "不在校", "非在校生", "不在学", "未在校", "无", "否"})

_CN_GRADES = ("一", "二", "三", "四", "五", "六", "七", "八", "九")

#: what the village must do for each inactive roster status (canonical JY/T 1001 words)
STATUS_NOTES = {
    "休学": "已办理休学，须核实休学原因和复学时间",
    "退学": "已退学，须劝返复学",
    "停学": "已停学，须劝返复学",
    "流失": "已流失（辍学），须劝返复学",
    "转学": "已转出，须核实转入学校；取得外地就读证明后可列为外地就读",
    "毕业": "已毕业但仍在义务教育年龄段内、本学年不在任何名册中在读，须核实是否升学",
    "结业": "已结业但仍在义务教育年龄段内，须核实是否升学",
    "肄业": "已肄业，须劝返复学",
    "死亡": "名册显示已死亡，请村里核实并更新建档立卡信息",
    "开除": "已被开除学籍，须核实并安排复学",
    "下落不明": "下落不明，须上门核实",
    "保留入学资格": "保留入学资格，须核实入学安排",
    "公派出国": "公派出国，须核实",
}


def default_school_year(today: dt.date | None = None) -> int:
    """The school year of ``today``: September-December → this year, January-August → last year."""
    today = today or dt.date.today()
    return today.year if today.month >= 9 else today.year - 1


def school_year_label(year: int) -> str:
    """2019 → '2019-2020学年'."""
    return f"{year}-{year + 1}学年"


def age_on(birth: str, on: dt.date) -> int | None:
    """Whole years of age on ``on`` for an ISO birth date; None when unreadable."""
    try:
        b = dt.date.fromisoformat(birth)
    except (TypeError, ValueError):
        return None
    return on.year - b.year - (1 if (b.month, b.day) > (on.month, on.day) else 0)


def expected_grade(age: int | None) -> str:
    """The grade a child of this age (on 31 August) starts in September when entering at 6 with no
    repeat: 6 → 一年级 … 11 → 六年级, 12 → 七年级 … 14 → 九年级, 15 → 高一（或中职一年级）,
    16 → 高二 …; under 6 → 学前."""
    if age is None:
        return ""
    g = age - 5
    if g < 1:
        return "学前"
    if g <= 9:
        return f"{_CN_GRADES[g - 1]}年级"
    if g <= 12:
        n = _CN_GRADES[g - 10]
        return f"高{n}（或中职{n}年级）"
    return "高中以上"


def in_school_says_enrolled(value: object) -> bool:
    """Does a registry 在校生状况 value say the child is in school? (see module docs)"""
    t = clean_text(value)
    if not t or t in NOT_IN_SCHOOL:
        return False
    stage, _ = parse_grade(t)
    return stage != "学龄前"


@dataclass
class DropoutResult:
    """What dropout-check concluded for school year ``school_year``."""

    school_year: int
    window: tuple[dt.date, dt.date]
    findings: list[Finding]
    counts: dict[str, int]
    warnings: list[str]
    accounting: dict
    #: one row per child in the window, in ledger order (action categories first); columns
    #: category, label, township, village, household_no, head_name, name, sex, id_number, birth,
    #: age, expected_grade, school, grade, enrol_status, reason, match, sources, confidence
    children: pd.DataFrame
    #: records the linker could not attribute (review / invalid ID) and registry persons without
    #: a readable birth date: columns kind, role, file, sheet, row, name, raw_id, school, status,
    #: note, candidates
    review: pd.DataFrame
    rec: pd.DataFrame
    reg: pd.DataFrame
    stats: dict = field(default_factory=dict)
    #: the day ages are counted on (31 August of the school year's first year by default)
    age_date: dt.date | None = None

    @property
    def label(self) -> str:
        return school_year_label(self.school_year)

    @property
    def semester(self) -> str:   # what reconcile-style writers call it
        return self.label


def _refs(frame: pd.DataFrame) -> pd.Series:
    return frame["file"].astype(str) + ":" + frame["sheet"].astype(str) + ":" + frame["row"].astype(str)


def _by_person(frame: pd.DataFrame) -> dict[int, np.ndarray]:
    """link_reg → positions (file order) of the frame's linked rows."""
    regs = frame["link_reg"].to_numpy(dtype=np.int64)
    pos = np.flatnonzero(regs >= 0)
    if not len(pos):
        return {}
    regs = regs[pos]
    order = np.argsort(regs, kind="stable")
    regs, pos = regs[order], pos[order]
    cuts = np.flatnonzero(np.diff(regs)) + 1
    keys = regs[np.concatenate(([0], cuts))]
    return dict(zip(keys.tolist(), np.split(pos, cuts)))


def _slim(rec: pd.DataFrame) -> pd.DataFrame:
    """The record columns dropout-check reads, text as plain object arrays (row filters and
    element access on numpy object columns are several times faster than on Arrow strings)."""
    out = {}
    for c in REC_COLUMNS:
        if c not in rec.columns:
            continue
        col = rec[c]
        if pd.api.types.is_string_dtype(col.dtype):
            col = pd.Series(col.to_numpy(dtype=object), index=rec.index, dtype=object)
        out[c] = col
    return pd.DataFrame(out, index=rec.index)


def _classify_previous(prev: pd.DataFrame, policy: Policy, warnings: list[str]) -> np.ndarray:
    status = enrolment_statuses(prev["enrolment_status"])
    active = policy.activity(status)
    unknown = active.isna() & (status != "")
    if unknown.any():
        policy.check_values("enrolment_status", status[unknown].value_counts().to_dict(), where="上学期名册")
    blank = int((status == "").sum())
    if blank:
        warnings.append(f"上学期名册中有 {blank} 行未填写学籍状态，按在读处理")
    return status.to_numpy(dtype=object), active.fillna(True).astype(bool).to_numpy()


def _head_names(reg: pd.DataFrame) -> np.ndarray:
    """户主姓名: the registry column, else the household member whose relation is 户主/本人."""
    head = reg["head_name"].astype(object).fillna("").to_numpy(dtype=object)
    rel = reg["relation"].astype(object).fillna("").map(clean_text)
    is_head = rel.isin(["户主", "本人", "本人(户主)", "户主本人", "01", "1"]) & (reg["household_no"] != "")
    heads = dict(zip(reg.loc[is_head, "household_no"], reg.loc[is_head, "name"]))
    if heads:
        fill = reg["household_no"].map(heads).fillna("").to_numpy(dtype=object)
        head = np.where(head == "", fill, head)
    return head


def _facts(frame: pd.DataFrame, prep: Prepared) -> pd.DataFrame:
    if not len(frame):
        return pd.DataFrame({"stage": [], "grade": []}, index=frame.index, dtype=object)
    return student_facts(frame, prep)


class _Records:
    """One role's records with what the ledgers show of each (positional access)."""

    def __init__(self, frame: pd.DataFrame, prep: Prepared, *, status=None, active=None, facts=None) -> None:
        self.frame = frame
        facts = facts if facts is not None else _facts(frame, prep)
        n = len(frame)
        self.stage = facts["stage"].to_numpy(dtype=object) if n else np.array([], dtype=object)
        self._grade = facts["grade"].to_numpy(dtype=object) if n else np.array([], dtype=object)
        self._grade_raw = frame["grade"].astype(object).fillna("").to_numpy(dtype=object)
        self.school = frame["school"].astype(object).fillna("").to_numpy(dtype=object)
        self._file = frame["file"].to_numpy(dtype=object)
        self._sheet = frame["sheet"].to_numpy(dtype=object)
        self._row = frame["row"].to_numpy()
        self.method = frame["link_method"].to_numpy(dtype=object)
        self.score = frame["link_score"].to_numpy(dtype=float)
        self.linked = (frame["link_status"] == "linked").to_numpy()
        self.mismatch = frame["link_mismatch"].astype(object).fillna("").to_numpy(dtype=object)
        self.status = status if status is not None else np.full(n, "", dtype=object)
        self.active = active if active is not None else np.ones(n, dtype=bool)
        self.of = _by_person(frame)

    def records(self, person: int) -> list[int]:
        found = self.of.get(person)
        return found.tolist() if found is not None else []

    def ref(self, i: int) -> str:
        return f"{self._file[i]}:{self._sheet[i]}:{self._row[i]}"

    def grade(self, i: int) -> str:
        g = self._grade[i]
        if g is pd.NA or (isinstance(g, float) and np.isnan(g)):
            g = ""
        return grade_text(self.stage[i], g) or str(self._grade_raw[i] or "")

    def place(self, i: int) -> str:
        """'城关初中 初中8年级' ('' when the record names neither)."""
        return " ".join(x for x in (self.school[i], self.grade(i)) if x)

    def where(self, i: int) -> str:
        """'城关初中 初中8年级，名册.xlsx:Sheet1:5'"""
        place = self.place(i)
        return f"{place}，{self.ref(i)}" if place else self.ref(i)


def dropout_check(prep: Prepared, policy: Policy, school_year: int) -> DropoutResult:
    """Judge every registry child of the window (see module docs)."""
    warnings: list[str] = []
    # everything below reads a few dozen of the record columns: work on those only (boolean filters
    # on the full frame copy every column, which dominates at a million rows)
    rec = _slim(prep.rec)
    ctx = build_context(replace(prep, rec=rec), policy, roster_roles=("roster",))
    # the registry-status warnings of build_context concern aid eligibility, not 控辍保学
    warnings.extend(w for w in ctx.warnings if "名册" in w)
    reg = ctx.reg
    lo, hi = policy.dropout_window(school_year)
    month, day = (int(x) for x in policy.dropout.age_on.split("-"))
    on = dt.date(school_year, month, day)
    sy = school_year_label(school_year)

    # ---- who is in the window --------------------------------------------------------------------
    birth = reg["birth"].astype(object).fillna("").to_numpy(dtype=object)
    no_birth = birth == ""
    in_window = (~no_birth) & (birth >= lo.isoformat()) & (birth <= hi.isoformat())
    if no_birth.any():
        warnings.append(f"建档立卡库中有 {int(no_birth.sum())} 人的证件号无法确定出生日期，未能判断是否属于适龄儿童"
                        "（见“待核对记录”表），请核对证件号")

    # ---- the records, per role ---------------------------------------------------------------------
    cur = ctx.roster
    cur_r = _Records(cur, prep, status=cur["status_n"].to_numpy(dtype=object),
                     active=cur["active"].to_numpy(dtype=bool), facts=cur[["stage", "grade"]])
    prev = rec[rec["role"] == "previous_roster"]
    if len(prev):
        pst, pact = _classify_previous(prev, policy, warnings)
    else:
        pst, pact = np.array([], dtype=object), np.array([], dtype=bool)
    prev_r = _Records(prev, prep, status=pst, active=pact)
    home_r = _Records(rec[rec["role"] == "home_education"], prep)
    else_r = _Records(rec[rec["role"] == "elsewhere"], prep)

    # records the linker could not attribute, by candidate registry ID
    roles = ("roster", "previous_roster", "home_education", "elsewhere")
    review = rec[rec["role"].isin(roles) & (rec["link_status"] == "review")]
    review_of: dict[str, list[str]] = {}
    for ref, cands in zip(_refs(review), review["link_candidates"].astype(str)):
        for rid in cands.split(";"):
            if rid:
                review_of.setdefault(rid, []).append(ref)

    # registry rows behind each person
    rows = prep.reg_rows[prep.reg_rows["person"] >= 0]
    reg_refs: dict[int, list[str]] = {}
    for p, ref in zip(rows["person"].to_numpy(), _refs(rows).to_numpy(dtype=object)):
        reg_refs.setdefault(int(p), []).append(ref)

    sex = sexes_of(reg["sex"]).to_numpy(dtype=object)
    sex = np.where(sex == "", reg["id_sex"].astype(object).fillna("").to_numpy(dtype=object), sex)
    head = _head_names(reg)

    out_rows: list[dict] = []
    findings: list[Finding] = []
    idx = np.flatnonzero(in_window)
    reg_cols = ["rid", "name_raw", "birth", "township", "village", "household_no", "in_school_status"]
    sub = {c: reg[c].to_numpy(dtype=object)[idx] for c in reg_cols}
    for n, i in enumerate(idx.tolist()):
        r = {c: sub[c][n] for c in reg_cols}
        age = age_on(r["birth"], on)
        cur_i = cur_r.records(i)
        act_i = [k for k in cur_i if cur_r.active[k]]
        inact_i = [k for k in cur_i if not cur_r.active[k]]
        home_i = home_r.records(i)
        else_i = else_r.records(i)
        prev_i = prev_r.records(i)
        prev_act = [k for k in prev_i if prev_r.active[k]]
        evidence: list[tuple[_Records, int]] = []
        notes: list[str] = []
        school = grade = status = ""
        if act_i:
            cat = "ENROLLED"
            k = act_i[0]
            evidence = [(cur_r, k) for k in act_i]
            school, grade = cur_r.school[k], cur_r.grade(k)
            status = cur_r.status[k] or "未填写（按在读）"
            reason = f"在{cur_r.place(k)}就读，学籍状态“{status}”（{cur_r.ref(k)}）"
            if len({cur_r.school[x] for x in act_i}) > 1:
                others = "；".join(cur_r.where(x) for x in act_i[1:])
                notes.append(f"另在{others}也有在读学籍，请核实是否重复学籍")
            if cur_r.stage[k] == "幼儿园" and age is not None and age >= 6:
                notes.append(f"已满{age}周岁仍在幼儿园，须核实是否延缓入学")
            if home_i:
                notes.append("同时在送教上门名单中")
        elif home_i:
            cat = "HOME_EDUCATION"
            k = home_i[0]
            evidence = [(home_r, x) for x in home_i]
            school, grade, status = home_r.school[k], home_r.grade(k), "送教上门"
            reason = f"在送教上门名单中（{home_r.where(k)}）"
            if inact_i:
                notes.append("名册中学籍状态为“" + "、".join(dict.fromkeys(cur_r.status[x] for x in inact_i)) + "”")
        elif else_i:
            cat = "ENROLLED_ELSEWHERE"
            k = else_i[0]
            evidence = [(else_r, x) for x in else_i]
            school, grade, status = else_r.school[k], else_r.grade(k), "外地就读"
            reason = f"有外地就读证明（{else_r.where(k)}）"
        elif inact_i:
            cat = "DROPPED_OUT"
            k = inact_i[0]
            evidence = [(cur_r, x) for x in inact_i]
            school, grade = cur_r.school[k], cur_r.grade(k)
            statuses = list(dict.fromkeys(cur_r.status[x] for x in inact_i))
            status = "、".join(statuses)
            parts = [f"本学年名册中学籍状态为“{cur_r.status[x]}”（{cur_r.where(x)}）" for x in inact_i]
            reason = "；".join(parts) + "：" + "；".join(
                STATUS_NOTES.get(s, "学籍不是在读状态，须核实去向并劝返") for s in statuses)
        elif prev_act:
            cat = "DROPPED_OUT"
            k = prev_act[0]
            evidence = [(prev_r, x) for x in prev_act]
            school, grade, status = prev_r.school[k], prev_r.grade(k), "本学年名册中无此人"
            reason = (f"上学期名册中在读（{prev_r.where(k)}），本学年各校名册中均无该生："
                      "疑似辍学，须核实去向并劝返")
        else:
            nowhere = "本学年各校名册、送教上门名单、外地就读证明名单中均无该生"
            v = str(r["in_school_status"] or "").strip()
            if in_school_says_enrolled(v):
                cat = "OUT_OF_AREA_UNVERIFIED"
                extra = ""
                if parse_grade(v)[0] == "幼儿园" and age is not None and age >= 6:
                    extra = f"（已满{age}周岁仍登记为学前教育，应已入小学）"
                reason = (f"{nowhere}；建档立卡库在校生状况为“{v}”{extra}：须核实是否在外地就读，"
                          "取得就读证明")
            else:
                cat = "NOT_ENROLLED"
                said = f"在校生状况为“{v}”" if v else "未填写在校生状况"
                reason = f"{nowhere}；建档立卡库{said}：疑似未入学（失学），须上门核实"
            if prev_i:
                k = prev_i[0]
                evidence = [(prev_r, x) for x in prev_i]
                notes.append(f"上学期名册中学籍状态为“{prev_r.status[k] or '未填写'}”（{prev_r.where(k)}）")
        # data-quality notes on the deciding records
        for recs, k in evidence:
            if recs.mismatch[k] and recs.linked[k]:
                notes.append(f"{recs.ref(k)} 与建档立卡库信息不一致（{recs.mismatch[k]}），请更正原表")
        confidence = min((float(recs.score[k]) for recs, k in evidence), default=1.0) or 1.0
        review_refs = review_of.get(r["rid"], []) if cat in ACTION else []
        if review_refs:
            notes.append("有待核对的疑似记录：" + "；".join(review_refs) + "（证据不足以确定是否为该生，请先人工核对）")
            confidence = 0.5
        if notes:
            reason = reason + "；" + "；".join(notes)
        refs = list(dict.fromkeys(reg_refs.get(i, []) + [recs.ref(k) for recs, k in evidence] + review_refs))
        match = "；".join(dict.fromkeys(method_label(recs.method[k]) for recs, k in evidence)) or "未找到记录"
        row = {"category": cat, "label": DROPOUT_LABELS[cat], "township": r["township"], "village": r["village"],
               "household_no": r["household_no"], "head_name": head[i], "name": r["name_raw"], "sex": sex[i],
               "id_number": r["rid"], "birth": r["birth"], "age": age, "expected_grade": expected_grade(age),
               "school": school, "grade": grade, "enrol_status": status, "reason": reason, "match": match,
               "sources": "；".join(refs), "confidence": confidence}
        out_rows.append(row)
        findings.append(Finding(category=cat, id_number=r["rid"], name=r["name_raw"], item="", semester=sy,
                                school=school, township=r["township"], village=r["village"], expected_amount=None,
                                paid_amount=None, reason=reason, confidence=confidence, sources=tuple(refs),
                                household_no=r["household_no"], grade=grade, match=match))

    cols = ["category", "label", "township", "village", "household_no", "head_name", "name", "sex", "id_number",
            "birth", "age", "expected_grade", "school", "grade", "enrol_status", "reason", "match", "sources",
            "confidence"]
    children = pd.DataFrame(out_rows, columns=cols).astype({c: object for c in cols if c not in ("confidence",)})
    order = {c: n for n, c in enumerate(DROPOUT_ORDER)}
    if len(children):
        children["_o"] = children["category"].map(order)
        children = children.sort_values(["_o", "township", "village", "household_no", "birth", "id_number"],
                                        kind="stable").drop(columns="_o").reset_index(drop=True)
    findings.sort(key=lambda f: (order[f.category], f.township, f.village, f.household_no, f.id_number))
    counts = {c: 0 for c in PRECEDENCE}
    for f in findings:
        counts[f.category] += 1

    review_frame = _review_frame(rec, roles, reg, no_birth)
    stats = {"registry_persons": len(reg), "in_window": int(in_window.sum()),
             "outside_window": int((~in_window & ~no_birth).sum()), "no_birth_date": int(no_birth.sum()),
             "review_records": int((review_frame["kind"] == "review").sum()) if len(review_frame) else 0,
             "invalid_id_records": int((review_frame["kind"] == "invalid").sum()) if len(review_frame) else 0}
    # account() filters the frame once per input table: hand it only the columns it reads
    accounting = account(prep, rec[["table", "link_status"]])
    return DropoutResult(school_year, (lo, hi), findings, counts, warnings, accounting, children,
                         review_frame, rec, reg, stats, on)


_ROLE_LABELS = {"roster": "学生名册", "previous_roster": "上学期名册", "home_education": "送教上门名单",
                "elsewhere": "外地就读证明名单", "registry": "建档立卡人口库"}


def _review_frame(rec: pd.DataFrame, roles: tuple[str, ...], reg: pd.DataFrame, no_birth: np.ndarray
                  ) -> pd.DataFrame:
    names = dict(zip(reg["rid"], reg["name_raw"]))
    bad = rec[rec["role"].isin(roles) & rec["link_status"].isin(["review", "invalid"])]
    out = []
    for r in bad.itertuples(index=False):
        cands = [c for c in str(r.link_candidates).split(";") if c]
        if r.link_status == "review":
            note = "证据不足以确定是建档立卡库中的哪一个人（或是否为其中一人），请人工核对"
        else:
            note = "证件号无效，且无法按姓名、出生日期、学校或村对应到建档立卡库中的人，请核对证件号"
        out.append({"kind": r.link_status, "role": _ROLE_LABELS.get(r.role, r.role), "file": r.file,
                    "sheet": r.sheet, "row": int(r.row), "name": r.name, "raw_id": r.id_number,
                    "school": r.school, "status": r.enrolment_status, "note": note,
                    "candidates": [(names.get(c, ""), c) for c in cands]})
    for r in reg[no_birth].itertuples(index=False):
        out.append({"kind": "no_birth", "role": _ROLE_LABELS["registry"], "file": r.file, "sheet": r.sheet,
                    "row": int(r.row), "name": r.name_raw, "raw_id": r.id_number, "school": "",
                    "status": str(r.in_school_status or ""),
                    "note": "证件号中的出生日期无法识别，无法判断是否属于适龄儿童，请核对证件号", "candidates": []})
    cols = ["kind", "role", "file", "sheet", "row", "name", "raw_id", "school", "status", "note", "candidates"]
    return pd.DataFrame(out, columns=cols, dtype=object)   # object: the ledger iterates it row by row
