"""Render the world into the files real county folders hold (.xlsx, BIFF .xls, HTML-as-.xls, CSV).

Row numbers written into every ``Rec`` are the rows an officer sees: Excel row (title and header
rows count), CSV line, HTML table row (``<tr>`` index in the table), all 1-based.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from . import names as nm
from .world import (
    CITY,
    CN_NUM,
    COUNTY,
    ITEM_NAMES,
    LIVING_JUNIOR,
    LIVING_PRIMARY,
    PROVINCE,
    SCHOOL_BY_CODE,
    SCHOOLS,
    SEMESTER,
    Rec,
    World,
)

FIXED_TIME = dt.datetime(2020, 9, 20, 8, 0, 0)
FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


# ----------------------------------------------------------------------------------------------
# Generic tables and writers
# ----------------------------------------------------------------------------------------------
@dataclass
class Sheet:
    name: str
    headers: list
    rows: list = field(default_factory=list)      # (cells, rec-or-None)
    titles: list = field(default_factory=list)
    groups: list | None = None                    # top header line: (text, span); a group of span 1
    text_cols: set = field(default_factory=set)   #   whose text equals the header is merged down
    notes: bool = False                           # a 说明 sheet: rows are single text lines
    widths: dict = field(default_factory=dict)

    @property
    def first_data_row(self) -> int:
        return len(self.titles) + (2 if self.groups else 1) + 1


def number_rows(sheet: Sheet, file: str, sheet_name: str) -> None:
    first = sheet.first_data_row
    for i, (_, rec) in enumerate(sheet.rows):
        if rec is not None:
            rec.file, rec.sheet, rec.row = file, sheet_name, first + i


def _header_lines(sheet: Sheet) -> list[list]:
    if not sheet.groups:
        return [list(sheet.headers)]
    top, bottom, col = [], [], 0
    for text, span in sheet.groups:
        if span == 1 and text == sheet.headers[col]:
            top.append(text)
            bottom.append(None)
        else:
            top.extend([text] + [None] * (span - 1))
            bottom.extend(sheet.headers[col:col + span])
        col += span
    return [top, bottom]


def _merges(sheet: Sheet) -> list[tuple[int, int, int, int, str]]:
    """(first_row, first_col, last_row, last_col, text), 0-based, for titles and group headers."""
    out = []
    n = len(sheet.headers)
    for i, t in enumerate(sheet.titles):
        out.append((i, 0, i, n - 1, t))
    if sheet.groups:
        r = len(sheet.titles)
        col = 0
        for text, span in sheet.groups:
            if span == 1 and text == sheet.headers[col]:
                out.append((r, col, r + 1, col, text))
            elif span > 1:
                out.append((r, col, r, col + span - 1, text))
            col += span
    return out


def write_xlsxwriter(path: Path, sheets: list[Sheet], constant_memory: bool = False) -> None:
    import xlsxwriter
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory, "strings_to_formulas": False,
                                         "strings_to_numbers": False, "strings_to_urls": False})
    wb.set_properties({"created": FIXED_TIME, "author": "清源县学生资助管理中心", "title": path.stem})
    bold = wb.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1})
    title_fmt = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    text_fmt = wb.add_format({"num_format": "@"})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for sh in sheets:
        ws = wb.add_worksheet(sh.name)
        if sh.notes:
            for i, (cells, _) in enumerate(sh.rows):
                ws.write_string(i, 0, cells[0])
            ws.set_column(0, 0, 90)
            continue
        for c in range(len(sh.headers)):
            width = sh.widths.get(c, 14)
            ws.set_column(c, c, width, text_fmt if c in sh.text_cols else None)
        merges = _merges(sh)
        r = 0
        for i, t in enumerate(sh.titles):
            if constant_memory:
                ws.write_string(i, 0, t, title_fmt)
            else:
                ws.merge_range(i, 0, i, len(sh.headers) - 1, t, title_fmt)
            r += 1
        lines = _header_lines(sh)
        if sh.groups and not constant_memory:
            for (r0, c0, r1, c1, text) in merges[len(sh.titles):]:
                if (r0, c0) == (r1, c1):
                    ws.write_string(r0, c0, text, bold)
                else:
                    ws.merge_range(r0, c0, r1, c1, text, bold)
            for c, text in enumerate(lines[1]):
                if text is not None:
                    ws.write_string(r + 1, c, text, bold)
            r += 2
        else:
            for line in lines:
                for c, text in enumerate(line):
                    if text is not None:
                        ws.write_string(r, c, text, bold)
                r += 1
        for cells, _ in sh.rows:
            for c, v in enumerate(cells):
                if v is None or v == "":
                    continue
                if isinstance(v, str):
                    ws.write_string(r, c, v, text_fmt if c in sh.text_cols else None)
                elif isinstance(v, dt.date):
                    ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), date_fmt)
                else:
                    ws.write_number(r, c, float(v))
            r += 1
        ws.freeze_panes(sh.first_data_row - 1, 0)
    wb.close()


def write_openpyxl(path: Path, sheets: list[Sheet]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    wb = Workbook()
    wb.remove(wb.active)
    for sh in sheets:
        ws = wb.create_sheet(sh.name)
        if sh.notes:
            for i, (cells, _) in enumerate(sh.rows):
                ws.cell(row=i + 1, column=1, value=cells[0]).data_type = "s"
            ws.column_dimensions["A"].width = 90
            continue
        r = 1
        for t in sh.titles:
            ws.cell(row=r, column=1, value=t).font = Font(bold=True, size=14)
            r += 1
        for line in _header_lines(sh):
            for c, text in enumerate(line):
                if text is not None:
                    cell = ws.cell(row=r, column=c + 1, value=text)
                    cell.font = Font(bold=True)
                    cell.alignment = Alignment(horizontal="center", vertical="center")
            r += 1
        for (r0, c0, r1, c1, _) in _merges(sh):
            if (r0, c0) != (r1, c1):
                ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
        for cells, _ in sh.rows:
            for c, v in enumerate(cells):
                if v is None or v == "":
                    continue
                cell = ws.cell(row=r, column=c + 1)
                if isinstance(v, str):
                    cell.value = v
                    cell.data_type = "s"                  # never a formula
                    if c in sh.text_cols:
                        cell.number_format = "@"
                elif isinstance(v, dt.date):
                    cell.value = v
                    cell.number_format = "yyyy-mm-dd"
                else:
                    cell.value = float(v)
            r += 1
        for c in range(len(sh.headers)):
            from openpyxl.utils import get_column_letter
            ws.column_dimensions[get_column_letter(c + 1)].width = sh.widths.get(c, 14)
        ws.freeze_panes = ws.cell(row=sh.first_data_row, column=1)
    wb.properties.creator = "清源县学生资助管理中心"
    wb.properties.created = FIXED_TIME
    wb.save(str(path))
    _fix_zip(path)


def _fix_zip(path: Path) -> None:
    """Make an openpyxl workbook byte-identical across runs: fixed entry times and core dates."""
    with zipfile.ZipFile(path) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2020-09-20T08:00:00Z", data)
                data = re.sub(rb"(<dcterms:created[^>]*>)[^<]*", rb"\g<1>2020-09-20T08:00:00Z", data)
            info = zipfile.ZipInfo(name, date_time=(2020, 9, 20, 8, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    path.write_bytes(buf.getvalue())


def write_xls(path: Path, sheets: list[Sheet]) -> None:
    import xlwt
    wb = xlwt.Workbook(encoding="utf-8")
    bold = xlwt.easyxf("font: bold on; align: horiz center, vert center")
    text = xlwt.easyxf(num_format_str="@")
    for sh in sheets:
        ws = wb.add_sheet(sh.name, cell_overwrite_ok=True)
        if sh.notes:
            for i, (cells, _) in enumerate(sh.rows):
                ws.write(i, 0, cells[0])
            continue
        r = 0
        for t in sh.titles:
            ws.write_merge(r, r, 0, len(sh.headers) - 1, t, bold)
            r += 1
        for line in _header_lines(sh):
            for c, t in enumerate(line):
                if t is not None:
                    ws.write(r, c, t, bold)
            r += 1
        for cells, _ in sh.rows:
            for c, v in enumerate(cells):
                if v is None or v == "":
                    continue
                if isinstance(v, str):
                    ws.write(r, c, v, text if c in sh.text_cols else xlwt.Style.default_style)
                else:
                    ws.write(r, c, float(v))
            r += 1
        for c in range(len(sh.headers)):
            ws.col(c).width = 256 * sh.widths.get(c, 14)
    wb.save(str(path))


def write_html(path: Path, sheet: Sheet, title: str) -> None:
    n = len(sheet.headers)
    out = ['<html xmlns:x="urn:schemas-microsoft-com:office:excel">',
           '<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
           f"<title>{html.escape(title)}</title>",
           "<style>td{mso-number-format:'\\@';}</style></head><body>",
           '<table border="1" cellspacing="0">']
    for t in sheet.titles:
        out.append(f'<tr><td colspan="{n}" align="center"><b>{html.escape(t)}</b></td></tr>')
    out.append("<tr>" + "".join(f"<td><b>{html.escape(h)}</b></td>" for h in sheet.headers) + "</tr>")
    for cells, _ in sheet.rows:
        tds = []
        for v in cells:
            s = "" if v is None else str(v)
            tds.append(f"<td>{html.escape(s)}</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</table></body></html>")
    path.write_bytes(("\r\n".join(out) + "\r\n").encode("utf-8"))


def write_csv(path: Path, sheet: Sheet, encoding: str) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for t in sheet.titles:
        w.writerow([t])
    w.writerow(sheet.headers)
    for cells, _ in sheet.rows:
        w.writerow(["" if v is None else str(v) for v in cells])
    path.write_bytes(buf.getvalue().encode(encoding))


def write_file(path: Path, fmt: str, sheets: list[Sheet], title: str = "") -> None:
    data_sheets = [s for s in sheets if not s.notes]
    if fmt in ("csv_gb18030", "csv_utf8bom", "html"):
        sheet_name = "" if fmt.startswith("csv") else "表1"
    for sh in data_sheets:
        number_rows(sh, path.name, sheet_name if fmt in ("csv_gb18030", "csv_utf8bom", "html") else sh.name)
    if fmt == "xlsxwriter":
        write_xlsxwriter(path, sheets)
    elif fmt == "openpyxl":
        write_openpyxl(path, sheets)
    elif fmt == "xls":
        write_xls(path, sheets)
    elif fmt == "html":
        write_html(path, data_sheets[0], title)
    elif fmt == "csv_gb18030":
        write_csv(path, data_sheets[0], "gb18030")
    elif fmt == "csv_utf8bom":
        write_csv(path, data_sheets[0], "utf-8-sig")
    else:
        raise ValueError(fmt)


# ----------------------------------------------------------------------------------------------
# Cell renderers (formatting mess that is NOT a mismatch)
# ----------------------------------------------------------------------------------------------
def style_id(pid: str, style: str) -> str:
    if style == "apostrophe":
        return "'" + pid
    if style == "eq":
        return f'="{pid}"'
    if style == "fullwidth":
        return pid.translate(FULLWIDTH)
    if style == "lowerx":
        return pid.lower()
    if style == "spaces":
        return f"{pid[:6]} {pid[6:14]} {pid[14:]}"
    if style == "trailing":
        return pid + " "
    return pid


def style_name(name: str, style: str) -> str:
    if "·" in name:
        sep = {"bullet": "•", "katakana": "・", "dot": ".", "none": ""}.get(style)
        if sep is not None:
            return name.replace("·", sep)
        return name
    if style == "trad":
        return nm.to_traditional(name)
    if style == "space":
        sur, given = nm.split_surname(name)
        return f"{sur} {given}"
    if style == "fullspace":
        sur, given = nm.split_surname(name)
        return f"{sur}\u3000{given}"
    return name


class Renderer:
    """Per-file rendering choices, applied to records; stores what was written into the Rec."""

    def __init__(self, w: World, id_styles=(), name_styles=(), minority: str = "",
                 xueji_rate: float = 1.0, xueji_wrap: str = ""):
        self.w = w
        self.id_styles = id_styles          # ((style, probability), ...)
        self.name_styles = name_styles
        self.minority = minority
        self.xueji_rate = xueji_rate
        self.xueji_wrap = xueji_wrap

    def _choose(self, styles) -> str:
        r = self.w.rng.random()
        acc = 0.0
        for style, prob in styles:
            acc += prob
            if r < acc:
                return style
        return "plain"

    def id(self, rec: Rec):
        if rec.id_set:
            v = rec.id_raw
            if isinstance(v, str) and v and not rec.no_style:
                v = style_id(v, self._choose(self.id_styles))
        else:
            v = style_id(rec.person.pid, self._choose(self.id_styles))
        rec.raw_id = v
        return v

    def name(self, rec: Rec) -> str:
        if rec.name_raw is not None:
            v = rec.name_raw
        else:
            v = rec.person.name
            if "·" in v and self.minority:
                v = style_name(v, self.minority)
            else:
                v = style_name(v, self._choose(self.name_styles))
        rec.raw_name = v
        return v

    def xueji(self, rec: Rec) -> str:
        if rec.xueji_raw is not None:
            v = rec.xueji_raw
        else:
            v = rec.person.xueji
            if v.startswith("G") and self.w.rng.random() > self.xueji_rate:
                v = ""
        rec.raw_xueji = v
        if v and self.xueji_wrap == "eq":
            return f'="{v}"'
        return v


def grade_text(stage: str, grade: int, style: str = "cn") -> str:
    if stage == "K":
        return "小班中班大班"[(grade - 1) * 2:(grade - 1) * 2 + 2]
    if stage == "P":
        return f"{grade}年级" if style == "digit" else f"{CN_NUM[grade]}年级"
    if stage == "J":
        if style == "chu":
            return f"初{CN_NUM[grade - 6]}"
        return f"{grade}年级" if style == "digit" else f"{CN_NUM[grade]}年级"
    if stage == "H":
        return f"高中{CN_NUM[grade]}年级" if style == "long" else f"高{CN_NUM[grade]}"
    if stage == "V":
        return f"中职{CN_NUM[grade]}年级" if style == "long" else f"{CN_NUM[grade]}年级"
    return ""


def class_text(rec: Rec, style: str = "paren") -> str:
    g = grade_text(rec.stage, rec.grade)
    if rec.stage == "K":
        return f"{g[0]}({rec.cls})班"
    if style == "short":
        return f"{rec.cls}班"
    return f"{g.replace('年级', '')}({rec.cls})班"


def boarding_text(b: bool | None, style: str = "word") -> str:
    if b is None:
        return ""
    if style == "code":
        return "2" if b else "1"
    return "住校" if b else "走读"


STATUS_CODES = {"在读": "01", "休学": "02", "退学": "03", "复学": "05", "毕业": "07", "转出": "10", "死亡": "11"}


def status_text(s: str, style: str = "word") -> str:
    if style == "code":
        return STATUS_CODES[s]
    return s


def money(yuan: Decimal, style: str) -> object:
    """How a synthetic export writes an amount. ``number`` imitates a system that stores amounts
    as spreadsheet number cells (a double in the file): the one place the generator hands money
    to a float, because that is what the real exports contain; fupin reads it back to Decimal."""
    if style == "number":
        return float(yuan)
    if style == "comma":
        return f"{yuan:,.2f}"
    return f"{yuan:.2f}"


# ----------------------------------------------------------------------------------------------
# Files of the small sample
# ----------------------------------------------------------------------------------------------
ROSTER_SPECS = {
    "K1": {"file": "清源县城关幼儿园_幼儿名册.xlsx", "fmt": "openpyxl", "sheet": "幼儿名册",
               "titles": ["清源县城关幼儿园2020年秋季学期在园幼儿名册"],
               "cols": [("序号", "seq"), ("幼儿姓名", "name"), ("性别", "sex"), ("出生日期", "birth_dash"),
                     ("身份证号", "id"), ("年级", "grade"), ("班级", "class"), ("学籍状态", "status")],
               "ids": (("trailing", 0.05),)},
    "K2": {"file": "溪口镇中心幼儿园_在园幼儿名单.csv", "fmt": "csv_utf8bom",
               "cols": [("序号", "seq"), ("学校名称", "school"), ("姓名", "name"), ("性别", "sex"),
                     ("出生年月", "birth_ym"), ("证件号码", "id"), ("年级", "grade"), ("班级", "class"),
                     ("学生当前状态", "status")],
               "ids": (("lowerx", 1.0),)},
    "P1": {"file": "清源县城关第一小学_学生名册.xlsx", "fmt": "xlsxwriter", "sheet": "学生名册", "notes_first": True,
               "titles": ["清源县城关第一小学2020年秋季学期学生名册", "填报单位：清源县城关第一小学（盖章）        填报日期：2020年9月18日"],
               "cols": [("学校名称", "school"), ("姓名", "name"), ("性别", "sex"), ("出生日期", "birth_date"),
                     ("身份证件类型", "idtype"), ("身份证件号", "id"), ("全国学籍号", "xueji"), ("年级", "grade"),
                     ("班级", "class"), ("就读方式", "boarding"), ("学籍状态", "status")],
               "total": True, "minority": "bullet", "names": (("space", 0.04),)},
    "P2": {"file": "溪口镇中心小学_学籍名册.xls", "fmt": "xls", "sheet": "Sheet1",
               "titles": ["溪口镇中心小学在校学生名单（2020-2021学年第一学期）"],
               "cols": [("学校名称", "school"), ("学生姓名", "name"), ("性别", "sex"), ("公民身份号码", "id"),
                     ("全国学籍号", "xueji"), ("年级", "grade_digit"), ("班级", "class_short"),
                     ("就读方式", "boarding_code"), ("学籍状态", "status_code")]},
    "P3": {"file": "石门乡桃花完小_学生花名册.xlsx", "fmt": "xlsxwriter", "sheet": "花名册",
               "titles": ["桃花完小学生花名册"],
               "cols": [("学校", "school"), ("姓名", "name"), ("性别", "sex"), ("身份证号", "id"),
                     ("年级", "grade"), ("班级", "class_short"), ("就读方式", "boarding"), ("学籍状态", "status")],
               "numeric_ids": True},
    "J1": {"file": "清源县第二初级中学_学生名册.csv", "fmt": "csv_gb18030",
               "cols": [("学校名称", "school"), ("姓名", "name"), ("性别", "sex"), ("出生日期", "birth_compact"),
                     ("身份证号", "id"), ("学籍号", "xueji"), ("年级", "grade"), ("班级", "class"),
                     ("就读方式", "boarding"), ("学籍状态", "status")],
               "ids": (("eq", 1.0),), "xueji_wrap": "eq", "minority": "dot"},
    "J2": {"file": "龙潭镇初级中学_学生名册.xls", "fmt": "html",
               "titles": ["龙潭镇初级中学学生名册"],
               "cols": [("学校名称", "school"), ("学生姓名", "name"), ("性别", "sex"), ("学生身份证号", "id"),
                     ("全国学籍号", "xueji"), ("年级", "grade_chu"), ("班级", "class_short"),
                     ("就读方式", "boarding"), ("学生当前状态", "status")],
               "names": (("fullspace", 0.03),)},
    "N1": {"file": "桃源九年一贯制学校_学生名册.xlsx", "fmt": "openpyxl", "sheet": "学生信息",
               "titles": ["清源县桃源九年一贯制学校学生名册（2020年秋季）"],
               "groups": [("序号", 1), ("基本信息", 4), ("学籍信息", 6)],
               "cols": [("序号", "seq"), ("姓名", "name"), ("性别", "sex"), ("出生日期", "birth_dash"),
                     ("身份证号", "id"), ("学校名称", "school"), ("全国学籍号", "xueji"), ("年级", "grade"),
                     ("班级", "class"), ("就读方式", "boarding"), ("学籍状态", "status")],
               "names": (("trad", 0.3),), "ids": (("fullwidth", 0.12),), "minority": "katakana"},
    "H1": {"file": "清源县第一中学_学生名册.xlsx", "fmt": "xlsxwriter", "sheet": "在校生",
               "cols": [("学校名称", "school"), ("姓名", "name"), ("性别", "sex"), ("身份证号", "id"),
                     ("全国学籍号", "xueji"), ("年级", "grade"), ("班级", "class"), ("就读方式", "boarding"),
                     ("学籍状态", "status")],
               "ids": (("apostrophe", 0.6), ("lowerx", 0.4))},
    "H2": {"file": "清源县第二中学_学生名册.xls", "fmt": "xls", "sheet": "学生名册",
               "titles": ["清源县第二中学学生花名册"],
               "cols": [("学校", "school"), ("学生姓名", "name"), ("性别", "sex"), ("身份证号码", "id"),
                     ("学籍号", "xueji"), ("年级", "grade_long"), ("班级", "class"), ("就读方式", "boarding"),
                     ("学籍状态", "status")],
               "ids": (("spaces", 0.3),), "names": (("space", 0.2),), "blanks": True},
    "H3": {"file": "清源县育英高级中学_学生名册.csv", "fmt": "csv_gb18030",
               "titles": ["清源县育英高级中学", "学生名册", "（2020年秋季学期）"],
               "cols": [("序号", "seq"), ("学校名称", "school"), ("姓名", "name"), ("性别", "sex"),
                     ("身份证件号", "id"), ("全国学籍号", "xueji"), ("年级", "grade"), ("班级", "class"),
                     ("就读方式", "boarding"), ("学生当前状态", "status")]},
    "H4": {"file": "清源县石门中学_学生名册.xlsx", "fmt": "openpyxl", "sheet": "Sheet1",
               "cols": [("学校名称", "school"), ("姓名", "name"), ("性别", "sex"), ("身份证号", "id"),
                     ("全国学籍号", "xueji"), ("年级", "grade"), ("班级", "class"), ("就读方式", "boarding"),
                     ("学籍状态", "status")]},
    "V1": {"file": "清源县职业技术学校_学生名册.xlsx", "fmt": "xlsxwriter", "sheet": "学生名册",
               "titles": ["清源县职业技术学校2020级、2019级、2018级学生名册"],
               "cols": [("学校名称", "school"), ("专业", "major"), ("姓名", "name"), ("性别", "sex"),
                     ("身份证号", "id"), ("全国学籍号", "xueji"), ("年级", "grade_long"), ("班级", "class_short"),
                     ("就读方式", "boarding"), ("学籍状态", "status")]},
}
MAJORS = ("计算机应用", "电子商务", "汽车运用与维修", "旅游服务与管理", "学前教育", "茶叶生产与加工")


def roster_cell(key: str, rec: Rec, rend: Renderer, seq: int, numeric_ids: bool = False):
    p = rec.person
    if key == "seq":
        return str(seq)
    if key == "school":
        return rec.school.name
    if key == "name":
        return rend.name(rec)
    if key == "sex":
        return p.sex
    if key.startswith("birth"):
        rec.raw_birth = f"{p.birth:%Y%m%d}"
    if key == "birth_dash":
        return f"{p.birth:%Y-%m-%d}"
    if key == "birth_compact":
        return f"{p.birth:%Y%m%d}"
    if key == "birth_ym":
        return f"{p.birth:%Y.%m}"
    if key == "birth_date":
        return p.birth
    if key == "idtype":
        return "居民身份证" if rec.raw_id not in ("", None) else ""
    if key == "id":
        return rend.id(rec)
    if key == "xueji":
        return rend.xueji(rec)
    if key == "grade":
        return grade_text(rec.stage, rec.grade)
    if key == "grade_digit":
        return grade_text(rec.stage, rec.grade, "digit")
    if key == "grade_chu":
        return grade_text(rec.stage, rec.grade, "chu")
    if key == "grade_long":
        return grade_text(rec.stage, rec.grade, "long")
    if key == "class":
        return class_text(rec)
    if key == "class_short":
        return class_text(rec, "short")
    if key == "boarding":
        return boarding_text(rec.boarding)
    if key == "boarding_code":
        return boarding_text(rec.boarding, "code")
    if key == "status":
        return status_text(rec.status)
    if key == "status_code":
        return status_text(rec.status, "code")
    if key == "major":
        return MAJORS[int(p.pid[-4:-1]) % len(MAJORS)]
    raise KeyError(key)


def _order(w: World, recs: list[Rec]) -> list[Rec]:
    keyed = [(r, w.rng.random()) for r in recs]
    order = {"K": 0, "P": 1, "J": 2, "H": 3, "V": 4}
    keyed.sort(key=lambda t: (order.get(t[0].stage, 9), t[0].grade or 0, t[0].cls, t[1]))
    return [r for r, _ in keyed]


def build_roster_sheets(w: World, code: str, recs: list[Rec]) -> tuple[dict, list[Sheet]]:
    spec = ROSTER_SPECS[code]
    rend = Renderer(w, spec.get("ids", ()), spec.get("names", ()), spec.get("minority", ""),
                    xueji_wrap=spec.get("xueji_wrap", ""))
    headers = [h for h, _ in spec["cols"]]
    keys = [k for _, k in spec["cols"]]
    sh = Sheet(spec.get("sheet", "Sheet1"), headers, titles=list(spec.get("titles", ())),
               groups=spec.get("groups"))
    sh.text_cols = {i for i, k in enumerate(keys) if k in ("id", "xueji")}
    sh.widths = {i: 22 for i, k in enumerate(keys) if k in ("id", "xueji", "school")}
    rows = []
    for i, rec in enumerate(_order(w, recs)):
        if spec.get("blanks") and i in (15, 60):
            rows.append(([None] * len(keys), None))
        rows.append((None, rec))
        idx = len(rows) - 1
        cells = []
        for k in keys:
            cells.append(roster_cell(k, rec, rend, i + 1))
        # the 身份证件类型 column depends on the ID cell: recompute after rendering
        if "idtype" in keys:
            cells[keys.index("idtype")] = "居民身份证" if rec.raw_id not in ("", None) else ""
        rows[idx] = (cells, rec)
    if spec.get("total"):
        total = [None] * len(keys)
        total[0] = "合计"
        total[1] = f"共{len(recs)}人"
        rows.append((total, None))
    sh.rows = rows
    sheets = [sh]
    if spec.get("notes_first"):
        notes = Sheet("填表说明", ["说明"], notes=True, rows=[
            (["填表说明：",], None),
            (["1. 本表由学校学籍管理员根据全国中小学生学籍信息管理系统导出后整理。"], None),
            (["2. 身份证件号请以文本格式录入，不得使用科学计数法。"], None),
            (["3. 就读方式填写“住校”或“走读”；学籍状态以学籍系统为准。"], None)])
        sheets = [notes, sh]
    return spec, sheets


# ----------------------------------------------------------------------------------------------
NATIONAL_A = "全国学生资助管理信息系统_学前及义务教育_2020秋.xlsx"
NATIONAL_B = "全国学生资助管理信息系统_高中阶段_2020秋.xlsx"
PROVINCIAL = "安徽省建档立卡家庭学生资助管理系统_2020年秋季.xls"
REGISTRY_A = "国办系统_建档立卡贫困人口_城关溪口石门.xlsx"
REGISTRY_B = "防返贫监测系统_家庭成员信息_桃源龙潭.xls"
SCHOOLS_FILE = "schools.xlsx"
HOME_FILE = "home_education.xlsx"
ELSEWHERE_FILE = "elsewhere.xlsx"


def national_item_label(r: Rec, file: str) -> str:
    if r.item_label:
        return r.item_label
    if file == "A":
        if r.item == "PRESCHOOL":
            return "学前教育资助-家庭经济困难幼儿园补助"
        if r.school is not None and r.school.code == "N1":
            return "义务教育家庭经济困难学生生活补助"
        table = LIVING_PRIMARY if r.item == "LIVING_PRIMARY" else LIVING_JUNIOR
        if r.amount == table[True]:
            return "义务教育资助-农村义务教育阶段家庭经济困难寄宿生生活补助"
        return "义务教育家庭经济困难非寄宿生生活补助"
    return {"HS_GRANT": "普高教育资助-国家助学金", "HS_TUITION": "普高教育资助-免除学杂费",
            "VOC_GRANT": "中职教育资助-国家助学金"}[r.item]


def level_of(hardship: str, rng) -> str:
    if hardship == "建档立卡":
        return "特别困难"
    return rng.choice(["特别困难", "比较困难", "一般困难"])


def _payment_order(w: World, recs: list[Rec]) -> list[Rec]:
    idx = {s.code: i for i, s in enumerate(SCHOOLS)}
    keyed = [(r, w.rng.random()) for r in recs]
    keyed.sort(key=lambda t: (idx[t[0].school.code], t[0].grade or 0, t[0].cls, t[1]))
    return [r for r, _ in keyed]


def build_national(w: World, which: str, recs: list[Rec]) -> list[Sheet]:
    rng = w.rng
    if which == "A":
        headers = ["序号", "学校名称", "学段", "年级", "班级", "学生姓名", "身份证件号", "学籍号", "资助项目",
                   "家庭经济困难类型", "认定等级", "发放金额(元)", "学年", "学期", "发放日期"]
        rend = Renderer(w, (("spaces", 0.02),), (("space", 0.02),), xueji_rate=0.75)
    else:
        headers = ["学校名称", "学校类型", "年级", "班级", "姓名", "身份证号码", "全国学籍号", "资助项目名称",
                   "困难类型", "困难等级", "资助金额", "学年", "学期"]
        rend = Renderer(w, (("lowerx", 0.5),), (), xueji_rate=0.9)
    sh = Sheet("资助发放明细" if which == "A" else "Sheet1", headers,
               titles=["全国学生资助管理信息系统 资助发放明细表（学前教育、义务教育阶段）"] if which == "A" else [])
    sh.text_cols = {headers.index("身份证件号" if which == "A" else "身份证号码"),
                    headers.index("学籍号" if which == "A" else "全国学籍号")}
    sh.widths = {1: 26, 6: 22, 7: 22, 8: 40} if which == "A" else {0: 22, 5: 22, 6: 22, 7: 26}
    rows = []
    total = Decimal(0)
    for i, r in enumerate(_payment_order(w, recs)):
        autumn = r.semester == SEMESTER
        stage_word = {"K": "学前教育", "P": "小学", "J": "初中", "H": "普通高中", "V": "中等职业教育"}[r.stage]
        r.item_label = national_item_label(r, which)
        if r.stage == "K" and r.xueji_raw is None:
            r.xueji_raw = ""
        if which == "A":
            cells = [str(i + 1), r.school.name, stage_word, grade_text(r.stage, r.grade), class_text(r, "short"),
                     rend.name(r), rend.id(r), rend.xueji(r), r.item_label, r.hardship,
                     level_of(r.hardship, rng), money(r.amount, "number"),
                     "2020-2021学年" if autumn else "2019-2020学年", "秋季学期" if autumn else "春季学期",
                     "2020-12-15" if autumn else "2020-06-22"]
        else:
            cells = [r.school.name, "普通高中" if r.stage == "H" else "中等职业学校",
                     grade_text(r.stage, r.grade, "long" if r.stage == "V" else "cn"), class_text(r, "short"),
                     rend.name(r), rend.id(r), rend.xueji(r), r.item_label, r.hardship,
                     level_of(r.hardship, rng), money(r.amount, "comma" if rng.random() < 0.5 else "plain"),
                     "2020-2021" if autumn else "2019-2020", "第一学期" if autumn else "第二学期"]
        total += r.amount
        rows.append((cells, r))
        if which == "A" and i == 40:
            rows.append(([None] * len(headers), None))
    if which == "A":
        t = [None] * len(headers)
        t[0] = "合计"
        t[11] = float(total)
        rows.append((t, None))
    sh.rows = rows
    if which == "A":
        notes = Sheet("说明", ["说明"], notes=True, rows=[
            (["本表由全国学生资助管理信息系统导出，包含学前教育和义务教育阶段资助发放明细。"], None),
            (["导出条件：清源县；学年 2019-2020、2020-2021。"], None),
            (["金额单位：元。"], None)])
        return [sh, notes]
    return [sh]


def build_provincial(w: World, recs: list[Rec]) -> Sheet:
    rng = w.rng
    headers = ["序号", "市", "县(区)", "乡镇", "村", "户主姓名", "学生姓名", "身份证号", "学校名称", "学段",
               "年级", "资助项目", "资助金额", "学期"]
    rend = Renderer(w, (("spaces", 0.03),), ())
    sh = Sheet("表1", headers, titles=["安徽省建档立卡家庭学生资助明细（清源县 2020年）"])
    rows = []
    for i, r in enumerate(_payment_order(w, recs)):
        p = r.person
        head = p.hh.members[0].name if p.hh else (nm.pick_surname(rng) + nm.given_name(rng, "男", True))
        stage_word = {"K": "学前教育", "P": "小学", "J": "初中", "H": "普通高中", "V": "中职"}[r.stage]
        r.raw_village = p.village
        cells = [str(i + 1), CITY, COUNTY, p.township, p.village, head, rend.name(r), rend.id(r), r.school.name,
                 stage_word, grade_text(r.stage, r.grade), ITEM_NAMES[r.item], money(r.amount, "plain"),
                 "2020年秋季" if r.semester == SEMESTER else "2020年春季"]
        r.item_label = ITEM_NAMES[r.item]
        r.raw_xueji = ""
        rows.append((cells, r))
    sh.rows = rows
    return sh


def build_registry_sheets(w: World, group: str) -> Sheet:
    rng = w.rng
    persons = [p for p in w.persons if p.hh.group == group]
    if group == "A":
        headers = ["序号", "省", "市", "县", "乡(镇)", "行政村", "户编号", "人编号", "姓名", "性别", "证件类型",
                   "证件号码", "民族", "与户主关系", "文化程度", "在校生状况", "健康状况", "脱贫属性", "贫困户属性",
                   "户主姓名", "户联系电话", "年度"]
        sh = Sheet("贫困人口信息", headers,
                   titles=["全国扶贫开发信息系统 贫困人口基本信息表", "导出单位：清源县扶贫开发局    导出时间：2020-09-15"])
        sh.text_cols = {6, 7, 11, 20}
        sh.widths = {6: 20, 7: 22, 11: 24, 20: 14}
    else:
        headers = ["县(市、区)", "乡镇", "村", "户编号", "人口编号", "成员姓名", "性别", "出生日期", "身份证号码",
                   "与户主关系", "民族", "在校生状况", "文化程度", "户类型", "检测对象类别", "脱贫属性",
                   "风险是否已消除", "识别监测时间"]
        sh = Sheet("Sheet1", headers, titles=["防返贫监测信息系统 家庭成员信息"])
        sh.text_cols = {3, 4, 8}
        sh.widths = {3: 18, 4: 20, 8: 24}
    rows = []
    for i, p in enumerate(persons):
        hh = p.hh
        health = "残疾" if p.disability else ("长期慢性病" if rng.random() < 0.05 else "健康")
        if group == "A":
            cells = [str(i + 1), PROVINCE, CITY, COUNTY, hh.township, hh.village, hh.hno, p.pno, p.name, p.sex,
                     "残疾人证" if len(p.reg_id_raw) > 18 else "居民身份证", p.reg_id_raw, p.ethnicity, p.relation,
                     p.education, p.in_school, health, hh.status, hh.poor_kind, hh.members[0].name, hh.phone,
                     "2020"]
        else:
            cells = [COUNTY, hh.township, hh.village, hh.hno, p.pno, p.name, p.sex, f"{p.birth:%Y-%m-%d}",
                     p.reg_id_raw, p.relation, p.ethnicity, p.in_school, p.education, hh.htype, hh.monitor,
                     hh.status, "否" if hh.monitor else "", "202006" if hh.monitor else ""]
        rows.append((cells, None))
        p.reg_ref = (REGISTRY_A if group == "A" else REGISTRY_B, sh.name, sh.first_data_row + i)
    sh.rows = rows
    return sh


def build_schools_sheet() -> Sheet:
    sh = Sheet("学校名单", ["学校名称", "学校代码", "学段", "示范等级", "所在乡镇"])
    sh.widths = {0: 28}
    sh.rows = [([s.name, f"3134{1021}{i + 1:02d}", s.label, s.tier, s.township], None)
               for i, s in enumerate(SCHOOLS)]
    return sh


ELSEWHERE_SCHOOLS = ("杭州市临平区第三小学", "宁波市鄞州区东湖中学", "苏州市吴中区甪直实验小学", "合肥市蜀山区西园中学",
                     "上海市嘉定区南翔小学", "温州市瓯海区郭溪一中")


def build_home_sheet(w: World) -> Sheet:
    headers = ["序号", "乡镇", "村", "学生姓名", "性别", "身份证号", "残疾类别", "送教学校", "年级", "送教教师"]
    sh = Sheet("送教上门", headers, titles=["清源县2020年秋季学期送教上门学生名单"])
    sh.text_cols = {5}
    sh.widths = {5: 24, 7: 26}
    rend = Renderer(w)
    rows = []
    for i, r in enumerate(w.home):
        p = r.person
        cells = [str(i + 1), p.township, p.village, rend.name(r), p.sex, rend.id(r), p.disability or "智力",
                 r.school.name, grade_text(r.stage, r.grade), nm.pick_surname(w.rng) + "老师"]
        r.raw_xueji = ""
        rows.append((cells, r))
    sh.rows = rows
    return sh


def build_elsewhere_sheet(w: World) -> Sheet:
    headers = ["序号", "姓名", "性别", "身份证号码", "户籍乡镇", "户籍村", "就读学校", "就读学校所在地", "年级", "证明材料"]
    sh = Sheet("外地就读", headers, titles=["清源县外地就读学生证明材料登记表（2020年秋季）"])
    sh.text_cols = {3}
    sh.widths = {3: 24, 6: 26}
    rend = Renderer(w, (("apostrophe", 0.3),))
    rows = []
    for i, r in enumerate(w.elsewhere):
        p = r.person
        school = ELSEWHERE_SCHOOLS[i % len(ELSEWHERE_SCHOOLS)]
        cells = [str(i + 1), rend.name(r), p.sex, rend.id(r), p.township, p.village, school,
                 school[:3], grade_text(r.stage, r.grade), "学籍证明" if i % 2 else "在校证明"]
        r.raw_xueji = ""
        rows.append((cells, r))
    sh.rows = rows
    return sh


def build_previous_sheet(w: World, code: str, recs: list[Rec]) -> Sheet:
    headers = ["学校名称", "姓名", "性别", "身份证号", "全国学籍号", "年级", "班级", "就读方式", "学籍状态"]
    sh = Sheet("Sheet1", headers, titles=[f"{SCHOOL_BY_CODE[code].name}2020年春季学期学生名册"])
    sh.text_cols = {3, 4}
    sh.widths = {0: 26, 3: 22, 4: 22}
    rend = Renderer(w, xueji_rate=1.0)
    rows = []
    for r in _order(w, recs):
        r.xueji_raw = ("G" + r.person.pid) if r.stage != "K" else ""
        cells = [r.school.name, rend.name(r), r.person.sex, rend.id(r), rend.xueji(r), grade_text(r.stage, r.grade),
                 class_text(r), boarding_text(r.boarding), r.status]
        rows.append((cells, r))
    sh.rows = rows
    return sh


def previous_file_name(code: str) -> str:
    return ROSTER_SPECS[code]["file"].split("_")[0] + "_2020春_学生名册.xlsx"


README = """清源县教育扶贫学生资助对账样例数据（合成数据，人员、学校、村名均为虚构）
================================================================

本文件夹模拟一个县学生资助中心在 2020 年秋季学期末收集到的各系统导出文件，
供 fupin 工具演示和测试使用。文件中的身份证号校验位正确，但对应的人均不存在。

registry/            扶贫部门建档立卡人口库导出（国办系统一个乡镇组、防返贫监测系统一个乡镇组，表头不同）
national/            全国学生资助管理信息系统导出的资助发放明细（学前及义务教育、高中阶段各一份，含少量 2020 年春季学期的行）
provincial/          省建档立卡家庭学生资助管理系统导出（网页表格另存为 .xls）
rosters/             各学校 2020 年秋季学期学生名册（每校一个文件，格式各不相同）
previous_rosters/    各学校 2020 年春季学期学生名册（控辍保学比对用）
schools.xlsx         学校名单（学段、示范等级）
home_education.xlsx  送教上门学生名单
elsewhere.xlsx       外地就读证明名单

这些文件故意带有真实导出中常见的问题：表头上方的标题行、两行合并表头、不同的列名写法、
学籍状态代码、合计行、空行、说明工作表、以数字格式保存而丢失后三位的身份证号、
="…" 包裹、前导单引号、全角数字、小写 x、号码和姓名中的空格、繁体字姓名、生僻字、
15 位旧身份证号、残疾人证号、同名同姓、双胞胎、错号和同音字等。

常用命令见 scenario.json 所在的 tests/data/sample_truth/ 目录，或：
  fupin reconcile --registry registry --national national --provincial provincial --roster rosters --schools schools.xlsx --semester 2020秋 -o 输出/对账
  fupin dropout-check --registry registry --roster rosters --previous-roster previous_rosters --home-education home_education.xlsx --elsewhere elsewhere.xlsx --school-year 2020 -o 输出/控辍保学
  fupin payout --registry registry --roster rosters --schools schools.xlsx --semester 2021春 -o 输出/发放花名册
"""


def write_all(w: World, out: Path) -> list[Path]:
    """Write every file of the small sample; returns the paths written."""
    written = []
    for sub in ("registry", "national", "provincial", "rosters", "previous_rosters"):
        (out / sub).mkdir(parents=True, exist_ok=True)
        for old in (out / sub).iterdir():        # stale files of an earlier run (only spreadsheets)
            if old.is_file() and old.suffix.lower() in (".xlsx", ".xls", ".csv"):
                old.unlink()

    def emit(path: Path, fmt: str, sheets: list[Sheet], title: str = "") -> None:
        write_file(path, fmt, sheets, title)
        written.append(path)

    # registry
    emit(out / "registry" / REGISTRY_A, "xlsxwriter", [build_registry_sheets(w, "A")])
    emit(out / "registry" / REGISTRY_B, "xls", [build_registry_sheets(w, "B")])
    # rosters
    by_school: dict[str, list[Rec]] = {}
    for r in w.roster:
        by_school.setdefault(r.school.code, []).append(r)
    for s in SCHOOLS:
        spec, sheets = build_roster_sheets(w, s.code, by_school.get(s.code, []))
        emit(out / "rosters" / spec["file"], spec["fmt"], sheets, title=s.name)
    prev_by: dict[str, list[Rec]] = {}
    for r in w.previous:
        prev_by.setdefault(r.school.code, []).append(r)
    for s in SCHOOLS:
        if prev_by.get(s.code):
            emit(out / "previous_rosters" / previous_file_name(s.code), "xlsxwriter",
                 [build_previous_sheet(w, s.code, prev_by[s.code])])
    # ledgers
    nat_a = [r for r in w.payments if r.kind == "national" and r.stage in ("K", "P", "J")]
    nat_b = [r for r in w.payments if r.kind == "national" and r.stage in ("H", "V")]
    prov = [r for r in w.payments if r.kind == "provincial"]
    emit(out / "national" / NATIONAL_A, "openpyxl", build_national(w, "A", nat_a))
    emit(out / "national" / NATIONAL_B, "xlsxwriter", build_national(w, "B", nat_b))
    emit(out / "provincial" / PROVINCIAL, "html", [build_provincial(w, prov)],
         title="安徽省建档立卡家庭学生资助管理系统")
    # side lists
    emit(out / SCHOOLS_FILE, "openpyxl", [build_schools_sheet()])
    emit(out / HOME_FILE, "xlsxwriter", [build_home_sheet(w)])
    emit(out / ELSEWHERE_FILE, "openpyxl", [build_elsewhere_sheet(w)])
    (out / "README.txt").write_bytes(README.replace("\n", "\r\n").encode("utf-8-sig"))
    written.append(out / "README.txt")
    return written
