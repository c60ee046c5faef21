"""Writers for ``fupin payout``: ``payout.csv`` and 发放花名册_<semester>.xlsx.

Workbook sheets, in order:

* 说明 — the run (inputs with SHA-256, policy, row accounting, counts, warnings);
* 汇总 — persons and yuan per school × item, grand total;
* 变动 — with ``--previous``: 新增 / 停发 (reason) / 金额变化 (old and new amounts);
* 待核实 — people not settled (identity, amount, stage): not paid, not in any total;
* 无法识别 — input rows that could not be used;
* 发放明细 — every paid person × item in one filterable table (``fupin summary/notify`` and next
  semester's ``--previous`` read it back);
* one sheet per school, ready to print: A4 landscape, the header row repeated on every page, the
  title in the page header, one row per student with a signature column and a total row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from jiaoyu_fupin.model import RowIssue
from jiaoyu_fupin.normalize.semesters import parse_semester
from jiaoyu_fupin.payout.engine import (
    CHANGE_ORDER,
    PENDING_ORDER,
    ZERO,
    PayoutLine,
    PayoutResult,
)
from jiaoyu_fupin.payout.payfile import DETAIL_SHEET, PAYOUT_COLUMNS
from jiaoyu_fupin.reconcile.findings import money
from jiaoyu_fupin.report.csvout import write_csv
from jiaoyu_fupin.report.mask import mask_id
from jiaoyu_fupin.report.xlsx import SUM, Column, PrintSetup, Section, WorkbookWriter

ROSTER_COLUMNS = [
    Column("序号", "int", width=6), Column("姓名", width=12), Column("身份证号", "id", width=21),
    Column("年级", width=10), Column("班级", width=10), Column("就读方式", width=9),
    Column("资助项目", width=44), Column("金额", "money", width=12), Column("领取人签字", width=16),
]

DETAIL_COLUMNS = [
    Column("学校"), Column("学段"), Column("年级"), Column("班级"), Column("姓名"), Column("身份证号", "id"),
    Column("就读方式"), Column("学校等级"), Column("资助项目"), Column("项目代码"), Column("学期"),
    Column("金额", "money"), Column("乡镇"), Column("行政村"), Column("户编号", "id"), Column("匹配依据"),
    Column("名册来源行", width=36),
]

CHANGE_COLUMNS = [
    Column("变动类型"), Column("学校"), Column("姓名"), Column("身份证号", "id"), Column("年级"),
    Column("上期项目", width=40), Column("上期金额", "money"), Column("本期项目", width=40),
    Column("本期金额", "money"), Column("差额", "money"), Column("原因", width=50),
]

PENDING_COLUMNS = [
    Column("类别"), Column("学校"), Column("姓名"), Column("身份证号", "id"), Column("年级"), Column("班级"),
    Column("就读方式"), Column("资助项目"), Column("可能金额", width=30), Column("原因", width=60),
    Column("候选人", width=60), Column("来源行", width=36),
]

REJECTED_COLUMNS = [Column("文件"), Column("工作表"), Column("行号", "int"), Column("原因", width=50),
                    Column("原始内容", width=60)]

SIGN_LINE = "学校经办人：　　　　　　　　　学校负责人：　　　　　　　　　（学校盖章）　　　　　　　　日期：　　　年　　月　　日"


def semester_label(sem: str) -> str:
    s = parse_semester(sem)
    return s.label if s is not None else sem


def write_payout_csv(path: Path, lines: Iterable[PayoutLine]) -> Path:
    """``payout.csv`` (SPEC contract): id_number,name,school,stage,grade,item,semester,amount."""
    return write_csv(path, list(PAYOUT_COLUMNS), (ln.csv_row() for ln in lines), raw_columns={0, 4, 5, 6, 7})


def _person_rows(lines: list[PayoutLine]) -> list[list[Any]]:
    """Per-school sheet rows: one per student, items joined, amount summed."""
    by_person: dict[str, list[PayoutLine]] = {}
    for ln in lines:
        by_person.setdefault(ln.id_number, []).append(ln)
    rows = []
    for i, (_, lns) in enumerate(by_person.items(), 1):
        first = lns[0]
        total = sum((x.amount for x in lns), ZERO)
        if len(lns) == 1:
            items = first.item_name or first.item
        else:
            items = "、".join(f"{x.item_name or x.item}（{money(x.amount)}）" for x in lns)
        rows.append([i, first.name, first.id_number, first.grade_label, first.class_name, first.boarding,
                     items, total, ""])
    return rows


def write_payout_workbook(path: Path, result: PayoutResult, *, meta: list[tuple[str, Any]],
                          sections: list[Section], rejected: list[RowIssue], mask_ids: bool = False) -> Path:
    label = semester_label(result.semester)
    names = result.item_names
    by_school: dict[str, list[PayoutLine]] = defaultdict(list)
    for ln in result.lines:
        by_school[ln.school or "（未填写学校）"].append(ln)
    with WorkbookWriter(path, mask_ids=mask_ids, title=f"{label}学生资助发放花名册") as wb:
        wb.reserve_sheet("说明")
        _summary_sheet(wb, result, by_school, label)
        if result.changes is not None:
            rows = [[c.kind, c.school, c.name, c.id_number, c.grade_label, c.old_items, c.old_amount, c.new_items,
                     c.new_amount, c.difference, c.reason] for c in result.changes]
            counts = "，".join(f"{k} {sum(1 for c in result.changes if c.kind == k)} 人" for k in CHANGE_ORDER)
            wb.add_table("变动", CHANGE_COLUMNS, rows,
                         title=f"{label}与{semester_label(result.previous_semester) or '上期'}相比的变动（{counts}）")
        prow = []
        for p in result.pending:
            cands = "；".join(f"{c.name}（{mask_id(c.id_number) if mask_ids else c.id_number}）{c.note}"
                             for c in p.candidates)
            prow.append([p.kind, p.school, p.name, p.id_number, p.grade_label, p.class_name, p.boarding,
                         p.item_name, p.possible, p.reason, cands, p.source])
        kinds = "，".join(f"{k} {sum(1 for p in result.pending if p.kind == k)} 条" for k in PENDING_ORDER)
        wb.add_table("待核实", PENDING_COLUMNS, prow,
                     title=f"待核实（共 {len(prow)} 条：{kinds}）— 核实前不发放，未计入任何合计")
        wb.add_table("无法识别", REJECTED_COLUMNS,
                     [[i.file, i.sheet, i.row, i.reason, " | ".join(x for x in i.raw if x)] for i in rejected],
                     title=f"未能使用的数据行（共 {len(rejected)} 行），请核对原表")
        detail = [[ln.school, ln.stage, ln.grade_label, ln.class_name, ln.name, ln.id_number, ln.boarding, ln.tier,
                   ln.item_name or names.get(ln.item, ln.item), ln.item, ln.semester, ln.amount, ln.township,
                   ln.village, ln.household_no, ln.match, ln.source] for ln in result.lines]
        wb.add_table(DETAIL_SHEET, DETAIL_COLUMNS, detail,
                     title=f"{label} 学生资助发放明细（{result.persons} 人，{len(result.lines)} 人次，"
                           f"{money(result.total)} 元）",
                     total_row={"学校": "合计", "金额": SUM})
        for school in sorted(by_school):
            title = f"{school} {label} 学生资助发放花名册"
            rows = _person_rows(by_school[school])
            name = wb.reserve_sheet(school)
            ws = wb.workbook.get_worksheet_by_name(name)
            ws.set_default_row(22)
            res = wb.add_table(name, ROSTER_COLUMNS, rows, title=title,
                               total_row={"序号": "合计", "姓名": f"{len(rows)}人", "金额": SUM},
                               print_setup=PrintSetup(header_text=title))
            part = res.parts[-1]
            if part.total_row is not None:
                ws = part.worksheet
                ws.write_string(part.total_row + 2, 0, SIGN_LINE)
        wb.add_key_value_sheet("说明", meta, sections, title=f"{label} 学生资助发放花名册 — 说明")
    return path


def _summary_sheet(wb: WorkbookWriter, result: PayoutResult, by_school: dict[str, list[PayoutLine]],
                   label: str) -> None:
    names = result.item_names
    codes = [c for c in names if any(ln.item == c for ln in result.lines)]
    codes += sorted({ln.item for ln in result.lines} - set(codes))
    cols = [Column("学校")]
    for c in codes:
        cols += [Column(f"{names.get(c, c)} 人数", "int"), Column(f"{names.get(c, c)} 金额", "money")]
    cols += [Column("合计人数", "int"), Column("合计金额", "money")]
    rows = []
    for school in sorted(by_school):
        lns = by_school[school]
        row: list[Any] = [school]
        for c in codes:
            sel = [ln for ln in lns if ln.item == c]
            row += [len({ln.id_number for ln in sel}), sum((ln.amount for ln in sel), ZERO)]
        row += [len({ln.id_number for ln in lns}), sum((ln.amount for ln in lns), ZERO)]
        rows.append(row)
    totals: dict[Any, Any] = {0: "合计"}
    for i in range(1, len(cols)):
        totals[i] = SUM
    wb.add_table("汇总", cols, rows,
                 title=f"{label} 学生资助发放汇总（{result.persons} 人，{money(result.total)} 元；"
                       f"待核实 {len(result.pending)} 条未计入）",
                 total_row=totals, freeze_columns=1)


def policy_rows(policy, sem: str) -> list[list[Any]]:
    rows = []
    for it in policy.items:
        rate = it.rate_for(sem)
        if rate.kind == "fixed":
            amt = money(rate.amounts[0][1])
        else:
            amt = "、".join(f"{k} {money(v)}" for k, v in rate.amounts)
        grades = "、".join(str(g) for g in it.grades) if it.grades else "全部"
        rows.append([it.code, it.name, "、".join(it.stages), grades, amt])
    return rows


def amount_sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)
