"""Writers shared by the commands: findings.csv, links.csv, the 无法识别 and 说明 sheets, and the
reconcile workbook (对账台账_<semester>.xlsx)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from jiaoyu_fupin.link.engine import method_label
from jiaoyu_fupin.model import RowIssue
from jiaoyu_fupin.reconcile.findings import (
    CATEGORY_LABELS,
    CATEGORY_ORDER,
    FINDINGS_COLUMNS,
    Finding,
    csv_columns,
    money,
)
from jiaoyu_fupin.report.csvout import write_csv, write_csv_columns
from jiaoyu_fupin.report.xlsx import SUM, Column, Section, WorkbookWriter, sanitize_filename

LINKS_COLUMNS = ("source", "file", "sheet", "row", "raw_id", "raw_name", "registry_id", "method", "score")

SOURCE_WORDS = {"roster": "roster", "national": "national", "provincial": "provincial",
                "home_education": "home_education", "elsewhere": "elsewhere", "previous_roster": "previous_roster"}


def write_findings_csv(path: Path, findings: Iterable[Finding]) -> Path:
    # id_number, amounts and sources are data, never neutralised
    return write_csv_columns(path, list(FINDINGS_COLUMNS), csv_columns(list(findings)),
                             raw_columns={1, 8, 9, 11, 12})


def _dictionary(codes: np.ndarray, texts: list) -> pa.DictionaryArray:
    """A column given as the texts of its distinct values and each row's code."""
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32, copy=False)),
                                          pa.array(texts, type=pa.string()))


def _mapped(values: np.ndarray, func) -> pa.DictionaryArray:
    """func of each value, worked out once per distinct value."""
    codes, uniques = pd.factorize(pd.Series(values, copy=False), use_na_sentinel=False)
    return _dictionary(codes, [func(u) for u in uniques])


#: the record columns links.csv is made of
LINKS_READS = ("table", "role", "file", "sheet", "row", "id_number", "name", "registry_id", "link_status",
               "link_method", "link_score")


def links_columns(rec: pd.DataFrame) -> dict[str, np.ndarray]:
    """The columns :func:`write_links_csv` reads, as arrays (object columns as object arrays): a
    snapshot another thread can read while ``rec`` itself is changed."""
    return {c: rec[c].to_numpy(dtype=object) if rec[c].dtype == object else rec[c].to_numpy() for c in LINKS_READS}


def write_links_csv(path: Path, rec: pd.DataFrame | Mapping[str, np.ndarray], digest=None) -> Path:
    """links.csv: how each record was linked. ``rec``: the record frame, or its
    :func:`links_columns`; ``digest`` (e.g. ``hashlib.sha256()``) is updated with the file's bytes."""
    from jiaoyu_fupin.report.csvout import cell_text, neutralise

    cols = links_columns(rec) if isinstance(rec, pd.DataFrame) else rec
    obj = lambda c: np.asarray(cols[c], dtype=object)
    n = len(cols["table"])
    linked = np.asarray(obj("link_status") == "linked", dtype=bool)
    # method: the link method of a linked record, else "none" (as text: the distinct values once)
    m_codes, m_values = pd.factorize(pd.Series(obj("link_method"), dtype=object, copy=False), use_na_sentinel=False)
    method = _dictionary(np.where(linked, m_codes, len(m_values)), [cell_text(v) for v in m_values] + ["none"])
    score = np.where(linked, np.asarray(cols["link_score"], dtype=float), 0.0)
    # source, file and sheet are the same on every row of a table: neutralised once per table
    tables = np.asarray(cols["table"]).astype(np.int64)
    lookup = [[] for _ in range(3)]
    if n:
        t_ids, first = np.unique(tables, return_index=True)
        role, file, sheet = (obj(c)[first] for c in ("role", "file", "sheet"))
        slot = np.zeros(int(t_ids[-1]) + 1, dtype=np.int64)
        slot[t_ids] = np.arange(len(t_ids))
        tables = slot[tables]
        for k in range(len(t_ids)):
            lookup[0].append(neutralise(str(SOURCE_WORDS.get(role[k], role[k]))))
            lookup[1].append(neutralise(str(file[k])))
            lookup[2].append(neutralise(str(sheet[k])))
    columns = [
        _dictionary(tables, lookup[0]), _dictionary(tables, lookup[1]), _dictionary(tables, lookup[2]),
        np.asarray(cols["row"]).astype(np.int64), obj("id_number"), obj("name"), obj("registry_id"), method,
        _mapped(score, lambda x: f"{x:.2f}"),
    ]
    # IDs, row numbers, methods and scores are the tool's own, and source/file/sheet were
    # neutralised above: only raw_name is checked here
    return write_csv_columns(path, list(LINKS_COLUMNS), columns, raw_columns={0, 1, 2, 3, 4, 6, 7, 8},
                             digest=digest)


#: A ledger sheet holding more rows than this is also written as CSV next to the workbook (same
#: columns, UTF-8 with BOM). Excel and WPS on a county office PC open, filter and scroll a sheet of
#: a few hundred thousand rows very slowly (and one over Excel's 1,048,576 rows is split into parts,
#: which the workbook does); a CSV of the same ledger can be filtered by a script or loaded into a
#: database. Below the threshold the workbook alone is the ledger.
LEDGER_CSV_ROWS = 100_000


def write_ledger_csv(path: Path, columns: list, rows: Iterable, *, mask_ids: bool = False) -> Path:
    """A ledger sheet's rows as CSV: the sheet's column headers; ID columns masked with
    ``mask_ids`` like the workbook; money with two places; data text never run as a formula."""
    from jiaoyu_fupin.report.mask import mask_id

    id_cols = [i for i, c in enumerate(columns) if getattr(c, "kind", "") == "id"]
    raw = {i for i, c in enumerate(columns) if getattr(c, "kind", "") in ("id", "money", "int", "date")}

    def prepared():
        for row in rows:
            row = list(row)
            if mask_ids:
                for i in id_cols:
                    if isinstance(row[i], str) and row[i]:
                        row[i] = mask_id(row[i])
            yield row
    return write_csv(path, [getattr(c, "header", str(c)) for c in columns], prepared(), raw_columns=raw)


def large_ledger_csvs(out: Path, stem: str, sheets: list[tuple[str, list, Iterable, int]], *,
                      mask_ids: bool = False, threshold: int | None = None) -> list[Path]:
    """Write ``out/<stem>_<sheet>.csv`` for each (sheet name, columns, rows, row count) with more
    than ``threshold`` (default :data:`LEDGER_CSV_ROWS`) rows; the paths written."""
    threshold = LEDGER_CSV_ROWS if threshold is None else threshold
    written = []
    for name, columns, rows, count in sheets:
        if count > threshold:
            written.append(write_ledger_csv(out / sanitize_filename(f"{stem}_{name}.csv"), columns, rows,
                                            mask_ids=mask_ids))
    return written


def reconcile_ledger_sheets(result, item_names: dict[str, str], rejected: list[RowIssue]) -> list[tuple]:
    """The reconcile workbook's long sheets (one per category, 无法识别) as (name, columns, rows,
    count) for :func:`large_ledger_csvs`."""
    by_cat: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        by_cat[f.category].append(f)
    out = []
    for c in CATEGORY_ORDER:
        fs = by_cat.get(c, [])
        name = "待人工核对" if c == "NEEDS_REVIEW" else CATEGORY_LABELS[c]
        out.append((name, FINDING_COLUMNS, (row for row in finding_rows(fs, item_names)), len(fs)))
    out.append(("无法识别", REJECTED_COLUMNS, rejected_rows(rejected), len(rejected)))
    return out


FINDING_COLUMNS = [
    Column("乡镇"), Column("村"), Column("户编号", "id"), Column("姓名"), Column("身份证号", "id"),
    Column("学校"), Column("年级"), Column("资助项目"), Column("应发", "money"), Column("实发", "money"),
    Column("差额", "money"), Column("原因", width=60), Column("匹配依据"), Column("来源行", width=40),
]


def finding_rows(findings: list[Finding], item_names: dict[str, str]) -> list[list]:
    return [[f.township, f.village, f.household_no, f.name, f.id_number, f.school, f.grade,
             item_names.get(f.item, f.item), f.expected_amount, f.paid_amount, f.difference(), f.reason,
             f.match, "；".join(f.sources)] for f in findings]


def rejected_rows(issues: Iterable[RowIssue]) -> list[list]:
    return [[i.file, i.sheet, i.row, i.reason, " | ".join(x for x in i.raw if x)] for i in issues]


REJECTED_COLUMNS = [Column("文件"), Column("工作表"), Column("行号", "int"), Column("原因", width=50),
                    Column("原始内容", width=60)]


def describe_inputs(run_inputs: list[dict]) -> Section:
    rows = [[i.get("role_label", i.get("role", "")), i.get("file", ""), i.get("sheet", ""), i.get("rows", ""),
             i.get("sha256", "")] for i in run_inputs]
    return Section("输入文件", columns=["用途", "文件", "工作表", "数据行数", "SHA-256"], rows=rows)


def write_reconcile_workbook(path: Path, result, *, policy, item_names: dict[str, str], inputs_section: Section,
                             rejected: list[RowIssue], meta: list[tuple[str, object]],
                             mask_ids: bool = False, title_prefix: str = "") -> Path:
    by_cat: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        by_cat[f.category].append(f)
    with WorkbookWriter(path, mask_ids=mask_ids) as wb:
        wb.reserve_sheet("说明")
        # 汇总: per category, then per school and per township
        cat_rows = []
        for c in CATEGORY_ORDER:
            fs = by_cat.get(c, [])
            exp = sum((f.expected_amount or Decimal(0) for f in fs), Decimal(0))
            paid = sum((f.paid_amount or Decimal(0) for f in fs), Decimal(0))
            cat_rows.append([CATEGORY_LABELS[c], c, len(fs), len({f.id_number for f in fs}), exp, paid])
        wb.add_table("汇总", [Column("问题类别"), Column("代码"), Column("条数", "int"), Column("人数", "int"),
                              Column("应发合计", "money"), Column("实发合计", "money")],
                     cat_rows, title=f"{title_prefix}{result.semester} 学生资助对账汇总",
                     total_row={"问题类别": "合计", "条数": SUM})
        per_school: dict[str, Counter] = defaultdict(Counter)
        per_town: dict[str, Counter] = defaultdict(Counter)
        for f in result.findings:
            per_school[f.school or "（无学校）"][f.category] += 1
            per_town[f.township or "（无乡镇）"][f.category] += 1
        cols = [Column("学校")] + [Column(CATEGORY_LABELS[c], "int") for c in CATEGORY_ORDER] + [Column("合计", "int")]
        wb.add_table("按学校汇总", cols,
                     [[k] + [v[c] for c in CATEGORY_ORDER] + [sum(v.values())] for k, v in sorted(per_school.items())],
                     total_row={0: "合计", **{i + 1: SUM for i in range(len(CATEGORY_ORDER) + 1)}})
        cols[0] = Column("乡镇")
        wb.add_table("按乡镇汇总", cols,
                     [[k] + [v[c] for c in CATEGORY_ORDER] + [sum(v.values())] for k, v in sorted(per_town.items())],
                     total_row={0: "合计", **{i + 1: SUM for i in range(len(CATEGORY_ORDER) + 1)}})
        for c in CATEGORY_ORDER:
            name = "待人工核对" if c == "NEEDS_REVIEW" else CATEGORY_LABELS[c]
            wb.add_table(name, FINDING_COLUMNS, finding_rows(by_cat.get(c, []), item_names),
                         title=f"{CATEGORY_LABELS[c]}（{c}）— {result.semester}，共 {len(by_cat.get(c, []))} 条")
        wb.add_table("无法识别", REJECTED_COLUMNS, rejected_rows(rejected),
                     title=f"未能使用的数据行（共 {len(rejected)} 行），请核对原表")
        pol = policy.to_dict()
        pol_rows = []
        for it in pol.get("items", []):
            amt = it.get("amount") or it.get("amount_by_boarding") or it.get("amount_by_tier")
            pol_rows.append([it.get("code"), it.get("name"), "、".join(it.get("stages", [])), str(amt)])
        sections = [inputs_section,
                    Section("政策标准（每学期，元）", columns=["代码", "项目", "学段", "金额"], rows=pol_rows)]
        if result.warnings:
            sections.append(Section("提示", pairs=[(str(i + 1), w) for i, w in enumerate(result.warnings)]))
        wb.add_key_value_sheet("说明", meta, sections, title="说明")
    return path


def split_name(value: str) -> str:
    return sanitize_filename(value or "未填写")


def method_text(method: str) -> str:
    return method_label(method)


def amount_text(d) -> str:
    return money(d)
