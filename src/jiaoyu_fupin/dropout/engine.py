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
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from jiaoyu_fupin.link.engine import combined_codes, method_label
from jiaoyu_fupin.link.prepare import Prepared
from jiaoyu_fupin.normalize.values import clean_text, enrolment_status, parse_grade, sexes_of
from jiaoyu_fupin.policy.model import Policy
from jiaoyu_fupin.reconcile.engine import account, classify_registry, grade_text, student_facts
from jiaoyu_fupin.reconcile.findings import DROPOUT_LABELS, DROPOUT_ORDER, Finding

#: findings of these categories are the ones a village must act on (the action lists)
ACTION = ("DROPPED_OUT", "NOT_ENROLLED", "OUT_OF_AREA_UNVERIFIED")
#: the record columns dropout-check (and student_facts) reads
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
#: judge the common case column-wise (False: every child one by one, the reference for tests)
_COLUMNWISE = True

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
    #: the records and registry persons judged (``prep.rec``, ``prep.reg``)
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


def _ref_texts(file: np.ndarray, sheet: np.ndarray, row: np.ndarray) -> list[str]:
    """'file:sheet:row' for aligned arrays."""
    return [f"{f}:{s}:{r}" for f, s, r in zip(file.tolist(), sheet.tolist(), row.tolist())]


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


def _rows(rec: pd.DataFrame, pos: np.ndarray) -> pd.DataFrame:
    """The dropout columns (:func:`_slim`) of the records at positions ``pos``."""
    cols = [c for c in REC_COLUMNS if c in rec.columns]
    if len(pos) == len(rec) and (not len(pos) or (pos[0] == 0 and pos[-1] == len(rec) - 1)):
        return _slim(rec[cols])
    return _slim(rec[cols].iloc[pos])


def _classify_statuses(values: pd.Series, policy: Policy, where: str, warnings: list[str]
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """学籍状态 of roster rows: ``(codes, status, active)`` where row ``r`` has status
    ``status[codes[r]]`` and activity ``active[codes[r]]`` (blank → active). Worked out once per
    distinct value; unknown statuses stop the run (``policy.check_values``) and blank ones are
    counted in a warning ("<where>中有 N 行未填写学籍状态，按在读处理")."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    codes = np.where(codes < 0, len(uniques), codes)          # missing → the last entry ("")
    status = np.array([enrolment_status(u) for u in uniques] + [""], dtype=object)
    known = [policy.is_active(s) for s in status.tolist()]
    rows = np.bincount(codes, minlength=len(status))
    unknown: dict[str, int] = {}
    blank = 0
    for s, k, n in zip(status.tolist(), known, rows.tolist()):
        if not n:
            continue
        if s == "":
            blank += n
        elif k is None:
            unknown[s] = unknown.get(s, 0) + n
    if unknown:
        policy.check_values("enrolment_status", unknown, where=where)
    if blank:
        warnings.append(f"{where}中有 {blank} 行未填写学籍状态，按在读处理")
    used = status[np.flatnonzero(rows)]
    word = policy.keyword_warning("enrolment_status", used[used != ""], where=where)
    if word:
        warnings.append(word)
    active = np.array([True if k is None else bool(k) for k in known], dtype=bool)
    return codes, status, active


def _head_names(reg: pd.DataFrame, idx: np.ndarray) -> np.ndarray:
    """户主姓名 of the registry persons at ``idx``: the registry column, else the household
    member whose relation is 户主/本人."""
    head = reg["head_name"].iloc[idx].astype(object).fillna("").to_numpy(dtype=object)
    codes, uniques = pd.factorize(reg["relation"].astype(object).fillna(""), use_na_sentinel=True)
    words = {"户主", "本人", "本人(户主)", "户主本人", "01", "1"}
    head_code = np.array([clean_text(u) in words for u in uniques] + [False], dtype=bool)
    is_head = head_code[codes] & (reg["household_no"] != "").to_numpy(dtype=bool)
    if not is_head.any():
        return head
    hh_codes, _ = pd.factorize(reg["household_no"], use_na_sentinel=True)
    heads_at = np.flatnonzero(is_head)
    if (hh_codes[heads_at] < 0).any() or (hh_codes[idx] < 0).any():   # blank (NaN) household numbers
        heads = dict(zip(reg.loc[is_head, "household_no"], reg.loc[is_head, "name"]))
        fill = reg["household_no"].iloc[idx].map(heads).fillna("").to_numpy(dtype=object)
    else:
        # the household's head: the last 户主 row of the household (as a dict built in row order)
        last = len(heads_at) - 1 - np.unique(hh_codes[heads_at][::-1], return_index=True)[1]
        names = np.full(int(hh_codes.max()) + 1, np.nan, dtype=object)
        names[hh_codes[heads_at[last]]] = reg["name"].to_numpy(dtype=object)[heads_at[last]]
        fill = pd.Series(names[hh_codes[idx]], dtype=object).fillna("").to_numpy(dtype=object)
    return np.where(head == "", fill, head)


def _facts(frame: pd.DataFrame, prep: Prepared) -> pd.DataFrame:
    if not len(frame):
        return pd.DataFrame({"stage": [], "grade": []}, index=frame.index, dtype=object)
    return student_facts(frame, prep)


def _per_distinct(func, *arrays: np.ndarray) -> np.ndarray:
    """``func(a, b, …)`` of aligned arrays, worked out once per distinct combination."""
    n = len(arrays[0])
    out = np.empty(n, dtype=object)
    if not n:
        return out
    key, first = combined_codes([np.asarray(a, dtype=object) for a in arrays])
    values = np.empty(len(first), dtype=object)
    values[:] = [func(*args) for args in zip(*(a[first].tolist() for a in arrays))]
    out[:] = values[key]
    return out


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
        self.reg = frame["link_reg"].to_numpy(dtype=np.int64)
        self.of = _by_person(frame)

    def records(self, person: int) -> list[int]:
        found = self.of.get(person)
        return found.tolist() if found is not None else []

    def ref(self, i: int) -> str:
        return f"{self._file[i]}:{self._sheet[i]}:{self._row[i]}"

    def refs(self, ks: np.ndarray) -> list[str]:
        return _ref_texts(self._file[ks], self._sheet[ks], self._row[ks])

    def grade(self, i: int) -> str:
        return self._grade_text(self.stage[i], self._grade[i], self._grade_raw[i])

    @staticmethod
    def _grade_text(stage, g, raw) -> str:
        if g is pd.NA or (isinstance(g, float) and np.isnan(g)):
            g = ""
        return grade_text(stage, g) or str(raw or "")

    def grades(self, ks: np.ndarray) -> np.ndarray:
        """:meth:`grade` of the records ``ks``."""
        return _per_distinct(self._grade_text, self.stage[ks], self._grade[ks], self._grade_raw[ks])

    def place(self, i: int) -> str:
        """'城关初中 初中8年级' ('' when the record names neither)."""
        return _place(self.school[i], self.grade(i))

    def where(self, i: int) -> str:
        """'城关初中 初中8年级，名册.xlsx:Sheet1:5'"""
        place = self.place(i)
        return f"{place}，{self.ref(i)}" if place else self.ref(i)


def _object_column(values: list) -> np.ndarray:
    """The object column a DataFrame built from these values and cast to object holds (text
    columns: the strings themselves; anything else as pandas infers it, e.g. ages with a gap
    become floats), without the round trip through pandas' string dtype for plain text."""
    out = np.empty(len(values), dtype=object)
    types = set(map(type, values))
    if types == {str} or types == {int} and all(-2 ** 63 <= v < 2 ** 63 for v in values):
        out[:] = values       # int64 and back: the same numbers
    else:
        out[:] = pd.DataFrame([[v] for v in values], columns=["v"], dtype=None)["v"].astype(object).to_numpy()
    return out


def _place(school, grade) -> str:
    return " ".join(x for x in (school, grade) if x)


def _role_records(pos: np.ndarray, link_reg: np.ndarray, in_window: np.ndarray) -> np.ndarray:
    """The positions among ``pos`` linked to a registry person of the window (the only records
    the judgement looks at)."""
    regs = link_reg[pos]
    keep = regs >= 0
    keep[keep] = in_window[regs[keep]]
    return pos[keep]


def dropout_check(prep: Prepared, policy: Policy, school_year: int) -> DropoutResult:
    """Judge every registry child of the window (see module docs)."""
    warnings: list[str] = []
    rec, reg = prep.rec, prep.reg
    # the registry classification of build_context (reconcile): unknown 脱贫属性 stop every
    # command; its warnings concern aid eligibility, not 控辍保学
    classify_registry(reg, policy, [])
    role_codes, role_names = pd.factorize(rec["role"], use_na_sentinel=True)
    role_names = list(role_names)

    def role_pos(role: str) -> np.ndarray:
        if role not in role_names:
            return np.array([], dtype=np.int64)
        if len(role_names) == 1:
            return np.arange(len(rec))
        return np.flatnonzero(role_codes == role_names.index(role))

    cur_all = role_pos("roster")
    cur_codes, cur_status, cur_active = _classify_statuses(
        rec["enrolment_status"].iloc[cur_all] if len(cur_all) != len(rec) else rec["enrolment_status"],
        policy, "学生名册", warnings)
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

    # ---- the records, per role: only those linked to a child of the window matter ------------------
    link_reg = rec["link_reg"].to_numpy(dtype=np.int64)
    cur_sel = _role_records(cur_all, link_reg, in_window)
    cur = _rows(rec, cur_sel)
    facts = _facts(cur, prep)
    # as reconcile's roster context: stage and grade are the worked-out ones
    cur = cur.assign(stage=pd.Series(facts["stage"].to_numpy(dtype=object), index=cur.index, dtype=object),
                     grade=pd.Series(facts["grade"].to_numpy(dtype=object), index=cur.index, dtype=object))
    sel_codes = cur_codes[np.searchsorted(cur_all, cur_sel)] if len(cur_sel) else np.array([], dtype=np.int64)
    cur_r = _Records(cur, prep, status=cur_status[sel_codes], active=cur_active[sel_codes],
                     facts=cur[["stage", "grade"]])
    prev_all = role_pos("previous_roster")
    if len(prev_all):
        p_codes, p_status, p_active = _classify_statuses(rec["enrolment_status"].iloc[prev_all], policy,
                                                         "上学期名册", warnings)
        prev_sel = _role_records(prev_all, link_reg, in_window)
        p_codes = p_codes[np.searchsorted(prev_all, prev_sel)]
        pst, pact = p_status[p_codes], p_active[p_codes]
    else:
        prev_sel = prev_all
        pst, pact = np.array([], dtype=object), np.array([], dtype=bool)
    prev_r = _Records(_rows(rec, prev_sel), prep, status=pst, active=pact)
    home_r = _Records(_rows(rec, _role_records(role_pos("home_education"), link_reg, in_window)), prep)
    else_r = _Records(_rows(rec, _role_records(role_pos("elsewhere"), link_reg, in_window)), prep)

    # records the linker could not attribute (review / invalid ID), by candidate registry ID
    roles = ("roster", "previous_roster", "home_education", "elsewhere")
    st_codes, st_names = pd.factorize(rec["link_status"], use_na_sentinel=True)
    st_names = list(st_names)
    bad_status = np.array([s in ("review", "invalid") for s in st_names] + [False], dtype=bool)
    in_roles = np.array([r in roles for r in role_names] + [False], dtype=bool)
    bad_pos = np.flatnonzero(bad_status[st_codes] & in_roles[role_codes])
    bad = _rows(rec, bad_pos)
    review = bad[(bad["link_status"] == "review").to_numpy(dtype=bool)]
    review_of: dict[str, list[str]] = {}
    for ref, cands in zip(_ref_texts(review["file"].to_numpy(dtype=object), review["sheet"].to_numpy(dtype=object),
                                     review["row"].to_numpy()), review["link_candidates"].astype(str)):
        for rid in cands.split(";"):
            if rid:
                review_of.setdefault(rid, []).append(ref)

    idx = np.flatnonzero(in_window)
    n_children = len(idx)
    # registry rows behind each child
    rows = prep.reg_rows
    person = rows["person"].to_numpy(dtype=np.int64)
    keep = person >= 0
    keep[keep] = in_window[person[keep]]
    kpos = np.flatnonzero(keep)
    reg_refs: dict[int, list[str]] = {}
    for p, ref in zip(person[kpos].tolist(), _ref_texts(rows["file"].to_numpy(dtype=object)[kpos],
                                                        rows["sheet"].to_numpy(dtype=object)[kpos],
                                                        rows["row"].to_numpy()[kpos])):
        reg_refs.setdefault(p, []).append(ref)

    sex = sexes_of(reg["sex"].iloc[idx]).to_numpy(dtype=object)
    sex = np.where(sex == "", reg["id_sex"].iloc[idx].astype(object).fillna("").to_numpy(dtype=object), sex)
    head = _head_names(reg, idx)
    reg_cols = ["rid", "name_raw", "birth", "township", "village", "household_no", "in_school_status"]
    sub = {c: reg[c].iloc[idx].to_numpy(dtype=object) for c in reg_cols}
    ages = _per_distinct(lambda b: age_on(b, on), sub["birth"])

    # ---- the judgement: the common case (exactly one active current record, not on the 送教上门
    # list) column-wise, every other child one by one --------------------------------------------------
    m = len(reg)
    n_active = np.bincount(cur_r.reg[cur_r.active], minlength=m)[idx] if n_children else np.zeros(0, int)
    n_home = np.bincount(home_r.reg, minlength=m)[idx] if n_children else np.zeros(0, int)
    simple = (n_active == 1) & (n_home == 0) & _COLUMNWISE
    first_active = np.full(m, -1, dtype=np.int64)
    act_pos = np.flatnonzero(cur_r.active)
    if len(act_pos):
        uniq, first = np.unique(cur_r.reg[act_pos], return_index=True)
        first_active[uniq] = act_pos[first]

    cat = np.empty(n_children, dtype=object)
    school = np.empty(n_children, dtype=object)
    grade = np.empty(n_children, dtype=object)
    status = np.empty(n_children, dtype=object)
    reason = np.empty(n_children, dtype=object)
    match = np.empty(n_children, dtype=object)
    refs: list = [None] * n_children
    confidence = np.ones(n_children, dtype=float)

    fast = np.flatnonzero(simple)
    if len(fast):
        k = first_active[idx[fast]]
        cat[fast] = "ENROLLED"
        school[fast] = cur_r.school[k]
        grade[fast] = g = cur_r.grades(k)
        st = cur_r.status[k]
        status[fast] = st = np.where(st == "", "未填写（按在读）", st)
        place = _per_distinct(_place, cur_r.school[k], g)
        ref = cur_r.refs(k)
        age_f = ages[fast]
        kinder = (cur_r.stage[k] == "幼儿园") & np.array([a is not None and a >= 6 for a in age_f.tolist()],
                                                        dtype=bool)
        mism = cur_r.mismatch[k]
        odd = mism.astype(bool) & cur_r.linked[k]
        text = [f"在{p}就读，学籍状态“{s}”（{r}）" for p, s, r in zip(place.tolist(), st.tolist(), ref)]
        for n in np.flatnonzero(kinder | odd).tolist():
            notes = []
            if kinder[n]:
                notes.append(f"已满{age_f[n]}周岁仍在幼儿园，须核实是否延缓入学")
            if odd[n]:
                notes.append(f"{ref[n]} 与建档立卡库信息不一致（{mism[n]}），请更正原表")
            text[n] = text[n] + "；" + "；".join(notes)
        reason[fast] = text
        score = cur_r.score[k]
        confidence[fast] = np.where(score == 0, 1.0, score)
        labels = _per_distinct(method_label, cur_r.method[k])
        match[fast] = np.where(labels == "", "未找到记录", labels)
        for n, i, r in zip(fast.tolist(), idx[fast].tolist(), ref):
            mine = reg_refs.get(i)
            refs[n] = [r] if mine is None else list(dict.fromkeys(mine + [r]))
    for n in np.flatnonzero(~simple).tolist():
        i = int(idx[n])
        (cat[n], school[n], grade[n], status[n], reason[n], refs[n], match[n], confidence[n]) = _judge(
            i, sub["rid"][n], sub["in_school_status"][n], ages[n], cur_r, prev_r, home_r, else_r, review_of,
            reg_refs)

    ages_l = ages.tolist()
    cols = {"category": cat.tolist(), "label": [DROPOUT_LABELS[c] for c in cat.tolist()],
            "township": sub["township"].tolist(), "village": sub["village"].tolist(),
            "household_no": sub["household_no"].tolist(), "head_name": head.tolist(), "name": sub["name_raw"].tolist(),
            "sex": sex.tolist(), "id_number": sub["rid"].tolist(), "birth": sub["birth"].tolist(), "age": ages_l,
            "expected_grade": [expected_grade(a) for a in ages_l], "school": school.tolist(),
            "grade": grade.tolist(), "enrol_status": status.tolist(), "reason": reason.tolist(),
            "match": match.tolist(), "sources": ["；".join(r) for r in refs], "confidence": confidence.tolist()}
    findings = [Finding(category=c, id_number=rid, name=nm, item="", semester=sy, school=sc, township=tw,
                        village=vl, expected_amount=None, paid_amount=None, reason=rs, confidence=cf,
                        sources=tuple(rf), household_no=hh, grade=gr, match=mt)
                for c, rid, nm, sc, tw, vl, rs, cf, rf, hh, gr, mt in zip(
                    cols["category"], cols["id_number"], cols["name"], cols["school"], cols["township"],
                    cols["village"], cols["reason"], cols["confidence"], refs, cols["household_no"], cols["grade"],
                    cols["match"])]
    order = {c: n for n, c in enumerate(DROPOUT_ORDER)}
    children = _children_frame(cols, order)
    findings.sort(key=lambda f: (order[f.category], f.township, f.village, f.household_no, f.id_number))
    counts = {c: 0 for c in PRECEDENCE}
    for c in cols["category"]:
        counts[c] += 1

    review_frame = _review_frame(bad, reg, no_birth)
    stats = {"registry_persons": len(reg), "in_window": int(in_window.sum()),
             "outside_window": int((~in_window & ~no_birth).sum()), "no_birth_date": int(no_birth.sum()),
             "review_records": int((review_frame["kind"] == "review").sum()) if len(review_frame) else 0,
             "invalid_id_records": int((review_frame["kind"] == "invalid").sum()) if len(review_frame) else 0}
    # account() filters the frame once per input table: hand it only the columns it reads
    accounting = account(prep, rec[["table", "link_status"]])
    return DropoutResult(school_year, (lo, hi), findings, counts, warnings, accounting, children,
                         review_frame, rec, reg, stats, on)


def _children_frame(cols: dict[str, list], order: dict[str, int]) -> pd.DataFrame:
    """The children in ledger order: category (action first), township, village, household,
    birth date, ID."""
    data = {c: _object_column(v) if c != "confidence" else v for c, v in cols.items()}
    keys = ["township", "village", "household_no", "birth", "id_number"]
    if data["category"].size and all(set(map(type, data[k].tolist())) == {str} for k in keys):
        # all text: a plain sort of the key tuples is the stable multi-column sort
        rows = list(zip([order[c] for c in cols["category"]], *(data[k].tolist() for k in keys)))
        perm = np.array(sorted(range(len(rows)), key=rows.__getitem__), dtype=np.int64)
        return pd.DataFrame({c: pd.Series(v[perm], dtype=object) if c != "confidence"
                             else np.asarray(v, dtype=float)[perm] for c, v in data.items()})
    # (no children: every column object, as a frame of no rows)
    children = pd.DataFrame({c: pd.Series(v, dtype=object if c != "confidence" or not len(v) else None)
                             for c, v in data.items()})
    if len(children):
        children["_o"] = children["category"].map(order)
        children = children.sort_values(["_o", *keys], kind="stable").drop(columns="_o").reset_index(drop=True)
    return children


def _judge(i: int, rid, in_school, age, cur_r: _Records, prev_r: _Records, home_r: _Records, else_r: _Records,
           review_of: dict[str, list[str]], reg_refs: dict[int, list[str]]) -> tuple:
    """One child's finding: (category, school, grade, status, reason, sources, match, confidence)."""
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
        v = str(in_school or "").strip()
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
    review_refs = review_of.get(rid, []) if cat in ACTION else []
    if review_refs:
        notes.append("有待核对的疑似记录：" + "；".join(review_refs) + "（证据不足以确定是否为该生，请先人工核对）")
        confidence = 0.5
    if notes:
        reason = reason + "；" + "；".join(notes)
    refs = list(dict.fromkeys(reg_refs.get(i, []) + [recs.ref(k) for recs, k in evidence] + review_refs))
    match = "；".join(dict.fromkeys(method_label(recs.method[k]) for recs, k in evidence)) or "未找到记录"
    return cat, school, grade, status, reason, refs, match, confidence


_ROLE_LABELS = {"roster": "学生名册", "previous_roster": "上学期名册", "home_education": "送教上门名单",
                "elsewhere": "外地就读证明名单", "registry": "建档立卡人口库"}
_REVIEW_NOTE = "证据不足以确定是建档立卡库中的哪一个人（或是否为其中一人），请人工核对"
_INVALID_NOTE = "证件号无效，且无法按姓名、出生日期、学校或村对应到建档立卡库中的人，请核对证件号"


def _review_frame(bad: pd.DataFrame, reg: pd.DataFrame, no_birth: np.ndarray) -> pd.DataFrame:
    """The 待核对记录 rows: ``bad`` (records of the dropout roles whose link status is review or
    invalid, file order), then the registry persons without a birth date."""
    cols = ["kind", "role", "file", "sheet", "row", "name", "raw_id", "school", "status", "note", "candidates"]
    kind = bad["link_status"].to_numpy(dtype=object).tolist()
    cands = [[c for c in str(x).split(";") if c] for x in bad["link_candidates"].to_numpy(dtype=object).tolist()]
    names = dict(zip(reg["rid"], reg["name_raw"])) if any(cands) else {}
    out = {"kind": kind, "role": [_ROLE_LABELS.get(r, r) for r in bad["role"].to_numpy(dtype=object).tolist()],
           "file": bad["file"].to_numpy(dtype=object).tolist(), "sheet": bad["sheet"].to_numpy(dtype=object).tolist(),
           "row": [int(r) for r in bad["row"].tolist()], "name": bad["name"].to_numpy(dtype=object).tolist(),
           "raw_id": bad["id_number"].to_numpy(dtype=object).tolist(),
           "school": bad["school"].to_numpy(dtype=object).tolist(),
           "status": bad["enrolment_status"].to_numpy(dtype=object).tolist(),
           "note": [_REVIEW_NOTE if k == "review" else _INVALID_NOTE for k in kind],
           "candidates": [[(names.get(c, ""), c) for c in cs] for cs in cands]}
    for r in reg[no_birth].itertuples(index=False):
        for c, v in zip(cols, ("no_birth", _ROLE_LABELS["registry"], r.file, r.sheet, int(r.row), r.name_raw,
                               r.id_number, "", str(r.in_school_status or ""),
                               "证件号中的出生日期无法识别，无法判断是否属于适龄儿童，请核对证件号", [])):
            out[c].append(v)
    frame = pd.DataFrame({c: pd.Series(out[c], dtype=object) for c in cols}, columns=cols, dtype=object)
    return frame   # object: the ledger iterates it row by row
