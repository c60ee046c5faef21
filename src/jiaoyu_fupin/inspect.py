"""``fupin inspect``: what the tool sees in each file.

For every sheet: the source it looks like, the header row, the column mapping, the number of
data rows, ID-number statuses and duplicated IDs.  ``rows`` counts the data rows that hold
content: records plus rejected rows (``len(df) + len(rejected)``); empty lines, repeated headers,
totals and signature lines (``skipped_rows``) are not counted.  ``id_status`` classifies the
records' ID column (all zero when the sheet has no ID column); ``duplicate_ids`` is the number
of distinct usable IDs (valid / converted_15) that occur more than once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from jiaoyu_fupin.io.columns_config import ColumnOverrides, load_columns
from jiaoyu_fupin.io.load import SheetSkip, iter_loaded
from jiaoyu_fupin.io.readers import expand_paths
from jiaoyu_fupin.model import Table

ID_STATUSES = ("valid", "converted_15", "precision_lost", "bad_checksum", "bad_date", "wrong_length", "empty")


def _zero_status() -> dict[str, int]:
    return {k: 0 for k in ID_STATUSES}


@dataclass
class SheetInspection:
    sheet: str
    source: str
    header_row: int | None
    columns: dict[str, str]
    rows: int
    id_status: dict[str, int] = field(default_factory=_zero_status)
    duplicate_ids: int = 0
    skipped_reason: str | None = None
    # extra detail for the terminal view (not in the JSON contract)
    title: str = ""
    skipped_rows: int = 0
    rejected_rows: int = 0
    unmapped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "source": self.source,
            "header_row": self.header_row,
            "columns": dict(self.columns),
            "rows": self.rows,
            "id_status": {k: int(self.id_status.get(k, 0)) for k in ID_STATUSES},
            "duplicate_ids": int(self.duplicate_ids),
            "skipped_reason": self.skipped_reason,
        }


@dataclass
class FileInspection:
    file: str
    path: str
    sheets: list[SheetInspection] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"file": self.file, "sheets": [s.to_dict() for s in self.sheets]}


@dataclass
class InspectResult:
    files: list[FileInspection] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"files": [f.to_dict() for f in self.files]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


def inspect_table(t: Table) -> SheetInspection:
    status = _zero_status()
    dups = 0
    if "id_number" in t.df.columns and len(t.df):
        from jiaoyu_fupin.normalize.ids import USABLE, normalize_ids

        ids = normalize_ids(t.df["id_number"])
        for k, v in ids["id_status"].value_counts().items():
            status[str(k)] = status.get(str(k), 0) + int(v)
        usable = ids.loc[ids["id_status"].isin(list(USABLE)), "id"]
        counts = usable.value_counts()
        dups = int((counts > 1).sum())
    return SheetInspection(
        sheet=t.sheet, source=t.source, header_row=t.header_row, columns=dict(t.columns),
        rows=len(t.df) + len(t.rejected), id_status=status, duplicate_ids=dups,
        title=t.title, skipped_rows=len(t.skipped), rejected_rows=len(t.rejected),
        unmapped=list(t.unmapped),
    )


def inspect_paths(paths: list[Path | str], columns: str | Path | ColumnOverrides | None = None) -> InspectResult:
    """Inspect files and folders; an unreadable file raises InputError (the CLI exits 2)."""
    overrides = load_columns(columns)
    result = InspectResult()
    files = expand_paths(list(paths))
    for f, items in zip(files, iter_loaded(files, None, overrides)):
        fi = FileInspection(f.display, str(f.path))
        for item in items:
            if isinstance(item, SheetSkip):
                fi.sheets.append(SheetInspection(item.sheet, "unknown", None, {}, 0,
                                                 skipped_reason=item.reason))
            else:
                fi.sheets.append(inspect_table(item))
        result.files.append(fi)
    return result
