"""Reading payout files back: ``payout.csv`` (the contract) or a 发放花名册 workbook.

``payout.csv`` has the English header ``id_number,name,school,stage,grade,item,semester,amount``;
the workbook written by ``fupin payout`` holds the same rows on its 发放明细 sheet under Chinese
headers (plus 项目代码, 就读方式, 乡镇 …). Both go through the normal reader (any encoding, .csv or
.xlsx, title rows, total rows skipped) with the English names and 项目代码 added to the column
mapping, so an officer's re-saved file still reads.

From a workbook only the 发放明细 sheet is used (the per-school sheets repeat the same rows); a
workbook without one (a hand-made roster) contributes every sheet that has the payout columns,
its school taken from the sheet title when there is no school column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from jiaoyu_fupin.errors import InputError
from jiaoyu_fupin.io.columns_config import ColumnOverrides, load_columns
from jiaoyu_fupin.io.load import SheetSkip, load_tables
from jiaoyu_fupin.model import Table
from jiaoyu_fupin.normalize.semesters import parse_semester, parse_semesters
from jiaoyu_fupin.normalize.values import parse_amounts, parse_grades, parse_stages, stages_from_school_names
from jiaoyu_fupin.policy.model import IGNORED, Policy

#: payout.csv columns, in contract order (SPEC.md)
PAYOUT_COLUMNS = ("id_number", "name", "school", "stage", "grade", "item", "semester", "amount")

#: the sheet of the 发放花名册 workbook that holds every row in one table
DETAIL_SHEET = "发放明细"

#: header texts fupin itself writes that the built-in synonyms do not know
_OWN_HEADERS: dict[str, tuple[str, ...]] = {
    **{f: (f,) for f in PAYOUT_COLUMNS},
    "item": ("item", "项目代码"),
    "boarding": ("boarding",),
    "class": ("class",),
    "township": ("township",),
    "village": ("village",),
    "household_no": ("household_no",),
}

_TITLE_SEMESTER = re.compile(r"(\d{4})\s*年?\s*(春|秋)")


def payout_overrides(columns: str | Path | ColumnOverrides | None) -> ColumnOverrides:
    """The officer's columns.toml plus the header names fupin's own payout files use."""
    base = load_columns(columns)
    by_source = {k: dict(v) for k, v in base.by_source.items()}
    sec = by_source.setdefault("payout", {})
    for fld, texts in _OWN_HEADERS.items():
        sec[fld] = tuple(dict.fromkeys(sec.get(fld, ()) + texts))
    return ColumnOverrides(by_source, base.path)


@dataclass
class PayoutFiles:
    """Payout tables as read, and the sheets not used (with the reason)."""

    tables: list[Table] = field(default_factory=list)
    skipped_sheets: list[SheetSkip] = field(default_factory=list)


def read_payout_files(paths: list[Path], columns=None, on_progress=None) -> PayoutFiles:
    """Every payout table in ``paths`` (files or folders)."""
    res = load_tables(list(paths), source="payout", columns=payout_overrides(columns), on_progress=on_progress)
    out = PayoutFiles(skipped_sheets=list(res.skipped_sheets))
    by_path: dict[str, list[Table]] = {}
    for t in res.tables:
        by_path.setdefault(t.path, []).append(t)
    for path, tables in by_path.items():
        detail = [t for t in tables if t.sheet == DETAIL_SHEET]
        if detail:
            out.tables.extend(detail)
            out.skipped_sheets.extend(
                SheetSkip(t.file, t.sheet, f"与“{DETAIL_SHEET}”表内容重复，未重复读取", path)
                for t in tables if t.sheet != DETAIL_SHEET)
            continue
        for t in tables:
            if t.sheet in ("变动", "待核实", "汇总", "说明", "无法识别"):
                out.skipped_sheets.append(SheetSkip(t.file, t.sheet, "不是发放名单（汇总、变动或待核实表）", path))
            else:
                out.tables.append(t)
    for t in out.tables:
        _check_masked(t)
    return out


def _check_masked(t: Table) -> None:
    if "id_number" not in t.df.columns:
        return
    masked = t.df["id_number"].astype(str).str.contains("*", regex=False)
    if masked.any():
        row = int(t.df.loc[masked, "_row"].iloc[0])
        raise InputError("身份证号中间几位已隐藏（用 --mask-ids 生成的表），无法比对。"
                         "请改用同一次生成的 payout.csv，或不加 --mask-ids 重新生成", file=t.file,
                         sheet=t.sheet or None, row=row, column=t.columns.get("id_number"))


def title_school_and_semester(t: Table) -> tuple[str, str]:
    """'XX学校 2020年秋季学期 学生资助发放花名册' → ('XX学校', '2020秋')."""
    title = t.title or ""
    m = _TITLE_SEMESTER.search(title)
    sem = f"{m.group(1)}{m.group(2)}" if m else ""
    school = title.split()[0] if title.split() and "花名册" not in title.split()[0] else ""
    return school, sem


def payout_frame(tables: list[Table], policy: Policy) -> pd.DataFrame:
    """One row per payout (or ledger) row, in table order: the canonical text columns plus
    ``code`` (policy item code, or the raw item text when the policy does not know it),
    ``item_status`` (ok / ignored / unknown), ``stage_n``, ``grade_n`` (int or None), ``sem``
    (canonical semester, '' when unreadable) and ``amount_d`` (Decimal or None)."""
    frames = []
    for ti, t in enumerate(tables):
        df = t.df
        n = len(df)
        school_t, sem_t = title_school_and_semester(t)
        cols = {}
        for f in ("id_number", "name", "school", "stage", "grade", "item", "semester", "school_year", "amount",
                  "class", "boarding", "township", "village", "household_no", "xueji_no"):
            cols[f] = df[f].astype(object).fillna("").to_numpy() if f in df.columns else np.full(n, "", dtype=object)
        if school_t:
            cols["school"] = np.where(cols["school"] == "", school_t, cols["school"])
        if sem_t:
            cols["semester"] = np.where(cols["semester"] == "", sem_t, cols["semester"])
        frame = pd.DataFrame(cols)
        frame["table"] = ti
        frame["file"] = t.file
        frame["sheet"] = t.sheet
        frame["row"] = df["_row"].to_numpy(dtype=np.int64)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=[*PAYOUT_COLUMNS, "school_year", "class", "boarding", "township", "village",
                                     "household_no", "xueji_no", "table", "file", "sheet", "row", "code",
                                     "stage_n", "grade_n", "item_status", "sem", "amount_d"])
    f = pd.concat(frames, ignore_index=True)
    hint = parse_stages(f["stage"])
    by_name = stages_from_school_names(f["school"])
    hint = hint.where(hint != "", by_name)
    grades = parse_grades(f["grade"], hint)
    stage = grades["stage"].astype(object).where(grades["stage"] != "", hint)
    codes = policy.resolve_items(f["item"], stage)
    # a stage the row does not give: the item's own stage when it has exactly one
    for i in np.flatnonzero((stage == "").to_numpy() & codes.notna().to_numpy()):
        c = codes.iat[i]
        if c != IGNORED and len(policy.item(c).stages) == 1:
            stage.iat[i] = policy.item(c).stages[0]
    f["stage_n"] = stage.to_numpy(dtype=object)
    f["grade_n"] = [None if pd.isna(g) else int(g) for g in grades["grade"]]
    f["code"] = codes.where(codes.notna(), f["item"]).to_numpy(dtype=object)
    f["item_status"] = np.where(codes.isna().to_numpy(), "unknown",
                                np.where((codes == IGNORED).to_numpy(), "ignored", "ok")).astype(object)
    f["sem"] = parse_semesters(f["semester"], f["school_year"]).astype(object).to_numpy()
    f["amount_d"] = parse_amounts(f["amount"]).to_numpy()
    return f


def semester_text(sem: str) -> str:
    """'2020秋' → '2020年秋季学期' (text unchanged when it is not a semester)."""
    s = parse_semester(sem)
    return s.label if s is not None else sem
