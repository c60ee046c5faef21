"""The 控辍保学 ledgers: ``控辍保学排查台账_<Y>-<Y+1>学年.xlsx`` and, with ``--split-by village``,
one small workbook per village.

Main workbook sheets, in order: 说明 (reserved first, filled last), 汇总 (per township and village:
children in the window, one column per category, 入学率), 按乡镇汇总, the action lists across
townships (疑似辍学, 未入学, 外出未核实), one sheet per township listing every child (action
categories first), 待核对记录 (records the linker could not attribute, invalid IDs, registry
persons without a birth date) and 无法识别 (rejected input rows).

入学率 = (在校就读 + 送教上门 + 外地就读) / 适龄儿童, a number shown as a percentage (a conditional
format carries the ``0.00%`` number format: the shared writer has no percent column kind).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from jiaoyu_fupin.model import RowIssue
from jiaoyu_fupin.reconcile.findings import DROPOUT_LABELS
from jiaoyu_fupin.report.ledgers import REJECTED_COLUMNS, rejected_rows
from jiaoyu_fupin.report.mask import mask_id
from jiaoyu_fupin.report.xlsx import SUM, Column, Section, TableColumns, TableResult, WorkbookWriter

#: summary columns: category order of the 汇总 sheets
SUMMARY_CATEGORIES = ("ENROLLED", "HOME_EDUCATION", "ENROLLED_ELSEWHERE", "OUT_OF_AREA_UNVERIFIED",
                      "DROPPED_OUT", "NOT_ENROLLED")
#: the categories counted as "in school" by the rate
COVERED = ("ENROLLED", "HOME_EDUCATION", "ENROLLED_ELSEWHERE")
#: action-list sheets across townships
ACTION_SHEETS = (("DROPPED_OUT", "疑似辍学"), ("NOT_ENROLLED", "未入学"), ("OUT_OF_AREA_UNVERIFIED", "外出未核实"))
RATE_HEADER = "入学率"
BLANK_TOWN = "（未填写乡镇）"
BLANK_VILLAGE = "（未填写村）"

CHILD_COLUMNS = [
    Column("乡镇"), Column("村"), Column("户编号"), Column("户主姓名"), Column("姓名"), Column("性别"),
    Column("身份证号", "id"), Column("出生日期", "date"), Column("年龄", "int"), Column("应在年级"),
    Column("就读学校"), Column("年级"), Column("学籍状态"), Column("核查结果"), Column("核查依据", width=60),
    Column("劝返/处理情况", width=30), Column("匹配依据"), Column("来源行", width=40),
]

REVIEW_COLUMNS = [Column("情况"), Column("用途"), Column("文件"), Column("工作表"), Column("行号", "int"),
                  Column("姓名"), Column("原表证件号", "id"), Column("学校"), Column("学籍状态/在校生状况"),
                  Column("说明", width=50), Column("建档立卡库中的候选人", width=50)]

_KIND_LABELS = {"review": "疑似匹配待核对", "invalid": "证件号无效", "no_birth": "出生日期无法确定"}


def place(township: str, village: str) -> tuple[str, str]:
    """(township, village) as shown, blanks named."""
    return (str(township or "").strip() or BLANK_TOWN, str(village or "").strip() or BLANK_VILLAGE)


def child_rows(children: pd.DataFrame) -> Iterable[list]:
    for r in children.itertuples(index=False):
        yield [r.township, r.village, r.household_no, r.head_name, r.name, r.sex, r.id_number, r.birth or None,
               r.age, r.expected_grade, r.school, r.grade, r.enrol_status, r.label, r.reason, "", r.match,
               r.sources]


def child_columns(children: pd.DataFrame) -> list[np.ndarray]:
    """:func:`child_rows` column by column (object arrays, one per :data:`CHILD_COLUMNS`)."""
    def get(c: str) -> np.ndarray:
        return children[c].to_numpy(dtype=object)

    birth = get("birth")
    birth = np.where(birth.astype(bool), birth, None)      # r.birth or None
    blank = np.full(len(children), "", dtype=object)
    return [get("township"), get("village"), get("household_no"), get("head_name"), get("name"), get("sex"),
            get("id_number"), birth, get("age"), get("expected_grade"), get("school"), get("grade"),
            get("enrol_status"), get("label"), get("reason"), blank, get("match"), get("sources")]


def _places(townships: list) -> list[str]:
    """``place(t, "")[0]`` of each township (worked out once per distinct text)."""
    seen: dict[str, str] = {}
    out = []
    for t in townships:
        if type(t) is str:
            p = seen.get(t)
            if p is None:
                p = seen[t] = place(t, "")[0]
        else:
            p = place(t, "")[0]
        out.append(p)
    return out


def summary_rows(children: pd.DataFrame, keys: Sequence[str]) -> list[list]:
    """One row per distinct ``keys`` (township / village): counts per category and the rate."""
    if not len(children):
        return []
    places = [place(t, v) for t, v in zip(children["township"], children["village"])]
    frame = children.assign(_t=[p[0] for p in places], _v=[p[1] for p in places])
    key_cols = ["_t", "_v"][:len(keys)]
    counts = frame.groupby(key_cols + ["category"], sort=True).size().unstack(fill_value=0)
    out = []
    for key, row in counts.iterrows():
        key = key if isinstance(key, tuple) else (key,)
        n = int(row.sum())
        vals = [int(row.get(c, 0)) for c in SUMMARY_CATEGORIES]
        out.append([*key, n, *vals, rate(vals, n)])
    return out


def rate(vals: Sequence[int], n: int) -> float | None:
    covered = sum(v for c, v in zip(SUMMARY_CATEGORIES, vals) if c in COVERED)
    return round(covered / n, 4) if n else None


def summary_columns(keys: Sequence[str]) -> list[Column]:
    return ([Column(k) for k in keys] + [Column("适龄儿童", "int")]
            + [Column(DROPOUT_LABELS[c], "int") for c in SUMMARY_CATEGORIES]
            + [Column(RATE_HEADER, "number", width=10)])


def _percent(wb: WorkbookWriter, table: TableResult, col: int) -> None:
    """Show the rate column as a percentage (conditional format with a number format)."""
    fmt = wb.workbook.add_format({"num_format": "0.00%"})
    for part in table.parts:
        last = part.total_row if part.total_row is not None else part.last_data_row
        if last >= part.first_data_row:
            part.worksheet.conditional_format(part.first_data_row, col, last, col,
                                              {"type": "no_blanks", "format": fmt})


def add_summary(wb: WorkbookWriter, name: str, children: pd.DataFrame, keys: Sequence[str], title: str
                ) -> TableResult:
    rows = summary_rows(children, keys)
    n = len(children)
    vals = [int((children["category"] == c).sum()) for c in SUMMARY_CATEGORIES] if n else [0] * 6
    total = {0: "合计", len(keys): SUM, **{len(keys) + 1 + i: SUM for i in range(len(SUMMARY_CATEGORIES))}}
    overall = rate(vals, n)
    if overall is not None:
        total[len(keys) + 1 + len(SUMMARY_CATEGORIES)] = overall
    cols = summary_columns(keys)
    table = wb.add_table(name, cols, rows, title=title, total_row=total)
    _percent(wb, table, len(cols) - 1)
    return table


def add_children(wb: WorkbookWriter, name: str, children: pd.DataFrame | list[np.ndarray], title: str,
                 rows: np.ndarray | None = None) -> TableResult:
    """A list of children: ``children`` a children frame, or its :func:`child_columns` with
    ``rows`` the positions to list."""
    columns = child_columns(children) if isinstance(children, pd.DataFrame) else children
    if rows is not None:
        columns = [c[rows] for c in columns]
    n = len(columns[0])
    return wb.add_table(name, CHILD_COLUMNS, TableColumns(columns), title=f"{title}，共 {n} 人", freeze_columns=0)


_ID_TOKEN = re.compile(r"[GgJj]?\d{14,21}[\dXx]?")


def masked_rejected_rows(issues: Iterable[RowIssue], mask_ids: bool) -> list[list]:
    """The 无法识别 rows; with ``mask_ids`` ID-like values in the raw content are masked too."""
    rows = rejected_rows(issues)
    if mask_ids:
        for r in rows:
            r[4] = " | ".join(mask_id(t) if _ID_TOKEN.fullmatch(t.strip()) else t for t in str(r[4]).split(" | "))
    return rows


def review_rows(review: pd.DataFrame, mask_ids: bool) -> Iterable[list]:
    for r in review.itertuples(index=False):
        cands = "；".join(f"{n}（{mask_id(c) if mask_ids else c}）" for n, c in r.candidates)
        yield [_KIND_LABELS.get(r.kind, r.kind), r.role, r.file, r.sheet, r.row, r.name, r.raw_id, r.school,
               r.status, r.note, cands]


def review_columns(review: pd.DataFrame, mask_ids: bool) -> TableColumns:
    """:func:`review_rows` column by column."""
    def get(c: str) -> list:
        return review[c].to_numpy(dtype=object).tolist()

    cands = ["；".join(f"{n}（{mask_id(c) if mask_ids else c}）" for n, c in cs) for cs in get("candidates")]
    return TableColumns([[_KIND_LABELS.get(k, k) for k in get("kind")], get("role"), get("file"), get("sheet"),
                         get("row"), get("name"), get("raw_id"), get("school"), get("status"), get("note"), cands])


def _by_columns(rows: list[list], ncols: int) -> TableColumns:
    return TableColumns([list(c) for c in zip(*rows)] if rows else [[] for _ in range(ncols)])


def rules_section(result) -> Section:
    lo, hi = result.window
    on = result.age_date
    day = f"{on.month} 月 {on.day} 日" if on else "8 月 31 日"
    return Section("排查规则", pairs=[
        ("学年", result.label),
        ("适龄儿童", f"{lo.isoformat()} 至 {hi.isoformat()} 出生（含）的建档立卡人员，出生日期取自证件号"),
        ("判定顺序", ("在校就读 → 送教上门 → 外地就读（有证明）→ 疑似辍学 → 外出未核实 → 未入学（失学），"
                  "多项符合时取最前者")),
        ("在校就读", "本学年学生名册中有学籍状态为在读/在籍/复学（或未填写）的记录；普通高中、中职也算"),
        ("送教上门", "在送教上门名单中"),
        ("外地就读（有证明）", "在外地就读证明名单中"),
        ("疑似辍学", ("本学年名册中只有非在读的记录（休学、退学、停学、流失、转出、毕业、死亡等，核查依据写明状态），"
                  "或上学期名册中在读、本学年各名册中均无此人")),
        ("外出未核实", ("各名册和名单中均无此人，但建档立卡库“在校生状况”填写为在校（学龄前儿童除外；"
                   "已满6周岁仍登记为学前教育的也列入）")),
        ("未入学（失学）", "各名册和名单中均无此人，建档立卡库“在校生状况”为学龄前儿童或未填写"),
        ("待核对的疑似记录", ("名册或名单中有一条记录可能是该生、但证据不足以确定时，不改变核查结果，"
                     "在核查依据中列出该记录（文件:工作表:行），请先核对该记录再上门")),
        ("应在年级", f"按 {day} 的周岁推算（6 岁一年级 … 14 岁九年级，15 岁高一或中职一年级），仅供参考"),
        ("年龄", f"按学年开始当年 {day} 计算的周岁"),
        ("入学率", "（在校就读 + 送教上门 + 外地就读）÷ 适龄儿童"),
        ("劝返/处理情况", "留给村里填写"),
    ])


def write_main_workbook(path: Path, result, *, meta: list[tuple[str, object]], sections: list[Section],
                        rejected: list[RowIssue], mask_ids: bool = False) -> Path:
    children = result.children
    span = f"{result.label}，{result.window[0].isoformat()}至{result.window[1].isoformat()}出生"
    with WorkbookWriter(path, mask_ids=mask_ids) as wb:
        wb.reserve_sheet("说明")
        add_summary(wb, "汇总", children, ["乡镇", "村"], f"控辍保学排查汇总（{span}）")
        add_summary(wb, "按乡镇汇总", children, ["乡镇"], f"控辍保学排查按乡镇汇总（{span}）")
        columns = child_columns(children)
        category = children["category"].to_numpy(dtype=object)
        for cat, name in ACTION_SHEETS:
            add_children(wb, name, columns, f"{DROPOUT_LABELS[cat]}名单（{span}）", np.flatnonzero(category == cat))
        # one sheet per township (blank named), children in ledger order
        towns = np.array(_places(children["township"].to_numpy(dtype=object).tolist()), dtype=object)
        for town in sorted(set(towns.tolist())):
            add_children(wb, town, columns, f"{town} 适龄儿童排查台账（{span}）", np.flatnonzero(towns == town))
        review = result.review
        wb.add_table("待核对记录", REVIEW_COLUMNS, review_columns(review, mask_ids),
                     title=f"需人工核对的记录（共 {len(review)} 条）：可能是某个适龄儿童，但无法确定")
        wb.add_table("无法识别", REJECTED_COLUMNS, _by_columns(masked_rejected_rows(rejected, mask_ids),
                                                           len(REJECTED_COLUMNS)),
                     title=f"未能使用的数据行（共 {len(rejected)} 行），请核对原表")
        wb.add_key_value_sheet("说明", meta, [rules_section(result), *sections], title="说明")
    return path


def write_village_workbook(path: Path, result, children: pd.DataFrame, town: str, village: str, *,
                           meta: list[tuple[str, object]], mask_ids: bool = False) -> Path:
    span = f"{result.label}，{result.window[0].isoformat()}至{result.window[1].isoformat()}出生"
    with WorkbookWriter(path, mask_ids=mask_ids) as wb:
        wb.reserve_sheet("说明")
        n = len(children)
        vals = [int((children["category"] == c).sum()) for c in SUMMARY_CATEGORIES]
        rows = [[DROPOUT_LABELS[c], c, v] for c, v in zip(SUMMARY_CATEGORIES, vals)]
        wb.add_table("汇总", [Column("核查结果"), Column("代码"), Column("人数", "int")], rows,
                     title=f"{town}{village} 控辍保学排查汇总（{span}）",
                     total_row={"核查结果": "适龄儿童合计", "人数": SUM})
        add_children(wb, "排查名单", children, f"{town}{village} 适龄儿童排查台账（{span}）")
        r = rate(vals, n)
        pairs = [("乡镇", town), ("村", village), ("适龄儿童", n),
                 (RATE_HEADER, f"{r * 100:.2f}%" if r is not None else "")] + list(meta)
        wb.add_key_value_sheet("说明", pairs, [rules_section(result)], title="说明")
    return path
