"""payout: who must be paid this semester, which items, how much (the 发放花名册).

Works on ``reconcile.engine.build_context``: every registry person whose status the policy
counts as eligible and who is actively enrolled in one of the semester's rosters is paid each
item ``policy.entitled_items(stage, grade)`` gives, at ``policy.amount_result(code, semester,
boarding, tier)``. Nobody is silently paid or dropped:

* an amount the policy cannot determine (boarding unknown, school tier unknown or without a
  standard) → a 待核实 line (金额待定) for that item; the person's other items are paid;
* an enrolled person whose stage/grade cannot be read (so the items cannot be decided) → 待核实
  (学段年级不明);
* an active roster record the linker could not pin to one registry person but whose candidates
  include an eligible one → 待核实 (身份待核实), listing the candidates;
* everything else not paid is counted by reason (不在名册, 学籍状态非在读, 不再享受政策, 不在资助学段).

With the previous semester's payout, ``changes`` lists 新增 / 停发 (with the reason) / 金额变化.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from jiaoyu_fupin.link.prepare import Prepared
from jiaoyu_fupin.normalize.semesters import Semester
from jiaoyu_fupin.normalize.values import grade_label
from jiaoyu_fupin.normalize.values import grade_value as _grade_value
from jiaoyu_fupin.policy.model import STAGES, Policy
from jiaoyu_fupin.reconcile.engine import account, build_context, registry_status
from jiaoyu_fupin.reconcile.findings import money

ZERO = Decimal(0)

#: 待核实 kinds, in sheet order
PENDING_IDENTITY = "身份待核实"
PENDING_AMOUNT = "金额待定"
PENDING_STAGE = "学段年级不明"
PENDING_ORDER = (PENDING_IDENTITY, PENDING_AMOUNT, PENDING_STAGE)

#: 变动 kinds, in sheet order
CHANGE_NEW = "新增"
CHANGE_STOP = "停发"
CHANGE_AMOUNT = "金额变化"
CHANGE_ORDER = (CHANGE_NEW, CHANGE_STOP, CHANGE_AMOUNT)

#: why an eligible-status or enrolled registry person is not paid (counts, 停发 reasons)
REASON_NOT_IN_ROSTER = "不在名册"
REASON_INACTIVE = "学籍状态非在读"
REASON_INELIGIBLE = "不再享受政策"
REASON_NOT_FUNDED = "不在资助学段"



@dataclass(frozen=True)
class PayoutLine:
    """One person × item to be paid (one row of payout.csv)."""

    id_number: str
    name: str
    school: str
    stage: str
    grade: int | None
    item: str
    semester: str
    amount: Decimal
    item_name: str = ""
    class_name: str = ""
    boarding: str = ""
    tier: str = ""
    township: str = ""
    village: str = ""
    household_no: str = ""
    match: str = ""
    source: str = ""

    @property
    def grade_label(self) -> str:
        return grade_label(self.stage, self.grade)

    def csv_row(self) -> list:
        return [self.id_number, self.name, self.school, self.stage, "" if self.grade is None else self.grade,
                self.item, self.semester, self.amount]


@dataclass(frozen=True)
class Candidate:
    """A registry person an unresolved roster record may be."""

    name: str
    id_number: str
    note: str


@dataclass(frozen=True)
class PendingLine:
    """Someone the payout could not settle: shown on the 待核实 sheet, not paid, not in totals."""

    kind: str
    id_number: str
    name: str
    school: str
    grade_label: str
    class_name: str
    boarding: str
    item: str                 # item code ('' for identity / stage lines)
    item_name: str
    possible: str             # the amounts it could be (text)
    reason: str
    candidates: tuple[Candidate, ...] = ()
    source: str = ""
    rid: str = ""             # registry person, when known


@dataclass(frozen=True)
class ChangeLine:
    """One row of the 变动 sheet (person level)."""

    kind: str
    id_number: str
    name: str
    school: str
    grade_label: str
    old_items: str
    old_amount: Decimal | None
    new_items: str
    new_amount: Decimal | None
    reason: str

    @property
    def difference(self) -> Decimal | None:
        return (self.new_amount or ZERO) - (self.old_amount or ZERO)


@dataclass
class PayoutResult:
    semester: str
    lines: list[PayoutLine]
    pending: list[PendingLine]
    changes: list[ChangeLine] | None
    counts: dict[str, Any]
    warnings: list[str]
    accounting: dict
    previous_semester: str = ""
    item_names: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum((ln.amount for ln in self.lines), ZERO)

    @property
    def persons(self) -> int:
        return len({ln.id_number for ln in self.lines})

    def to_dict(self) -> dict[str, Any]:
        return {"semester": self.semester, "persons": self.persons, "lines": len(self.lines),
                "total": money(self.total), "pending": len(self.pending),
                "changes": None if self.changes is None else len(self.changes),
                "previous_semester": self.previous_semester, "counts": self.counts,
                "warnings": list(self.warnings)}


def _sort_key_stage(stage: str) -> int:
    return STAGES.index(stage) if stage in STAGES else len(STAGES)


def compute_payout(prep: Prepared, policy: Policy, semester: Semester | str,
                   previous: pd.DataFrame | None = None) -> PayoutResult:
    """The payout of ``semester``; ``previous`` is :func:`payfile.payout_frame` of last
    semester's payout with ``registry_id`` / ``link_status`` / ``id`` columns (or None)."""
    sem = str(semester)
    ctx = build_context(prep, policy)
    reg = ctx.reg
    warnings = list(ctx.warnings)
    item_names = {it.code: it.name for it in policy.items}
    lines: list[PayoutLine] = []
    pending: list[PendingLine] = []
    not_paid: dict[str, str] = {}          # rid -> reason for the eligible-status persons not paid
    items_cache: dict[tuple, tuple] = {}
    amount_cache: dict[tuple, Any] = {}

    def entitled(stage: str, grade: int | None):
        key = (stage, grade)
        if key not in items_cache:
            items_cache[key] = policy.entitled_items(stage or None, grade)
        return items_cache[key]

    def amount_of(code: str, boarding: str, tier: str):
        key = (code, boarding, tier)
        if key not in amount_cache:
            amount_cache[key] = policy.amount_result(code, sem, boarding or None, tier or None)
        return amount_cache[key]

    funded = set(policy.funded_stages)
    counts: dict[str, Any] = {"registry_persons": len(reg), "eligible": int(reg["eligible"].sum()),
                              "eligible_enrolled": int((reg["eligible"] & reg["enrolled"]).sum())}
    elig = reg[reg["eligible"] & reg["enrolled"]]
    cols = ["rid", "name_raw", "school", "class", "boarding_n", "tier_n", "stage", "grade", "township", "village",
            "household_no", "roster_match", "roster_ref"]
    view = elig[cols].rename(columns={"class": "class_name"}).astype(object)
    for r in view.itertuples(index=False):
        stage = r.stage or ""
        grade = _grade_value(r.grade)
        glabel = grade_label(stage, grade)
        items = entitled(stage, grade)
        # items of the stage that a known grade would decide
        undecided = []
        if grade is None and stage in funded:
            undecided = [it for it in policy.items if stage in it.stages and not it.covers(stage, None)]
        if not items and not undecided:
            if stage == "":
                pending.append(PendingLine(PENDING_STAGE, r.rid, r.name_raw, r.school, glabel, r.class_name,
                                           r.boarding_n, "", "", "",
                                           "名册中的年级、学校名称都看不出学段，无法确定资助项目，请学校核实年级",
                                           source=r.roster_ref, rid=r.rid))
            else:
                not_paid[r.rid] = f"{REASON_NOT_FUNDED}（{glabel}）"
            continue
        for it in undecided:
            pending.append(PendingLine(PENDING_STAGE, r.rid, r.name_raw, r.school, glabel, r.class_name,
                                       r.boarding_n, it.code, it.name, "",
                                       f"名册未写年级，无法确定是否享受（{it.name}只发给"
                                       f"{'、'.join(grade_label(stage, g) for g in (it.grades or ()))}）",
                                       source=r.roster_ref, rid=r.rid))
        for it in items:
            res = amount_of(it.code, r.boarding_n, r.tier_n)
            if res.amount is None:
                pending.append(PendingLine(PENDING_AMOUNT, r.rid, r.name_raw, r.school, glabel, r.class_name,
                                           r.boarding_n, it.code, it.name, _possible(policy, it.code, sem),
                                           _amount_reason(policy, it.code, sem, r.boarding_n, r.tier_n, r.school),
                                           source=r.roster_ref, rid=r.rid))
                continue
            lines.append(PayoutLine(
                id_number=r.rid, name=r.name_raw, school=r.school, stage=stage, grade=grade, item=it.code,
                semester=sem, amount=res.amount, item_name=it.name, class_name=r.class_name,
                boarding=r.boarding_n, tier=r.tier_n, township=r.township, village=r.village,
                household_no=r.household_no, match=r.roster_match, source=r.roster_ref))

    # ---- not paid: why (for counts and 停发 reasons) ----------------------------------------------
    status_of = dict(zip(reg["rid"], registry_status(reg)))
    view = reg[["rid", "eligible", "enrolled", "any_roster", "enrol_status"]].astype(object)
    for r in view.itertuples(index=False):
        if r.rid in not_paid or (r.eligible and r.enrolled):
            continue
        if not r.eligible:
            not_paid[r.rid] = f"{REASON_INELIGIBLE}（{status_of.get(r.rid) or '状态不明'}）"
        elif not r.any_roster:
            not_paid[r.rid] = f"{REASON_NOT_IN_ROSTER}（本学期各校名册中没有此人）"
        else:
            not_paid[r.rid] = f"{REASON_INACTIVE}（{r.enrol_status or '状态不明'}）"

    # ---- roster records whose person cannot be decided -------------------------------------------
    reg_by_rid = reg.drop_duplicates("rid").set_index("rid", drop=False)
    paid_rids = {ln.id_number for ln in lines}
    roster = ctx.roster
    review = roster[(roster["link_status"] == "review") & roster["active"]]
    skipped_review = 0
    identity_candidates: set[str] = set()
    for r in review.rename(columns={"class": "class_name"}).itertuples(index=False):
        rids = [c for c in str(r.link_candidates).split(";") if c and c in reg_by_rid.index]
        if not any(bool(reg_by_rid.at[c, "eligible"]) for c in rids):
            skipped_review += 1
            continue
        cands = []
        for c in rids:
            g = reg_by_rid.loc[c]
            if c in paid_rids:
                note = f"已按另一条名册记录列入本次发放（{g['school']}）"
            elif not g["eligible"]:
                note = f"不再享受政策（{status_of.get(c) or '状态不明'}）"
            elif not g["any_roster"]:
                note = "未列入本次发放：名册中没有能确定是此人的在读记录"
            else:
                note = "未列入本次发放：" + not_paid.get(c, "名册中没有其确定的在读记录")
            if c not in paid_rids and g["eligible"]:
                identity_candidates.add(c)
            cands.append(Candidate(str(g["name_raw"]), c, note))
        stage = r.stage or ""
        grade = _grade_value(r.grade)
        its = entitled(stage, grade)
        possible = "；".join(f"{it.name} {_amount_text(amount_of(it.code, r.boarding_n, r.tier_n), policy, it.code, sem)}"
                            for it in its)
        own = r.id if r.id_status in ("valid", "converted_15") else r.id_number
        pending.append(PendingLine(
            PENDING_IDENTITY, own, r.name, r.school, grade_label(stage, grade), r.class_name,
            r.boarding_n, "", "", possible,
            "名册记录无法确定是建档立卡库中的哪一个人（证据不足或有多个候选人），核实前不列入发放",
            tuple(cands), f"{r.file}:{r.sheet}:{r.row}"))
    invalid_active = int(((roster["link_status"] == "invalid") & roster["active"]).sum())
    if invalid_active:
        warnings.append(f"学生名册中有 {invalid_active} 条在读记录证件号无效、且在建档立卡库中找不到可能对应的人，"
                        "未列入发放；如其中有建档立卡学生，请更正证件号后重新生成")
    if skipped_review:
        counts["review_not_eligible"] = skipped_review

    # ---- warnings ---------------------------------------------------------------------------------
    multi = elig[(elig["n_active"] > 1) & elig["rid"].isin(paid_rids)]
    if len(multi):
        names = "、".join(multi["name_raw"].astype(str).head(5))
        warnings.append(f"{len(multi)} 人同时在两所及以上学校的名册中为在读（如 {names}），"
                        "按名册顺序第一条记录发放，请核实其实际就读学校")
    n_amount = sum(1 for p in pending if p.kind == PENDING_AMOUNT)
    if n_amount:
        warnings.append(f"{n_amount} 人次的金额无法确定（就读方式或学校等级不明），列入“待核实”表，未计入发放合计")

    code_order = {c: i for i, c in enumerate(policy.codes)}
    lines.sort(key=lambda ln: (ln.school, _sort_key_stage(ln.stage), ln.grade if ln.grade is not None else -1,
                               ln.class_name, ln.name, ln.id_number, code_order.get(ln.item, 99)))
    pending.sort(key=lambda p: (PENDING_ORDER.index(p.kind), p.school, p.name, p.id_number, p.item))

    # ---- counts -----------------------------------------------------------------------------------
    by_item: dict[str, dict[str, Any]] = {}
    for ln in lines:
        e = by_item.setdefault(ln.item, {"persons": 0, "amount": ZERO})
        e["persons"] += 1
        e["amount"] += ln.amount
    reasons: dict[str, int] = {}
    for rid, why in not_paid.items():
        k = "身份待核实的候选人" if rid in identity_candidates else why.split("（")[0]
        reasons[k] = reasons.get(k, 0) + 1
    counts.update({
        "paid_persons": len(paid_rids), "paid_lines": len(lines), "paid_total": money(sum((ln.amount for ln in lines), ZERO)),
        "by_item": {k: {"persons": v["persons"], "amount": money(v["amount"])} for k, v in by_item.items()},
        "pending_lines": len(pending),
        "pending_persons": len({p.rid or "record:" + p.source for p in pending}),
        "pending_by_kind": {k: sum(1 for p in pending if p.kind == k) for k in PENDING_ORDER},
        "not_paid_by_reason": reasons,
    })

    # ---- changes against the previous payout --------------------------------------------------------
    changes = None
    prev_sem = ""
    if previous is not None:
        changes, prev_sem, w = _changes(previous, lines, pending, not_paid, reg_by_rid, policy, sem, item_names)
        warnings.extend(w)
        counts["changes"] = {k: sum(1 for c in changes if c.kind == k) for k in CHANGE_ORDER}

    accounting = account(prep, prep.rec)
    return PayoutResult(sem, lines, pending, changes, counts, warnings, accounting, prev_sem, item_names)


# ---------------------------------------------------------------------------------------------
# helpers


def _possible(policy: Policy, code: str, sem: str) -> str:
    rate = policy.item(code).rate_for(sem)
    if rate.kind == "fixed":
        return money(rate.amounts[0][1])
    return "；".join(f"{k} {money(v)}" for k, v in rate.amounts)


def _amount_text(res, policy: Policy, code: str, sem: str) -> str:
    return money(res.amount) if res.amount is not None else f"（{_possible(policy, code, sem)}）"


def _amount_reason(policy: Policy, code: str, sem: str, boarding: str, tier: str, school: str) -> str:
    rate = policy.item(code).rate_for(sem)
    if rate.kind == "boarding":
        return "名册中就读方式（住校/走读）未填写或无法识别，无法确定标准，请学校核实后补填"
    if rate.kind == "tier":
        if not tier:
            return (f"不知道“{school}”的学校等级（省示范/市示范/民办…），无法确定标准："
                    "请用 --schools 提供含学校等级的学校名单")
        return f"学校等级“{tier}”在政策中没有{policy.item(code).name}标准，无法确定金额，请按县里规定核定"
    return "政策中没有该项目本学期的标准"


def _items_text(amounts: dict[str, Decimal], item_names: dict[str, str]) -> str:
    return "；".join(f"{item_names.get(c, c)} {money(a)}" for c, a in amounts.items())


def _changes(previous: pd.DataFrame, lines: list[PayoutLine], pending: list[PendingLine],
             not_paid: dict[str, str], reg_by_rid: pd.DataFrame, policy: Policy, sem: str,
             item_names: dict[str, str]) -> tuple[list[ChangeLine], str, list[str]]:
    warnings: list[str] = []
    prev = previous.copy()
    sems = sorted({s for s in prev["sem"] if s})
    prev_sem = ""
    if sems:
        from jiaoyu_fupin.normalize.semesters import parse_semester
        parsed = sorted(parse_semester(s) for s in sems)
        cur = parse_semester(sem)
        before = [s for s in parsed if s < cur]
        chosen = before[-1] if before else parsed[-1]
        prev_sem = str(chosen)
        if len(parsed) > 1:
            warnings.append(f"上期发放名单中有多个学期（{'、'.join(map(str, parsed))}），按 {prev_sem} 比较")
        if chosen == cur:
            warnings.append(f"上期发放名单的学期（{prev_sem}）与本学期相同，请确认 --previous 指定的是上学期的文件")
        prev = prev[(prev["sem"] == prev_sem) | (prev["sem"] == "")]
    bad_amount = prev["amount_d"].isna()
    if bad_amount.any():
        warnings.append(f"上期发放名单中有 {int(bad_amount.sum())} 行金额无法识别，按 0 元比较")
    linked = prev["registry_id"].astype(str) != ""
    own = prev["id"].where(prev["id"].astype(str) != "", prev["id_number"])
    prev["key"] = ("R" + prev["registry_id"].astype(str)).where(linked, "X" + own.astype(str))

    cur_amounts: dict[str, dict[str, Decimal]] = {}
    cur_info: dict[str, PayoutLine] = {}
    for ln in lines:
        k = "R" + ln.id_number
        cur_amounts.setdefault(k, {})
        cur_amounts[k][ln.item] = cur_amounts[k].get(ln.item, ZERO) + ln.amount
        cur_info.setdefault(k, ln)
    pending_by_rid: dict[str, list[PendingLine]] = {}
    for p in pending:
        if p.rid:
            pending_by_rid.setdefault(p.rid, []).append(p)
        for c in p.candidates:
            pending_by_rid.setdefault(c.id_number, []).append(p)

    prev_amounts: dict[str, dict[str, Decimal]] = {}
    prev_info: dict[str, Any] = {}
    for r in prev.itertuples(index=False):
        d = prev_amounts.setdefault(r.key, {})
        d[r.code] = d.get(r.code, ZERO) + (r.amount_d if r.amount_d is not None else ZERO)
        prev_info.setdefault(r.key, r)

    out: list[ChangeLine] = []
    for k, amounts in cur_amounts.items():
        ln = cur_info[k]
        new_total = sum(amounts.values(), ZERO)
        if k not in prev_amounts:
            out.append(ChangeLine(CHANGE_NEW, ln.id_number, ln.name, ln.school, ln.grade_label, "", None,
                                  _items_text(amounts, item_names), new_total, "上期发放名单中没有此人"))
            continue
        old = prev_amounts[k]
        if old == amounts:
            continue
        p = prev_info[k]
        why = _change_reason(old, amounts, p, ln, policy, sem, prev_sem, item_names, pending_by_rid.get(ln.id_number, []))
        out.append(ChangeLine(CHANGE_AMOUNT, ln.id_number, ln.name, ln.school, ln.grade_label,
                              _items_text(old, item_names), sum(old.values(), ZERO),
                              _items_text(amounts, item_names), new_total, why))
    for k, old in prev_amounts.items():
        if k in cur_amounts:
            continue
        p = prev_info[k]
        rid = k[1:] if k.startswith("R") else ""
        if rid and rid in pending_by_rid:
            why = "待核实（见“待核实”表）：" + pending_by_rid[rid][0].kind
        elif rid and rid in not_paid:
            why = not_paid[rid]
        elif rid:
            why = "本学期未列入发放"
        elif str(p.link_status) == "review":
            why = "上期记录无法确定对应建档立卡库中的哪一个人，请核实"
        else:
            why = f"{REASON_INELIGIBLE}（建档立卡库中查无此人）"
        name = reg_by_rid.at[rid, "name_raw"] if rid and rid in reg_by_rid.index else p.name
        idn = rid or (p.id if str(p.id) else p.id_number)
        out.append(ChangeLine(CHANGE_STOP, idn, str(name), str(p.school), grade_label(p.stage_n, p.grade_n),
                              _items_text(old, item_names), sum(old.values(), ZERO), "", None, why))
    out.sort(key=lambda c: (CHANGE_ORDER.index(c.kind), c.school, c.name, c.id_number))
    return out, prev_sem, warnings


def _change_reason(old: dict[str, Decimal], new: dict[str, Decimal], p, ln: PayoutLine, policy: Policy,
                   sem: str, prev_sem: str, item_names: dict[str, str], pend: list[PendingLine]) -> str:
    parts: list[str] = []
    if p.stage_n and ln.stage and p.stage_n != ln.stage:
        parts.append(f"学段变化：{p.stage_n}→{ln.stage}")
    for code in old:
        if code not in new:
            if any(x.item == code for x in pend):
                parts.append(f"{item_names.get(code, code)}本学期待核实（见“待核实”表）")
            else:
                parts.append(f"本学期不再享受{item_names.get(code, code)}")
    for code in new:
        if code not in old and not (p.stage_n and ln.stage and p.stage_n != ln.stage):
            parts.append(f"本学期新增{item_names.get(code, code)}")
    for code, a in new.items():
        if code in old and old[code] != a:
            try:
                item = policy.item(code)
            except KeyError:
                parts.append(f"{code} 金额变化")
                continue
            if prev_sem and item.rate_for(prev_sem) != item.rate_for(sem):
                parts.append(f"{item.name}标准调整")
            elif item.rate_for(sem).kind == "boarding":
                parts.append(f"就读方式变化（本学期为{ln.boarding or '不明'}）")
            elif item.rate_for(sem).kind == "tier":
                parts.append(f"学校等级变化（本学期为{ln.tier or '不明'}）")
            else:
                parts.append(f"{item.name}金额变化")
    return "；".join(parts) or "金额变化"
