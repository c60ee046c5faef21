"""Shared test helpers: write small real spreadsheet files into ``tmp_path``.

Use the ``files`` fixture::

    def test_x(files):
        p = files.xlsx("名册.xlsx", [["姓名", "身份证号"], ["张三", make_id()]])
        p = files.xls("a.xls", sheets={"Sheet1": rows}, merges={"Sheet1": [(0, 0, 0, 3)]})
        p = files.csv("b.csv", rows, encoding="gb18030")
        p = files.html("c.xls", "<table>…</table>", encoding="gbk")

Rows are lists of cell values (str, int, float, bool, date, datetime, None).
``make_id`` builds ID numbers with a correct GB 11643 check digit.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(region: str = "341021", birth: str = "20100101", seq: str = "123") -> str:
    """An 18-character ID with a correct check digit."""
    body = f"{region}{birth}{seq}"
    assert len(body) == 17, body
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _WEIGHTS)) % 11]


def _cell_ref(r: int, c: int) -> str:
    letters = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{r + 1}"


class FileMaker:
    """Writes test files under one folder; every method returns the Path written."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, name: str) -> Path:
        p = self.root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    # -- .xlsx (openpyxl: dates as datetimes, numbers as numbers)
    def xlsx(self, name: str, rows: list[list] | None = None, *, sheets: dict[str, list[list]] | None = None,
             merges: dict[str, list[tuple[int, int, int, int]]] | None = None) -> Path:
        """``merges``: per sheet, 0-based (first_row, first_col, last_row, last_col); the value stays
        in the top-left cell as in Excel."""
        import openpyxl

        sheets = sheets if sheets is not None else {"Sheet1": rows or []}
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for sname, srows in sheets.items():
            ws = wb.create_sheet(sname)
            for r, row in enumerate(srows):
                for c, v in enumerate(row):
                    if v is not None and v != "":
                        cell = ws.cell(row=r + 1, column=c + 1, value=v)
                        if isinstance(v, dt.datetime):
                            cell.number_format = "yyyy-mm-dd hh:mm:ss"
                        elif isinstance(v, dt.date):
                            cell.number_format = "yyyy-mm-dd"
            for r0, c0, r1, c1 in (merges or {}).get(sname, []):
                ws.merge_cells(f"{_cell_ref(r0, c0)}:{_cell_ref(r1, c1)}")
        p = self.path(name)
        wb.save(p)
        return p

    # -- .xlsx through xlsxwriter (lets a test write a number with a date format = a serial date)
    def xlsx_writer(self, name: str, cells: list[tuple[int, int, object, str | None]],
                    sheet: str = "Sheet1") -> Path:
        """``cells``: (row, col, value, number_format or None), 0-based."""
        import xlsxwriter

        p = self.path(name)
        wb = xlsxwriter.Workbook(str(p))
        ws = wb.add_worksheet(sheet)
        formats: dict[str, object] = {}
        for r, c, v, fmt in cells:
            f = None
            if fmt:
                f = formats.setdefault(fmt, wb.add_format({"num_format": fmt}))
            if isinstance(v, str):
                ws.write_string(r, c, v, f)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                ws.write_number(r, c, v, f)
            else:
                ws.write(r, c, v, f)
        wb.close()
        return p

    # -- .xls (BIFF8, xlwt)
    def xls(self, name: str, rows: list[list] | None = None, *, sheets: dict[str, list[list]] | None = None,
            merges: dict[str, list[tuple[int, int, int, int]]] | None = None) -> Path:
        import xlwt

        sheets = sheets if sheets is not None else {"Sheet1": rows or []}
        wb = xlwt.Workbook(encoding="utf-8")
        date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
        dt_style = xlwt.easyxf(num_format_str="YYYY-MM-DD HH:MM:SS")
        for sname, srows in sheets.items():
            ws = wb.add_sheet(sname)
            merged = (merges or {}).get(sname, [])
            covered = {(r, c) for r0, c0, r1, c1 in merged for r in range(r0, r1 + 1)
                       for c in range(c0, c1 + 1)}
            for r0, c0, r1, c1 in merged:
                v = srows[r0][c0] if r0 < len(srows) and c0 < len(srows[r0]) else ""
                ws.write_merge(r0, r1, c0, c1, v)
            for r, row in enumerate(srows):
                for c, v in enumerate(row):
                    if (r, c) in covered or v is None or v == "":
                        continue
                    if isinstance(v, dt.datetime):
                        ws.write(r, c, v, dt_style)
                    elif isinstance(v, dt.date):
                        ws.write(r, c, v, date_style)
                    else:
                        ws.write(r, c, v)
        p = self.path(name)
        wb.save(str(p))
        return p

    # -- CSV / TSV
    def csv(self, name: str, rows: list[list], *, encoding: str = "utf-8-sig", delimiter: str = ",",
            lineterminator: str = "\r\n") -> Path:
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=delimiter, lineterminator=lineterminator)
        for row in rows:
            w.writerow(["" if v is None else v for v in row])
        p = self.path(name)
        p.write_bytes(buf.getvalue().encode(encoding))
        return p

    # -- HTML table (what the provincial system names .xls)
    def html(self, name: str, body: str | list[list], *, encoding: str = "utf-8",
             meta_charset: str | None = None) -> Path:
        if not isinstance(body, str):
            trs = "".join("<tr>" + "".join(f"<td>{'' if v is None else v}</td>" for v in row) + "</tr>\n"
                          for row in body)
            body = f"<table border=1>\n{trs}</table>"
        meta = f'<meta http-equiv="Content-Type" content="text/html; charset={meta_charset}">' \
            if meta_charset else ""
        doc = f"<html><head>{meta}<title>导出</title></head><body>\n{body}\n</body></html>"
        p = self.path(name)
        p.write_bytes(doc.encode(encoding))
        return p

    def raw(self, name: str, data: bytes) -> Path:
        p = self.path(name)
        p.write_bytes(data)
        return p


@pytest.fixture
def files(tmp_path: Path) -> FileMaker:
    return FileMaker(tmp_path)


@pytest.fixture
def ids() -> callable:
    """``ids(n)``: n distinct valid IDs (born 2010, county 341021)."""
    def _ids(n: int, birth: str = "20100101") -> list[str]:
        return [make_id("341021", birth, f"{i:03d}") for i in range(1, n + 1)]
    return _ids
