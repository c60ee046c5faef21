"""Shared record types: what the reading layer hands to every command.

A ``Table`` is one sheet of one input file, with its columns renamed to canonical field names
(all text, ``str``/object dtype, never numbers) plus ``_row`` — the row number the officer sees
(Excel row / CSV line / HTML table row, 1-based). Rows that could not be used are not dropped:
they are listed in ``skipped`` (harmless: empty lines, total rows, repeated headers) or
``rejected`` (data the tool could not use) with a Chinese reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

#: The source kinds a sheet can be recognised as.
SOURCES = ("registry", "national", "provincial", "roster", "schools", "home_education",
           "elsewhere", "payout", "unknown")

SOURCE_LABELS = {
    "registry": "扶贫部门建档立卡人口库",
    "national": "全国学生资助管理信息系统",
    "provincial": "省建档立卡学生资助系统",
    "roster": "学校学生名册（学籍）",
    "schools": "学校名单",
    "home_education": "送教上门名单",
    "elsewhere": "外地就读证明名单",
    "payout": "发放花名册",
    "unknown": "无法判断",
}

#: Canonical field names (SPEC.md) plus a few extra ones the ledgers show.
CANONICAL_FIELDS = (
    "id_number", "name", "sex", "birth_date", "township", "village", "household_no", "person_no",
    "relation", "in_school_status", "poverty_status", "school", "school_code", "stage", "grade",
    "class", "boarding", "enrolment_status", "xueji_no", "item", "amount", "school_year",
    "semester", "hardship_type", "pay_date", "tier",
    # extras (not in SPEC's list, shown in ledgers when present)
    "head_name", "phone", "hukou", "monitor_type", "household_type", "reason",
)

ROW = "_row"  # column holding the officer-visible row number


@dataclass(frozen=True)
class RowIssue:
    """A row that was skipped (harmless) or rejected (unusable), with its Chinese reason."""

    file: str
    sheet: str
    row: int
    reason: str
    raw: tuple[str, ...] = ()

    def ref(self) -> str:
        return f"{self.file}:{self.sheet}:{self.row}"


@dataclass
class Table:
    """One sheet of one file, mapped to canonical fields."""

    path: str                 # path as given (for hashes and messages)
    file: str                 # file name shown to the officer (basename)
    sheet: str                # sheet name ("" for CSV, "table1" style for HTML)
    source: str               # one of SOURCES
    header_row: int           # 1-based row of the (last) header line
    columns: dict[str, str]   # canonical field -> header text as found
    df: pd.DataFrame          # canonical columns (text) + ROW
    skipped: list[RowIssue] = field(default_factory=list)
    rejected: list[RowIssue] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)   # header texts not mapped
    title: str = ""           # title rows above the header, joined

    @property
    def rows_read(self) -> int:
        """Data rows below the header: records + skipped + rejected."""
        return len(self.df) + len(self.skipped) + len(self.rejected)

    def ref(self, row: int) -> str:
        return f"{self.file}:{self.sheet}:{row}"
