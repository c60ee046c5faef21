"""Workbook writer: written into tmp_path, read back with openpyxl (and the raw XML where the
question is what Excel will see)."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest

from jiaoyu_fupin.errors import FupinError
from jiaoyu_fupin.report.mask import mask_id, mask_ids
from jiaoyu_fupin.report.xlsx import (
    COUNT,
    MAX_CELL_CHARS,
    SUM,
    TRUNCATION_MARK,
    Column,
    PrintSetup,
    Section,
    WorkbookWriter,
    display_width,
    money_number,
    sanitize_filename,
    sanitize_sheet_name,
)

ID = "341021200501011234"
INJECTIONS = ["=1+1", "+1+1", "-1+1", "@SUM(A1:A2)", "\t=1+1", "\r\n=HYPERLINK(\"x\")", " =1"]


def _write(path, columns, rows, **kw):
    writer_kw = {k: kw.pop(k) for k in ("mask_ids", "max_rows", "fast") if k in kw}
    with WorkbookWriter(path, **writer_kw) as wb:
        result = wb.add_table("数据", columns, rows, **kw)
    return result


def _sheet_xml(path, index=1) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(f"xl/worksheets/sheet{index}.xml").decode("utf-8")


# -- IDs, text, formulas -------------------------------------------------------------------------


@pytest.mark.parametrize("fast", [True, False])
def test_ids_are_text_with_text_format(tmp_path, fast):
    p = tmp_path / "a.xlsx"
    _write(p, [Column("身份证号", "id"), Column("学籍号", "id")],
           [(ID, "G" + ID), (341021200501011234, None), ("00123", "L123")], fast=fast)
    ws = openpyxl.load_workbook(p)["数据"]
    assert [ws.cell(r, 1).value for r in (2, 3, 4)] == [ID, ID, "00123"]
    for r in (2, 3, 4):
        cell = ws.cell(r, 1)
        assert cell.data_type == "s"
        assert cell.number_format == "@"
    assert ws.cell(2, 2).value == "G" + ID
    assert ws.cell(3, 2).value is None
    assert "E+" not in _sheet_xml(p)


@pytest.mark.parametrize("fast", [True, False])
def test_formula_like_text_is_written_as_text(tmp_path, fast):
    p = tmp_path / "a.xlsx"
    rows = [(v, v) for v in INJECTIONS]
    _write(p, [Column("姓名"), Column("证件号", "id")], rows, fast=fast)
    ws = openpyxl.load_workbook(p)["数据"]
    for i, v in enumerate(INJECTIONS, start=2):
        for c in (1, 2):
            cell = ws.cell(i, c)
            assert cell.data_type == "s", (v, cell.data_type)
            assert cell.value == v.replace("\r\n", "\n")
            assert cell.quotePrefix, v      # stays text even when the officer edits the cell
    assert "<f>" not in _sheet_xml(p)


def test_ordinary_text_has_no_quote_prefix(tmp_path):
    p = tmp_path / "a.xlsx"
    _write(p, [Column("姓名")], [("张三",), ("a-b",)])
    ws = openpyxl.load_workbook(p)["数据"]
    assert ws["A2"].value == "张三" and not ws["A2"].quotePrefix
    assert ws["A3"].value == "a-b" and not ws["A3"].quotePrefix


@pytest.mark.parametrize("fast", [True, False])
def test_control_characters_stripped_and_xml_escaped(tmp_path, fast):
    p = tmp_path / "a.xlsx"
    _write(p, [Column("备注")], [("a\x00b\x07c\x1fd",), ("<x> & y",), ("  两端空格  ",),
                                 ("tab\tand\nnewline",), ("_x0041_",)], fast=fast)
    ws = openpyxl.load_workbook(p)["数据"]
    assert ws["A2"].value == "abcd"
    assert ws["A3"].value == "<x> & y"
    assert ws["A4"].value == "  两端空格  "
    assert ws["A5"].value == "tab\tand\nnewline"
    # a literal "_x0041_" must be escaped or Excel would show "A"
    assert "_x005F_x0041_" in _sheet_xml(p)


def test_long_text_truncated_with_marker(tmp_path):
    p = tmp_path / "a.xlsx"
    _write(p, [Column("备注")], [("长" * 40_000,), ("😀" * 20_000,)])
    ws = openpyxl.load_workbook(p)["数据"]
    v = ws["A2"].value
    assert len(v) <= MAX_CELL_CHARS and v.endswith(TRUNCATION_MARK) and v.startswith("长长")
    v2 = ws["A3"].value        # astral characters count two UTF-16 units each
    assert len(v2.encode("utf-16-le")) // 2 <= MAX_CELL_CHARS and v2.endswith(TRUNCATION_MARK)


# -- numbers, money, dates, totals ---------------------------------------------------------------


@pytest.mark.parametrize("fast", [True, False])
def test_money_int_date_number_cells(tmp_path, fast):
    p = tmp_path / "a.xlsx"
    cols = [Column("金额", "money"), Column("人数", "int"), Column("日期", "date"), Column("得分", "number")]
    rows = [(Decimal("312.50"), 3, dt.date(2020, 3, 1), 0.95),
            (Decimal(1500), "12", "2020-09-01", Decimal(1)),
            (Decimal("0.333"), "abc", "不详", "n/a"),
            (None, None, None, None),
            (Decimal("-12.5"), 2 ** 60, dt.datetime(2020, 1, 2, 0, 0), float("nan"))]
    _write(p, cols, rows, fast=fast)
    ws = openpyxl.load_workbook(p)["数据"]
    assert ws["A2"].value == 312.5 and ws["A2"].number_format == "#,##0.00"
    assert ws["A3"].value == 1500
    assert ws["A4"].value == "0.333" and ws["A4"].data_type == "s"     # not silently rounded
    assert ws["A6"].value == -12.5
    assert ws["B2"].value == 3 and ws["B3"].value == 12 and ws["B3"].data_type == "n"
    assert ws["B4"].value == "abc"
    assert ws["B6"].value == str(2 ** 60)                               # beyond float precision
    assert ws["C2"].value == dt.datetime(2020, 3, 1) and ws["C2"].number_format == "yyyy-mm-dd"
    assert ws["C3"].value == dt.datetime(2020, 9, 1)
    assert ws["C4"].value == "不详"
    assert ws["C6"].value == dt.datetime(2020, 1, 2)
    assert ws["D2"].value == 0.95 and ws["D3"].value == 1
    assert all(ws.cell(5, c).value is None for c in range(1, 5))
    assert ws["D6"].value is None


def test_money_number_boundary():
    assert money_number(Decimal("312.50")) == 312.5
    assert money_number(Decimal("1.500")) == 1.5
    assert money_number(Decimal("0.005")) is None
    assert money_number(Decimal("9999999999999.99")) == 9999999999999.99
    assert money_number(Decimal(10000000000000)) is None
    assert money_number(Decimal("NaN")) is None
    assert money_number("1,500.00") == 1500.0
    assert money_number("abc") is None


def test_total_row_subtotal_with_exact_cached_value(tmp_path):
    p = tmp_path / "a.xlsx"
    cols = [Column("姓名"), Column("金额", "money"), Column("人数", "int")]
    rows = [("甲", Decimal("0.10"), 1), ("乙", Decimal("0.20"), 2), ("丙", None, None)]
    res = _write(p, cols, rows, title="合计测试", total_row={"姓名": "合计", "金额": SUM, 2: COUNT})
    part = res.parts[0]
    assert (part.header_row, part.first_data_row, part.last_data_row, part.total_row) == (1, 2, 4, 5)
    ws = openpyxl.load_workbook(p)["数据"]
    assert ws["A6"].value == "合计"
    assert ws["B6"].value == "=SUBTOTAL(109,B3:B5)"
    assert ws["C6"].value == "=SUBTOTAL(103,C3:C5)"
    cached = openpyxl.load_workbook(p, data_only=True)["数据"]
    assert cached["B6"].value == pytest.approx(0.3, abs=0) or cached["B6"].value == 0.3
    assert cached["C6"].value == 2
    assert ws.auto_filter.ref == "A2:C5"        # the total row stays out of the filter


def test_total_row_rejects_unknown_column(tmp_path):
    with pytest.raises(ValueError), WorkbookWriter(tmp_path / "a.xlsx") as wb:
        wb.add_table("数据", [Column("姓名")], [], total_row={"金额": SUM})
    assert not (tmp_path / "a.xlsx").exists()


# -- layout --------------------------------------------------------------------------------------


def test_freeze_filter_widths(tmp_path):
    p = tmp_path / "a.xlsx"
    cols = [Column("姓名"), Column("code"), Column("学校名称很长很长很长很长很长很长很长很长很长很长很长很长很长"),
            Column("固定", width=33)]
    rows = [("欧阳娜娜", "x", "某" * 80, "a")] + [("张三", "y", "短", "b")] * 5
    _write(p, cols, rows)
    ws = openpyxl.load_workbook(p)["数据"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:D7"
    w = {k: d.width for k, d in ws.column_dimensions.items()}
    assert w["A"] > w["B"]                       # CJK counts double
    assert 50 <= w["C"] <= 51.5                  # capped
    assert 33 <= w["D"] <= 34


def test_title_line_moves_header_and_freeze(tmp_path):
    p = tmp_path / "a.xlsx"
    _write(p, [Column("姓名"), Column("学校")], [("甲", "一中")], title="2020年春季 问题清单", freeze_columns=1)
    ws = openpyxl.load_workbook(p)["数据"]
    assert ws["A1"].value == "2020年春季 问题清单"
    assert "A1:B1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A2"].value == "姓名" and ws["A2"].font.b
    assert ws["A2"].fill.fgColor.rgb.endswith("DDEBF7")
    assert ws.freeze_panes == "B3"
    assert ws.auto_filter.ref == "A2:B3"


def test_empty_table_still_has_header_and_filter(tmp_path):
    p = tmp_path / "a.xlsx"
    res = _write(p, [Column("姓名"), Column("金额", "money")], iter(()), total_row={"金额": SUM})
    assert res.rows_written == 0
    ws = openpyxl.load_workbook(p)["数据"]
    assert [c.value for c in ws[1]] == ["姓名", "金额"]
    assert ws.auto_filter.ref == "A1:B1"
    assert ws["B2"].value == 0


def test_dataframe_rows_and_masking(tmp_path):
    p = tmp_path / "a.xlsx"
    df = pd.DataFrame({"id": [ID, "12345", None], "name": ["甲", "乙", "丙"]})
    _write(p, [Column("身份证号", "id"), Column("姓名")], df, mask_ids=True)
    ws = openpyxl.load_workbook(p)["数据"]
    assert ws["A2"].value == "341021********1234"
    assert ws["A3"].value == "1****"
    assert ws["A4"].value is None
    assert ws["B2"].value == "甲"


def test_row_length_mismatch_is_an_error_and_leaves_nothing(tmp_path):
    with pytest.raises(ValueError), WorkbookWriter(tmp_path / "a.xlsx") as wb:
        wb.add_table("数据", [Column("a"), Column("b")], [("1", "2"), ("1",)])
    assert list(tmp_path.iterdir()) == []


def test_print_setup(tmp_path):
    p = tmp_path / "a.xlsx"
    _write(p, [Column("姓名"), Column("金额", "money")], [("甲", Decimal(1))], title="发放花名册",
           print_setup=PrintSetup(header_text="某县 2020年秋季 发放花名册 & 签字"))
    ws = openpyxl.load_workbook(p)["数据"]
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9
    assert ws.page_setup.fitToWidth in (None, 1)       # 1 is the XML default, left out
    assert ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$2:$2"
    assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    assert ws.oddHeader.center.text == "某县 2020年秋季 发放花名册 && 签字"
    assert ws.print_options.gridLines


# -- splitting over the row limit ----------------------------------------------------------------


@pytest.mark.parametrize("fast", [True, False])
def test_split_over_row_limit(tmp_path, fast):
    p = tmp_path / "a.xlsx"
    rows = [(f"{i:03d}", Decimal(i)) for i in range(25)]
    # max_rows=10 with a title, a header and a total row leaves 7 data rows per sheet
    res = _write(p, [Column("编号", "id"), Column("金额", "money")], rows, title="标题",
                 total_row={"编号": "合计", "金额": SUM}, max_rows=10, fast=fast)
    assert res.sheet_names == ["数据(1)", "数据(2)", "数据(3)", "数据(4)"]
    assert res.rows_written == 25
    wb = openpyxl.load_workbook(p)
    assert wb.sheetnames == res.sheet_names
    seen = []
    for name in wb.sheetnames:
        ws = wb[name]
        assert ws.max_row <= 10
        assert ws["A1"].value == "标题" and ws["A2"].value == "编号"
        assert ws.freeze_panes == "A3"
        last_data = 2 + sum(1 for r in range(3, ws.max_row + 1) if ws.cell(r, 1).value != "合计")
        assert ws.auto_filter.ref == f"A2:B{last_data}"
        seen += [ws.cell(r, 1).value for r in range(3, last_data + 1)]
    assert seen == [f"{i:03d}" for i in range(25)]
    last = wb["数据(4)"]
    assert last.cell(last.max_row, 1).value == "合计"
    assert last.cell(last.max_row, 2).value == sum(range(25))     # whole-table total, not a formula
    assert [p.data_rows for p in res.parts] == [7, 7, 7, 4]


def test_exactly_full_sheet_is_not_split(tmp_path):
    p = tmp_path / "a.xlsx"
    res = _write(p, [Column("编号")], [(str(i),) for i in range(9)], max_rows=10)
    assert res.sheet_names == ["数据"]


def test_split_names_fit_in_31_characters(tmp_path):
    p = tmp_path / "a.xlsx"
    long = "很" * 40
    with WorkbookWriter(p, max_rows=5) as wb:
        res = wb.add_table(long, [Column("编号")], [(str(i),) for i in range(10)])
    assert all(len(n) <= 31 for n in res.sheet_names)
    assert res.sheet_names[0].endswith("(1)") and res.sheet_names[-1].endswith("(3)")


# -- sheets, names -------------------------------------------------------------------------------


@pytest.mark.parametrize("name, expected", [
    ("问题清单", "问题清单"),
    ("a" * 40, "a" * 31),
    ("2019/2020[1]:*?\\", "2019／2020【1】：＊？＼"),
    ("'引号'", "引号"),
    ("   ", "工作表"),
    ("", "工作表"),
    (None, "工作表"),
    ("History", "History_"),
    ("history", "History_"),
    ("a\x00b\nc", "ab c"),
])
def test_sanitize_sheet_name(name, expected):
    assert sanitize_sheet_name(name) == expected


def test_sanitize_sheet_name_unique_case_insensitive():
    used: set[str] = set()
    assert sanitize_sheet_name("Sheet", used) == "Sheet"
    assert sanitize_sheet_name("sheet", used) == "sheet(2)"
    assert sanitize_sheet_name("SHEET", used) == "SHEET(3)"
    long = "长" * 31
    first = sanitize_sheet_name(long, used)
    second = sanitize_sheet_name(long, used)
    assert first == long and second == "长" * 28 + "(2)" and len(second) == 31
    assert len(used) == 5


@pytest.mark.parametrize("name, expected", [
    ("某某县第一中学", "某某县第一中学"),
    ("a/b\\c", "a_b_c"),
    ("../../etc/passwd", "_._etc_passwd"),
    ('x<>:"|?*y.xlsx', "x_______y.xlsx"),
    ("名单..xlsx", "名单.xlsx"),
    ("name. . ", "name"),
    ("CON", "_CON"),
    ("con.xlsx", "_con.xlsx"),
    ("LPT1.csv", "_LPT1.csv"),
    ("", "未命名"),
    ("...", "未命名"),
    (".xlsx", "xlsx"),
    ("a\x00b\tc", "a_b_c"),
])
def test_sanitize_filename(name, expected):
    assert sanitize_filename(name) == expected


def test_sanitize_filename_length_keeps_extension():
    out = sanitize_filename("学" * 300 + ".xlsx")
    assert out.endswith(".xlsx")
    assert len(out) <= 100 and len(out.encode("utf-8")) <= 200


def test_display_width():
    assert display_width("abc") == 3
    assert display_width("张三") == 4
    assert display_width("ＡＢ") == 4
    assert display_width("a\n张三丰") == 6


def test_reserved_sheet_stays_first_and_key_value_sheet(tmp_path):
    p = tmp_path / "a.xlsx"
    with WorkbookWriter(p) as wb:
        assert wb.reserve_sheet("说明") == "说明"
        wb.add_table("汇总", [Column("a")], [("1",)])
        wb.add_table("汇总", [Column("a")], [("2",)])          # same name → 汇总(2)
        wb.add_key_value_sheet("说明", [("命令", "fupin reconcile"), ("问题总数", 12), ("=危险", "=1+1")], [
            Section("输入文件", [("r.xlsx", "a" * 64, 100)], columns=["文件", "SHA-256", "行数"]),
            Section("政策", pairs=[("LIVING_JUNIOR", Decimal("312.50"))]),
        ], title="说明")
        assert wb.sheet_names == ["说明", "汇总", "汇总(2)"]
    wb2 = openpyxl.load_workbook(p)
    assert wb2.sheetnames == ["说明", "汇总", "汇总(2)"]
    ws = wb2["说明"]
    values = [[c.value for c in row if c.value is not None] for row in ws.iter_rows()]
    values = [v for v in values if v]
    assert values[0] == ["说明"]
    assert values[1] == ["命令", "fupin reconcile"]
    assert values[2] == ["问题总数", 12]
    assert values[3] == ["=危险", "=1+1"]
    assert values[4] == ["输入文件"]
    assert values[5] == ["文件", "SHA-256", "行数"]
    assert values[6] == ["r.xlsx", "a" * 64, 100]
    assert values[8] == ["LIVING_JUNIOR", 312.5]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert ws.column_dimensions["B"].width >= 64       # a SHA-256 is readable


def test_reserved_sheet_never_filled_fails_and_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), WorkbookWriter(tmp_path / "a.xlsx") as wb:
        wb.reserve_sheet("说明")
        wb.add_table("数据", [Column("a")], [("1",)])
    assert list(tmp_path.iterdir()) == []


def test_underlying_workbook_is_exposed_for_charts(tmp_path):
    p = tmp_path / "a.xlsx"
    with WorkbookWriter(p) as wb:
        res = wb.add_table("汇总", [Column("乡镇"), Column("人数", "int")], [("甲镇", 3), ("乙镇", 5)])
        part = res.parts[0]
        chart = wb.workbook.add_chart({"type": "column"})
        chart.add_series({"categories": [part.name, part.first_data_row, 0, part.last_data_row, 0],
                          "values": [part.name, part.first_data_row, 1, part.last_data_row, 1]})
        part.worksheet.insert_chart("D2", chart)
    assert openpyxl.load_workbook(p)["汇总"]._charts


# -- atomicity -----------------------------------------------------------------------------------


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_exception_inside_with_leaves_no_file(tmp_path, exc):
    target = tmp_path / "台账.xlsx"

    def rows():
        yield ("1",)
        raise exc("boom")

    with pytest.raises(exc), WorkbookWriter(target) as wb:
        wb.add_table("数据", [Column("a")], rows())
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_previous_file_untouched(tmp_path):
    target = tmp_path / "台账.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), WorkbookWriter(target) as wb:
        wb.add_table("数据", [Column("a")], [("1",)])
        raise RuntimeError
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_success_leaves_only_the_workbook(tmp_path):
    target = tmp_path / "台账.xlsx"
    with WorkbookWriter(target) as wb:
        wb.add_table("数据", [Column("a")], [("1",)])
        assert not target.exists()                 # not there until close
    assert list(tmp_path.iterdir()) == [target]
    assert zipfile.is_zipfile(target)


def test_long_cjk_file_name(tmp_path):
    target = tmp_path / sanitize_filename("某某县某某镇中心学校" * 30 + "_对账台账_2020秋.xlsx")
    with WorkbookWriter(target) as wb:
        wb.add_table("数据", [Column("a")], [("1",)])
    assert list(tmp_path.iterdir()) == [target]


def test_unwritable_folder_is_a_chinese_error(tmp_path):
    with pytest.raises(FupinError, match="无法写入"):
        WorkbookWriter(tmp_path / "no" / "such" / "a.xlsx")


def test_column_kind_checked():
    with pytest.raises(ValueError):
        Column("a", "currency")


# -- masking -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    (ID, "341021********1234"),
    ("34102120050101123X", "341021********123X"),
    ("G" + ID, "G341021********1234"),
    (ID + "42", "341021********123442"),
    ("341021050101123", "341**********23"),
    ("123", "1**"),
    ("ab", "**"),
    ("", ""),
    (None, ""),
    (float("nan"), ""),
])
def test_mask_id(value, expected):
    assert mask_id(value) == expected


def test_mask_ids_vectorised_keeps_index_and_missing():
    s = pd.Series([ID, None, "", "12345", "G" + ID], index=[5, 5, 7, 8, 9], name="id")
    out = mask_ids(s)
    assert list(out.index) == [5, 5, 7, 8, 9] and out.name == "id"
    assert out.iloc[0] == "341021********1234"
    assert pd.isna(out.iloc[1])
    assert out.iloc[2] == ""
    assert out.iloc[3] == "1****"
    assert out.iloc[4] == "G341021********1234"
    assert list(mask_ids(s.astype(object)).dropna()) == list(out.dropna())
