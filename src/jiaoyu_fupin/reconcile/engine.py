"""reconcile: eligibility × payments → findings (SPEC.md categories, docs/SEMANTICS.md).

Works on the frames ``link.prepare`` builds. Everything is a groupby/merge over whole columns;
the per-finding Python work is only the building of finding rows (a few per problem).
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from jiaoyu_fupin.link.engine import method_label
from jiaoyu_fupin.link.prepare import Prepared
from jiaoyu_fupin.normalize.semesters import Semester, parse_semesters
from jiaoyu_fupin.normalize.values import (
    boardings,
    enrolment_status,
    grade_label,
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
    roster_pos: np.ndarray | None = None   # positions of the roster records in prep.rec


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
    _warn(warnings, policy.keyword_warning("poverty_status", status, where="建档立卡库"))
    return elig.fillna(True).astype(bool)


def _warn(warnings: list[str], message: str | None) -> None:
    if message:
        warnings.append(message)


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


def _addresses(values: np.ndarray) -> np.ndarray:
    """The address of the object in each cell of a 1-D object array (such an array holds object
    pointers). Equal addresses are the same object, so grouping cells by address is grouping
    them by identity, a refinement of grouping by value; the addresses are only compared, never
    followed. Integer hashing makes this several times faster than hashing the values, and the
    readers and normalisers share one object among cells of equal text (a school's name, a
    grade), so there are few distinct addresses."""
    values = np.ascontiguousarray(values, dtype=object)
    if not len(values):
        return np.zeros(0, dtype=np.intp)
    buf = (ctypes.c_char * values.nbytes).from_address(values.ctypes.data)
    return np.frombuffer(buf, dtype=np.intp).copy()


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """First row of each code, for codes numbered in order of first appearance (0, 1, 2, …)."""
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    running = np.maximum.accumulate(codes)
    return np.flatnonzero(np.concatenate(([True], running[1:] > running[:-1])))


#: columns shorter than this are hashed by value directly (grouping by identity first pays off
#: on long columns whose cells share objects)
_IDENTITY_MIN_ROWS = 65536


def _distinct(values: np.ndarray, na_sentinel: bool = False,
              at: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` of an object array, or of its cells at positions ``at`` (codes in order
    of first appearance, uniques as an object array; with ``na_sentinel`` missing values get
    code -1 and are not among the uniques). When the cells share objects they are grouped by
    identity first (:func:`_addresses`), and only one cell per object is hashed by value."""
    values = np.asarray(values, dtype=object)
    n = len(values) if at is None else len(at)
    if n >= _IDENTITY_MIN_ROWS:
        addresses = _addresses(values) if at is None else _addresses(values)[at]
        sample = addresses[::max(n // 16384, 1)]
        if len(np.unique(sample)) < len(sample) // 2:   # cells share objects
            ptr_codes, _ = pd.factorize(addresses)
            first = _first_rows(ptr_codes)
            codes, uniques = pd.factorize(pd.Series(values[first if at is None else at[first]], dtype=object),
                                          use_na_sentinel=na_sentinel)
            return codes[ptr_codes], np.asarray(uniques, dtype=object)
    if at is not None:
        values = values[at]
    codes, uniques = pd.factorize(pd.Series(values, dtype=object, copy=False), use_na_sentinel=na_sentinel)
    return codes, np.asarray(uniques, dtype=object)


def _combined(columns: list[np.ndarray], at: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the distinct combinations of aligned object columns (or of their cells at
    positions ``at``), numbered in order of first appearance (None and NaN are values too), and
    the first row of each. Like ``link.engine.combined_codes``, with :func:`_distinct`."""
    key, size = None, 1
    for col in columns:
        codes, uniques = _distinct(col, at=at)
        k = max(len(uniques), 1)
        if key is None:
            key, size = codes.astype(np.int64), k
            continue
        if size * k >= 2 ** 62:             # renumber before the mixed-radix key overflows
            key = pd.factorize(key)[0]
            size = int(key.max()) + 1 if len(key) else 1
        key, size = key * k + codes, size * k
    if key is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    key = pd.factorize(key)[0]
    return key, _first_rows(key)


def _per_distinct(values: np.ndarray, func) -> np.ndarray:
    """``func(Series of the distinct values).to_numpy(dtype=object)`` mapped back to every row
    (for vectorised functions of one value each, e.g. ``Policy.jdlk``)."""
    codes, uniques = _distinct(values)
    return func(pd.Series(uniques, dtype=object)).to_numpy(dtype=object)[codes]


def _fact_codes(columns: dict[str, np.ndarray], prep: Prepared,
                at: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(key, facts): ``facts[c][key]`` are the stage, grade, boarding_n and tier_n (see
    :func:`student_facts`) of the rows of aligned FACT_COLUMNS object arrays (or of the rows at
    positions ``at``), worked out once per distinct combination."""
    key, first = _combined([columns[c] for c in FACT_COLUMNS], at=at)
    rows = first if at is None else at[first]
    distinct = pd.DataFrame({c: _obj(columns[c][rows], None) for c in FACT_COLUMNS})
    facts = _student_facts(distinct, prep)
    return key, {c: facts[c].to_numpy(dtype=object) for c in facts.columns}


def _fact_arrays(columns: dict[str, np.ndarray], prep: Prepared) -> dict[str, np.ndarray]:
    """stage, grade, boarding_n, tier_n of each row of aligned FACT_COLUMNS object arrays."""
    key, facts = _fact_codes(columns, prep)
    return {c: v[key] for c, v in facts.items()}


def student_facts(frame: pd.DataFrame, prep: Prepared) -> pd.DataFrame:
    """stage, grade, boarding, tier of each record from its own columns and the schools list
    (worked out once per distinct combination of the columns they depend on)."""
    if not len(frame):
        return _student_facts(frame, prep)
    key, first = _combined([frame[c].to_numpy(dtype=object) for c in FACT_COLUMNS])
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
        codes, uniques = _distinct(registry_ids[linked], na_sentinel=True)
        keys = np.array(["R" + str(u) for u in uniques], dtype=object)
        person[linked] = keys[codes]
    idx = np.flatnonzero(~linked & (link_status == "none"))
    if len(idx):
        own, xueji = own_id[idx], xueji_id[idx]
        usable = np.isin(id_status[idx], ["valid", "converted_15"]) & (own != "")
        ids = np.where(usable, own, xueji)
        has = usable | (xueji != "")
        if pd.api.types.infer_dtype(ids, skipna=False) == "string":
            person[idx[has]] = "X" + ids[has]          # object arrays: str + str per cell, in C
        else:
            person[idx] = ["X" + str(i) if ok else ("X" + str(x) if x != "" else "")
                           for i, x, ok in zip(own.tolist(), xueji.tolist(), usable.tolist())]
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


def _enrolment_status(value) -> str:
    """:func:`enrolment_status` as ``enrolment_statuses`` applies it (missing → '')."""
    return "" if _missing(value) else enrolment_status(value)


def _missing(value) -> bool:
    missing = pd.isna(value)
    return missing if isinstance(missing, bool) else False


def build_context(prep: Prepared, policy: Policy, roster_roles=("roster",), lean: bool = False) -> Context:
    """The registry persons with their eligibility and enrolment, and the roster records with
    theirs. ``lean=True``: ``Context.roster`` holds only ``active`` (what reconcile reads of it;
    the other columns cost a million-row array each)."""
    warnings: list[str] = []
    reg = prep.reg.copy(deep=False)   # only columns are added below
    reg["eligible"] = classify_registry(reg, policy, warnings).to_numpy()
    rec = prep.rec
    pos = np.flatnonzero(rec["role"].isin(roster_roles).to_numpy())
    full = {c: rec[c].to_numpy(dtype=object) for c in ("enrolment_status",) + FACT_COLUMNS}

    # 学籍状态 and whether it counts as in school: once per distinct cell
    st_codes, st_cells = _distinct(full["enrolment_status"], at=pos)
    st_values = np.array([_enrolment_status(v) for v in st_cells], dtype=object)
    act_values = policy.activity(pd.Series(st_values, dtype=object)).to_numpy(dtype=object)
    act_na = pd.isna(act_values)
    unknown = (act_na & (st_values != ""))[st_codes]
    if unknown.any():
        policy.check_values("enrolment_status",
                            pd.Series(st_values[st_codes[unknown]], dtype=object).value_counts().to_dict(),
                            where="学生名册")
    blank = int((st_values == "")[st_codes].sum())
    if blank:
        warnings.append(f"学生名册中有 {blank} 行未填写学籍状态，按在读处理")
    _warn(warnings, policy.keyword_warning("enrolment_status", st_values[np.unique(st_codes)], where="学生名册"))
    active = np.where(act_na, True, act_values).astype(bool)[st_codes]
    fact_key, facts = _fact_codes(full, prep, at=pos)
    link_reg = rec["link_reg"].to_numpy()[pos]
    if lean:
        roster = pd.DataFrame({"active": active}, index=rec.index[pos])
    else:
        def col(c: str) -> np.ndarray:
            return rec[c].to_numpy(dtype=object)[pos]

        roster = rec.iloc[pos]
        roster["active"] = active
        roster["status_n"] = _obj(st_values[st_codes], roster.index)
        for c, values in facts.items():
            roster[c] = _obj(values[fact_key], roster.index)
        roster["person"] = _obj(person_keys(link_reg, col("registry_id"), col("link_status"), col("id"),
                                            col("id_status"), col("xueji_id")), roster.index)
    # enrolment of registry persons: first active record (file order)
    act_mask = active & (link_reg >= 0)
    act_reg = link_reg[act_mask]
    act_pos = np.flatnonzero(act_mask)
    _, first_i = np.unique(act_reg, return_index=True)     # first active record of each person
    first_i = np.sort(first_i)
    first = act_pos[first_i]                                # roster positions
    idx = act_reg[first_i]                                  # registry positions
    m = len(reg)
    n_active = np.bincount(act_reg, minlength=m) if len(act_reg) else np.zeros(m, dtype=np.int64)

    def take(c: str, at: np.ndarray) -> np.ndarray:
        """Column c (a derived one, else the record's own) at roster positions ``at``."""
        if c in facts:
            return facts[c][fact_key[at]]
        if c == "status_n":
            return st_values[st_codes[at]]
        return rec[c].to_numpy(dtype=object)[pos[at]]

    cols = {c: np.full(m, "", dtype=object) for c in ("stage", "grade", "boarding_n", "tier_n", "school", "class",
                                                       "grade_raw", "roster_ref", "enrol_status", "roster_match")}
    r_row = rec["row"].to_numpy()
    refs = lambda at: np.array([f"{f}:{s}:{r}" for f, s, r in zip(take("file", at).tolist(), take("sheet", at).tolist(),
                                                                   r_row[pos[at]].tolist())], dtype=object)
    enrolled = np.zeros(m, dtype=bool)
    enrolled[idx] = True
    for c, src in (("stage", "stage"), ("grade", "grade"), ("boarding_n", "boarding_n"), ("tier_n", "tier_n"),
                   ("school", "school"), ("class", "class"), ("grade_raw", "grade"), ("enrol_status", "status_n")):
        cols[c][idx] = take(src, first)
    cols["roster_ref"][idx] = refs(first)
    m_codes, methods = _distinct(take("link_method", first))
    cols["roster_match"][idx] = np.array([method_label(x) for x in methods.tolist()] + [""], dtype=object)[m_codes]
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
        cols[c][ii] = take(src, ipos)
    cols["roster_ref"][ii] = refs(ipos)
    reg["enrolled"] = enrolled
    reg["any_roster"] = any_roster
    for c in ("stage", "grade", "boarding_n", "tier_n", "school", "class", "grade_raw", "roster_ref",
              "enrol_status", "roster_match"):
        reg[c] = _obj(cols[c], reg.index)
    reg["n_active"] = n_active.astype(int)
    return Context(reg, roster, warnings, roster_pos=pos)


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


class _KeyIndex:
    """(person number, item-code number) → key number (-1 where no payment)."""

    def __init__(self, pk_pp: np.ndarray, pk_cc: np.ndarray, n_codes: int) -> None:
        self.n_codes = n_codes
        self.index = pd.Index(pk_pp.astype(np.int64) * n_codes + pk_cc)

    def get(self, pp: np.ndarray, cc: int) -> np.ndarray:
        out = np.full(len(pp), -1, dtype=np.int64)
        ok = pp >= 0
        if cc >= 0 and ok.any():
            out[ok] = self.index.get_indexer(pp[ok].astype(np.int64) * self.n_codes + cc)
        return out


def _groups(codes: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(order, bounds): the positions of code c, ascending, are ``order[bounds[c]:bounds[c+1]]``."""
    order = np.argsort(codes, kind="stable")
    return order, np.searchsorted(codes[order], np.arange(n + 1))


def _judge_entitlements(*, ks, pp_k, rid_arr, R, persons, not_enrolled, pk_of, code_index, pk_pp, pk_cc,
                        code_values, paid, dup, review_block, entitled, amount_of, tier_items, not_checked, add,
                        rows_of) -> None:
    """UNPAID / UNDERPAID / OVERPAID of the eligible, enrolled registry persons at registry
    positions ``ks`` (``pp_k``: their person numbers among the paid persons, -1 for none): what
    a loop over ks (skipping persons found NOT_ENROLLED), their entitled items and then their
    other paid items would report, in that order, and the items whose amount is not checked
    (``not_checked``, reason → count, in order of first occurrence). The rules run once per
    distinct (stage, grade, boarding, tier) and item; only the findings are built one by one."""
    keep = ~((pp_k >= 0) & not_enrolled[np.maximum(pp_k, 0)]) if len(persons) else np.ones(len(ks), dtype=bool)
    ks, pp_k = ks[keep], pp_k[keep]
    if not len(ks):
        return
    stage, grade, boarding, tier = (R[c][ks] for c in ("stage", "grade", "boarding_n", "tier_n"))
    combo, first = _combined([stage, grade, boarding, tier])
    n_combos = len(first)
    members_order, members_bounds = _groups(combo, n_combos)
    # findings to make: (position in ks, 0 = entitled item / 1 = other paid item, item no. / key,
    # category, item, key, amount result, paid amount), sorted into loop order at the end
    events: list[tuple] = []
    unchecked: dict[str, list] = {}   # reason → [first (position, item no.), count]
    entitled_codes = np.zeros((n_combos, max(len(code_values), 1)), dtype=bool)
    for c in range(n_combos):
        f = first[c]
        st, gr, bo, ti = stage[f], grade[f], boarding[f], tier[f]
        items = entitled(st or None, gr if gr != "" else None)
        members = members_order[members_bounds[c]:members_bounds[c + 1]]
        for j, it in enumerate(items):
            if it.code in code_index:
                entitled_codes[c, code_index[it.code]] = True
            res = amount_of(it.code, bo or None, ti or None)
            if res.amount is None and it.code in tier_items:
                seen = unchecked.setdefault(res.reason, [(int(members[0]), j), 0])
                seen[0] = min(seen[0], (int(members[0]), j))
                seen[1] += len(members)
                continue
            keys = pk_of.get(pp_k[members], code_index.get(it.code, -1))
            for p in members[keys < 0].tolist():
                events.append((p, 0, j, "UNPAID", it, -1, res, None))
            if res.amount is None:
                continue
            has = np.flatnonzero(keys >= 0)
            has = has[~dup[keys[has]]]
            if not len(has):
                continue
            amt = paid[keys[has]]
            for cat, hit in (("UNDERPAID", amt < res.amount), ("OVERPAID", amt > res.amount)):
                hit = np.asarray(hit, dtype=bool)
                for p, key in zip(members[has[hit]].tolist(), keys[has[hit]].tolist()):
                    events.append((p, 0, j, cat, it, key, res, paid[key]))
    # items paid to the person but not among those entitled
    with_pay = np.flatnonzero(pp_k >= 0)
    if len(with_pay) and len(pk_pp):
        by_person, person_bounds = _groups(pk_pp, len(persons))
        counts = (person_bounds[1:] - person_bounds[:-1])[pp_k[with_pay]]
        p_rep = np.repeat(with_pay, counts)
        starts = np.repeat(person_bounds[pp_k[with_pay]], counts)
        within = np.arange(len(p_rep)) - np.repeat(np.cumsum(counts) - counts, counts)
        keys = by_person[starts + within]
        other = ~entitled_codes[combo[p_rep], pk_cc[keys]] & ~dup[keys]
        for p, key in zip(p_rep[other].tolist(), keys[other].tolist()):
            events.append((p, 1, key, "OVERPAID", None, key, None, paid[key]))
    for reason, (_, n) in sorted(unchecked.items(), key=lambda kv: kv[1][0]):
        not_checked[reason] = not_checked.get(reason, 0) + n
    events.sort(key=lambda e: e[:3])
    for p, _, _, cat, it, key, res, paid_amt in events:
        k = ks[p]
        person = "R" + rid_arr[k]
        st, gr, bo = R["stage"][k], R["grade"][k], R["boarding_n"][k]
        if cat == "UNPAID":
            if (person, it.code) in review_block:
                continue
            add("UNPAID", person, it.code, None, expected=res.amount, paid=None,
                reason=f"{grade_label(st, gr)}在读，{'住校' if bo == '住校' else ('走读' if bo else '')}"
                       f"应享受{it.name}，本学期未发放" + (f"（{res.reason}）" if res.reason else ""),
                extra_refs=[R["roster_ref"][k]])
        elif it is not None:
            add(cat, person, it.code, rows_of(key), expected=res.amount, paid=paid_amt,
                reason=f"应发 {money(res.amount)} 元（{bo or ''}），实发 {money(paid_amt)} 元")
        else:
            add("OVERPAID", person, code_values[pk_cc[key]], rows_of(key), expected=ZERO, paid=paid_amt,
                reason=f"{grade_label(st, gr)}不在该项目的资助范围内")


def _by_combination(func, *columns: np.ndarray) -> np.ndarray:
    """``func(*Series)`` (a vectorised function of aligned columns, one result per row) worked
    out once per distinct combination of the object columns and mapped back to every row."""
    key, first = _combined(list(columns))
    out = func(*[pd.Series(c[first], dtype=object) for c in columns])
    return pd.Series(out, copy=False).astype(object).to_numpy(dtype=object)[key]


class _FirstRows:
    """ID → the registry row of its first person (what a dict built over the rows in order,
    keeping the first, gives), looked up one ID or many at a time."""

    def __init__(self, rids: np.ndarray) -> None:
        codes, values = _distinct(rids)
        self.first = _first_rows(codes)
        self.codes = codes
        self.index = pd.Index(values, dtype=object)

    def __getitem__(self, rid) -> int:
        return int(self.first[self.index.get_loc(rid)])

    def __contains__(self, rid) -> bool:
        return rid in self.index

    def codes_of(self, rids: list) -> np.ndarray:
        """The number of each ID among the distinct IDs (-1: not in the registry)."""
        return self.index.get_indexer(np.array(rids, dtype=object)) if rids else np.zeros(0, dtype=np.int64)


class _RosterPeople:
    """Which persons (``person_keys``) have a roster record, and an active one, without building
    the key of each of a million roster records: 'R' keys are built for the few linked records,
    'X' keys are compared by the ID after the 'X'."""

    def __init__(self, rec: pd.DataFrame, pos: np.ndarray, active: np.ndarray) -> None:
        def col(c: str) -> np.ndarray:
            return rec[c].to_numpy(dtype=object)[pos]

        link_reg = rec["link_reg"].to_numpy()[pos]
        registry_ids, link_status, own, id_status, xueji = (col(c) for c in ("registry_id", "link_status", "id",
                                                                           "id_status", "xueji_id"))
        linked = np.flatnonzero(link_reg >= 0)
        keys = person_keys(link_reg[linked], registry_ids[linked], link_status[linked], own[linked],
                           id_status[linked], xueji[linked])
        self.registry_active = set(keys[active[linked]].tolist())
        # records linked to nobody: key 'X' + own usable ID, else 'X' + the G 学籍号's (person_keys)
        none = np.flatnonzero((link_reg < 0) & (link_status == "none"))
        o, x = own[none], xueji[none]
        usable = np.isin(id_status[none], ["valid", "converted_15"]) & (o != "")
        has = usable | (x != "")
        ids = np.where(usable, o, x)[has]
        if pd.api.types.infer_dtype(ids, skipna=False) != "string":
            ids = np.array([str(v) for v in ids.tolist()], dtype=object)
        self.ids, self.ids_active = ids, active[none][has]

    def unlinked(self, ids: list[str]) -> tuple[set[str], set[str]]:
        """Of these IDs ('X' keys without the 'X'): those with a roster record, and those with an
        active one."""
        if not ids or not len(self.ids):
            return set(), set()
        wanted = set(ids)
        hit = np.fromiter((i in wanted for i in self.ids.tolist()), dtype=bool, count=len(self.ids))
        return set(self.ids[hit].tolist()), set(self.ids[hit & self.ids_active].tolist())


def _reconcile(prep: Prepared, policy: Policy, semester: Semester, steps: _StageSwitch) -> ReconcileResult:
    steps.start("policy", len(prep.rec) + len(prep.reg))
    sem = str(semester)
    rec = prep.rec
    ctx = build_context(prep, policy, lean=True)
    reg = ctx.reg
    warnings = list(ctx.warnings)
    findings: list[Finding] = []
    n_rec = len(rec)

    def rcol(c: str) -> np.ndarray:
        """A record column as it is stored (object columns as object arrays)."""
        return rec[c].to_numpy(dtype=object) if rec[c].dtype == object else rec[c].to_numpy()

    # ---- payments of the semester ---------------------------------------------------------------
    pay_pos = np.flatnonzero(rec["role"].isin(["national", "provincial"]).to_numpy())
    pay_index = rec.index[pay_pos]
    pay_sem = _by_combination(parse_semesters, rcol("semester")[pay_pos], rcol("school_year")[pay_pos])
    other_sem = (pay_sem != "") & (pay_sem != sem)
    no_sem = pay_sem == ""
    # rows with no readable semester: assumed to be this semester when their file holds no other
    if no_sem.any():
        pay_file = rcol("file")[pay_pos]
        files_with_other = set(pay_file[other_sem])
        assume = no_sem & ~pd.Series(pay_file, dtype=object).isin(files_with_other).to_numpy()
        pay_sem = np.where(assume, sem, pay_sem)
        rec.loc[pay_index[assume], "sem_assumed"] = True
    skip = np.full(n_rec, "", dtype=object)
    off = pay_sem != sem
    skip[pay_pos[off]] = np.where(pay_sem[off] == "", "学期无法识别且文件含其他学期", "非本学期（" + sem + "以外）")
    rec["skip_reason"] = pd.Series(skip, dtype=object, index=rec.index)
    pos = pay_pos[~off]                                      # the semester's payment rows

    def pcol(c: str) -> np.ndarray:
        return rcol(c)[pos]

    amount = pcol("amount")
    amount_d = _per_distinct(amount, parse_amounts)
    no_amount = pd.isna(amount_d)
    if no_amount.any():
        bad = np.zeros(len(pos), dtype=bool)
        bad[no_amount] = (pd.Series(amount[no_amount], dtype=object).astype(str).str.strip() != "").to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            warnings.append(f"{int(bad.sum())} 行金额无法识别（如 {pcol('file')[i]} 第 {pcol('row')[i]} 行“{amount[i]}”），按 0 计")
        amount_d = np.where(no_amount, ZERO, amount_d)
    # stage of the student: enrolment for registry persons, else the row's own grade/school
    facts = _fact_arrays({c: pcol(c) for c in FACT_COLUMNS}, prep)
    link_reg = pcol("link_reg")
    linked = link_reg >= 0
    st_reg = np.where(linked, reg["stage"].to_numpy(dtype=object)[np.maximum(link_reg, 0)], "")
    stage_use = np.where(st_reg != "", st_reg, facts["stage"])
    item = pcol("item")
    codes = _by_combination(policy.resolve_items, item, stage_use)
    unresolved = pd.isna(codes)
    if unresolved.any():
        policy.check_values("item", pd.Series(item[unresolved], dtype=object).value_counts().to_dict(),
                            where="资助发放数据")
    _warn(warnings, policy.keyword_warning("item", item, stage_use, where="资助发放数据"))
    keep = codes != IGNORED
    pos, codes, amount_d, link_reg = pos[keep], codes[keep], amount_d[keep], link_reg[keep]
    hardship = pcol("hardship_type")
    jd = _per_distinct(hardship, policy.jdlk)
    jd_na = pd.isna(jd)
    if jd_na.any():
        unknown = np.zeros(len(pos), dtype=bool)
        unknown[jd_na] = (pd.Series(hardship[jd_na], dtype=object).astype(str).str.strip() != "").to_numpy()
        if unknown.any():
            policy.check_values("hardship_type", pd.Series(hardship[unknown], dtype=object).value_counts().to_dict(),
                                where="全国学生资助系统")
    _warn(warnings, policy.keyword_warning("hardship_type", hardship, where="全国学生资助系统"))
    role = pcol("role")
    pay_jdlk = np.where(jd_na, False, jd).astype(bool) | (role == "provincial")
    # person key
    person_col = person_keys(link_reg, pcol("registry_id"), pcol("link_status"), pcol("id"), pcol("id_status"),
                             pcol("xueji_id"))
    keep = person_col != ""
    # the judged rows ("J rows") as plain arrays; columns findings show are read for their rows only
    j_pos = pos[keep]
    j_person, j_code, j_role, j_amount = person_col[keep], codes[keep], role[keep], amount_d[keep]
    j_jdlk = pay_jdlk[keep]
    j_registry = link_reg[keep] >= 0          # person 'R…' (else 'X…')
    n_j = len(j_pos)
    rec_cols: dict[str, np.ndarray] = {}

    def at(c: str, i: int):
        """Column c of J row i."""
        if c not in rec_cols:
            rec_cols[c] = rcol(c)
        return rec_cols[c][j_pos[i]]

    def j_ref(i: int) -> str:
        return f"{at('file', i)}:{at('sheet', i)}:{at('row', i)}"

    # registry persons by ID (the first registry row of an ID) and what findings read of them
    rid_arr = reg["rid"].to_numpy(dtype=object)
    first_of = _FirstRows(rid_arr)
    R = {c: reg[c].to_numpy(dtype=object) for c in ("name_raw", "name", "school", "township", "village",
                                                    "household_no", "stage", "grade", "roster_match",
                                                    "boarding_n", "tier_n", "roster_ref", "in_school_status")}
    r_eligible = reg["eligible"].to_numpy(dtype=bool)
    r_any_roster = reg["any_roster"].to_numpy(dtype=bool)
    r_enrolled = reg["enrolled"].to_numpy(dtype=bool)
    r_status: list = []

    def status_of(k: int) -> str:
        if not r_status:
            r_status.append(registry_status(reg).to_numpy(dtype=object))
        return r_status[0][k]

    def person_info(person: str, first: int | None) -> dict:
        if person.startswith("R"):
            k = first_of[person[1:]]
            return {"id_number": rid_arr[k], "name": R["name_raw"][k],
                    "school": R["school"][k] or (at("school", first) if first is not None else ""),
                    "township": R["township"][k], "village": R["village"][k],
                    "household_no": R["household_no"][k], "grade": grade_text(R["stage"][k], R["grade"][k])}
        return {"id_number": person[1:],
                "name": at("name", first) if first is not None else "",
                "school": at("school", first) if first is not None else "",
                "township": at("township", first) if first is not None else "",
                "village": at("village", first) if first is not None else "", "household_no": "",
                "grade": at("grade", first) if first is not None else ""}

    def add(category: str, person: str, item: str, rows: list[int] | None, *, expected=None, paid=None,
            reason: str = "", confidence: float = 1.0, extra_refs: list[str] | None = None) -> None:
        info = person_info(person, rows[0] if rows else None)
        refs = [j_ref(i) for i in rows] if rows is not None else []
        if extra_refs:
            refs += [r for r in extra_refs if r and r not in refs]
        match = ""
        if rows:
            match = "；".join(dict.fromkeys(method_label(at("link_method", i)) for i in rows))
            low = min(float(at("link_score", i)) for i in rows)
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
    # ---- per (person, item): rows, and sums per ledger -------------------------------------------------
    # keys numbered in order of first appearance (the order the rules below report them in)
    pp, persons = _distinct(j_person)
    cc, code_values = _distinct(j_code)
    n_codes = max(len(code_values), 1)
    pk, _ = pd.factorize(pp * n_codes + cc)
    n_pk = int(pk.max()) + 1 if n_j else 0
    pk_first = _first_rows(pk)
    pk_pp, pk_cc = pp[pk_first], cc[pk_first]
    order = np.argsort(pk, kind="stable")
    bounds = np.searchsorted(pk[order], np.arange(n_pk + 1))

    def rows_of(k: int) -> list[int]:
        return order[bounds[k]:bounds[k + 1]].tolist()

    # Decimal sums per (key, ledger), added in row order like a running total from 0
    provincial = j_role == "provincial"
    k3 = pk * 2 + provincial
    n3 = np.bincount(k3, minlength=2 * n_pk)
    sum3 = np.full(2 * n_pk, None, dtype=object)
    single = n3[k3] == 1
    sum3[k3[single]] = np.add(ZERO, j_amount[single]) if single.any() else []
    for i in np.flatnonzero(~single).tolist():
        s = sum3[k3[i]]
        sum3[k3[i]] = (ZERO if s is None else s) + j_amount[i]
    n_nat, n_prov = n3[0::2], n3[1::2]
    nat_sum, prov_sum = sum3[0::2], sum3[1::2]
    paid = np.where(n_nat > 0, nat_sum, prov_sum)
    has_jdlk = np.bincount(pk[j_jdlk], minlength=n_pk) > 0
    pk_registry = np.zeros(n_pk, dtype=bool)
    pk_registry[pk[j_registry]] = True
    person_of = lambda k: persons[pk_pp[k]]
    code_of = lambda k: code_values[pk_cc[k]]

    # ---- DUPLICATE ---------------------------------------------------------------------------------
    # per key, the ledger with 2+ rows that appears first; reported in order of that ledger's first row
    dup = np.zeros(n_pk, dtype=bool)
    dups = []
    for k in np.flatnonzero((n_nat >= 2) | (n_prov >= 2)).tolist():
        rows = rows_of(k)
        firsts = {}
        for i in rows:
            firsts.setdefault(bool(provincial[i]), i)
        led = min((f, p) for p, f in firsts.items() if n3[2 * k + p] >= 2)
        dups.append((led[0], k, led[1]))
        dup[k] = True
    for _, k, prov in sorted(dups):
        person, code = person_of(k), code_of(k)
        n = int(n3[2 * k + prov])
        total = sum3[2 * k + prov]
        exp = expected_for(code, first_of[person[1:]]) if person.startswith("R") else None
        label = "省建档立卡资助系统" if prov else "全国学生资助系统"
        add("DUPLICATE", person, code, rows_of(k), expected=exp, paid=total,
            reason=f"{label}中同一学期同一项目发放 {n} 次，合计 {money(total)} 元")

    # ---- NOT_ENROLLED / NOT_REGISTERED --------------------------------------------------------------
    # persons enrolled: with an active roster record, or registry persons the context found
    # enrolled (any registry row of their ID); eligible: registry persons whose first registry
    # row is eligible
    registry_person = np.array([p.startswith("R") for p in persons.tolist()], dtype=bool)
    x_persons, r_persons = persons[~registry_person].tolist(), persons[registry_person].tolist()
    people = _RosterPeople(rec, ctx.roster_pos, ctx.roster["active"].to_numpy(dtype=bool))
    on_roster, active_on_roster = people.unlinked([p[1:] for p in x_persons])
    rid_codes = first_of.codes_of([p[1:] for p in r_persons])          # -1: not in the registry
    enrolled_ids = np.append(np.bincount(first_of.codes[r_enrolled], minlength=len(first_of.index)) > 0, False)
    eligible_ids = np.append(r_eligible[first_of.first], False)
    person_enrolled = np.zeros(len(persons), dtype=bool)
    person_enrolled[~registry_person] = [p[1:] in active_on_roster for p in x_persons]
    person_enrolled[registry_person] = (np.array([p in people.registry_active for p in r_persons], dtype=bool)
                                        | enrolled_ids[rid_codes])
    person_eligible = np.zeros(len(persons), dtype=bool)
    person_eligible[registry_person] = eligible_ids[rid_codes]
    pk_enrolled = person_enrolled[pk_pp]
    # the keys the rules below may report (the others are enrolled and paid as non-建档立卡, or
    # enrolled, eligible registry persons)
    cand = ~pk_enrolled | (has_jdlk & ~(pk_registry & person_eligible[pk_pp]))
    not_enrolled_people: set[str] = set()
    for key in np.flatnonzero(cand).tolist():
        person, code = person_of(key), code_of(key)
        enrolled = bool(pk_enrolled[key])
        if enrolled and not has_jdlk[key]:
            continue
        registry = person.startswith("R")
        k = first_of[person[1:]] if registry else -1
        if enrolled and registry and r_eligible[k]:
            continue   # 建档立卡 payment to an enrolled, eligible registry person: nothing to say
        rows = rows_of(key)
        if not enrolled:
            not_enrolled_people.add(person)
            where = "未在任何学生名册中找到" if (registry and not r_any_roster[k]) \
                or (not registry and person[1:] not in on_roster) else "学籍状态不是在读"
            add("NOT_ENROLLED", person, code, rows, paid=paid[key],
                reason=f"本学期{where}，却领取了资助")
        jrows = [i for i in rows if j_jdlk[i]]
        if jrows:
            if not registry:
                add("NOT_REGISTERED", person, code, jrows, paid=paid[key],
                    reason="按建档立卡学生发放，但建档立卡库中查无此人")
            elif not r_eligible[k]:
                add("NOT_REGISTERED", person, code, jrows, paid=paid[key],
                    reason=f"按建档立卡学生发放，但建档立卡库中状态为“{status_of(k)}”，不再享受政策")

    # ---- eligible registry persons: UNPAID / UNDERPAID / OVERPAID -----------------------------------
    review_pos = np.flatnonzero(rcol("link_status") == "review")
    review_block: set[tuple[str, str]] = set()
    review_people: set[str] = set()
    if len(review_pos):
        rv_facts = _fact_arrays({c: rcol(c)[review_pos] for c in FACT_COLUMNS}, prep)
        rv_codes = policy.resolve_items(pd.Series(rcol("item")[review_pos], dtype=object),
                                        pd.Series(rv_facts["stage"], dtype=object))
        for cands, code in zip(rcol("link_candidates")[review_pos].tolist(), rv_codes.tolist()):
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
    # the person number of each registry row's person ('R' + its ID; -1: not paid)
    person_of_id = np.full(len(first_of.index) + 1, -1, dtype=np.int64)
    person_of_id[rid_codes[rid_codes >= 0]] = np.flatnonzero(registry_person)[rid_codes >= 0]
    ks = np.flatnonzero(r_eligible & r_enrolled)
    _judge_entitlements(
        ks=ks, pp_k=person_of_id[first_of.codes[ks]], rid_arr=rid_arr, R=R, persons=persons,
        not_enrolled=np.array([p in not_enrolled_people for p in persons.tolist()], dtype=bool),
        pk_of=_KeyIndex(pk_pp, pk_cc, n_codes), code_index={c: j for j, c in enumerate(code_values.tolist())},
        pk_pp=pk_pp, pk_cc=pk_cc, code_values=code_values, paid=paid, dup=dup, review_block=review_block,
        entitled=entitled, amount_of=amount_of, tier_items=tier_items, not_checked=not_checked, add=add,
        rows_of=rows_of)
    for reason, n in not_checked.items():
        warnings.append(f"{n} 人次未核对金额：{reason}")

    # ---- LEDGER_MISMATCH ----------------------------------------------------------------------------
    if prep.loaded.tables.get("provincial"):
        both = (n_nat > 0) & (n_prov > 0)
        same = np.zeros(n_pk, dtype=bool)
        same[both] = nat_sum[both] == prov_sum[both]
        for key in np.flatnonzero(pk_registry & ~dup & has_jdlk & ~same).tolist():
            person, code = person_of(key), code_of(key)
            if not person.startswith("R"):
                continue
            n_amt = nat_sum[key] if n_nat[key] else None
            p_amt = prov_sum[key] if n_prov[key] else None
            if n_amt is None:
                reason = f"省建档立卡资助系统有发放记录（{money(p_amt)} 元），全国学生资助系统没有"
            elif p_amt is None:
                reason = f"全国学生资助系统有发放记录（{money(n_amt)} 元），省建档立卡资助系统没有"
            else:
                reason = f"金额不一致：全国 {money(n_amt)} 元，省 {money(p_amt)} 元"
            add("LEDGER_MISMATCH", person, code, rows_of(key), expected=None,
                paid=n_amt if n_amt is not None else p_amt, reason=reason)

    # ---- OUT_OF_AREA -------------------------------------------------------------------------------
    paid_people = set(persons.tolist())
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
                                                     "link_reg", "link_method", "link_score", "link_mismatch",
                                                     "link_candidates")}
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
                                float(D["link_score"][n]), (D["ref"][n],), household_no=R["household_no"][k],
                                grade=grade_text(R["stage"][k], R["grade"][k]),
                                match=method_label(D["link_method"][n])))
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
    """The grade as officers write it ('中班', '三年级', '八年级', '高一'; the stage alone when the
    grade is unknown) for the ledgers."""
    return grade_label(stage, grade)


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
    # registry rows: counts per table of rows, rows without an ID and repeated persons (same ID
    # and name within the table) with bincounts
    rr = prep.reg_rows
    r_table = rr["table"].to_numpy().astype(np.int64)
    r_dup = (rr["person"].to_numpy() >= 0) & pd.DataFrame(
        {"table": r_table, "rid": _obj(rr["rid"].to_numpy(dtype=object), None),
         "name_n": _obj(rr["name_n"].to_numpy(dtype=object), None)}).duplicated().to_numpy()
    r_no_id = rr["id"].to_numpy(dtype=object) == ""
    # records: counts per (table, link status) with one bincount; skip reasons per table
    tables = rec["table"].to_numpy().astype(np.int64)
    if "skip_reason" in rec.columns:
        s_codes, s_values = _distinct(rec["skip_reason"].to_numpy(dtype=object))
        s_values = np.array(["" if _missing(v) else v for v in s_values] + [""], dtype=object)
        skip = s_values[s_codes]
        live = (s_values == "")[s_codes]
    else:
        skip = np.full(len(rec), "", dtype=object)
        live = np.ones(len(rec), dtype=bool)
    statuses = ("linked", "none", "review", "invalid")
    st_codes, st_values = _distinct(rec["link_status"].to_numpy(dtype=object))
    st_index = {s: i for i, s in enumerate(statuses)}
    status_code = np.array([st_index.get(v, -1) if isinstance(v, str) else -1 for v in st_values] + [-1],
                           dtype=np.int64)[st_codes]
    n_tables = max(len(prep.table_list), int(tables.max()) + 1 if len(tables) else 0,
                   int(r_table.max()) + 1 if len(r_table) else 0)
    counts = np.bincount(tables[live] * 5 + np.where(status_code[live] < 0, 4, status_code[live]),
                         minlength=n_tables * 5).reshape(n_tables, 5)
    reg_counts = {name: np.bincount(r_table[mask], minlength=n_tables)
                  for name, mask in (("rows", np.ones(len(r_table), dtype=bool)), ("dup", r_dup), ("no_id", r_no_id))}
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
            no_id, dup = int(reg_counts["no_id"][ti]), int(reg_counts["dup"][ti])
            entry["registry_persons"] = int(reg_counts["rows"][ti] - no_id - dup)
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
