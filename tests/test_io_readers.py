import datetime as dt
import zipfile

import pytest
from conftest import make_id

from jiaoyu_fupin.errors import InputError
from jiaoyu_fupin.io.readers import detect_delimiter, expand_paths, read_raw

ID1 = make_id("341021", "20100101", "123")


# ----------------------------------------------------------------------------- xlsx

def test_xlsx_rows_are_officer_rows_and_cells_are_text(files):
    p = files.xlsx("a.xlsx", [
        ["某县建档立卡学生名单"],
        [],
        ["姓名", "身份证号", "出生日期", "住校", "金额", "备注"],
        ["张三", 341021201001011234, dt.date(2010, 1, 1), True, 312.5, "x"],
        ["  李四 ", "'" + ID1, dt.datetime(2010, 2, 3, 4, 5, 6), False, 500, None],
    ])
    [s] = read_raw(p)
    assert s.sheet == "Sheet1" and s.file == "a.xlsx" and s.fmt == "xlsx"
    assert s.n_rows == 5 and s.n_cols == 6
    assert s.rows[0][0] == "某县建档立卡学生名单"
    assert s.rows[1] == [""] * 6
    assert s.rows[2][:2] == ["姓名", "身份证号"]
    assert s.rows[3][0] == "张三" and s.rows[3][2:] == ["2010-01-01", "是", "312.5", "x"]
    assert s.rows[3][1].startswith("3.41021201001011") and s.rows[3][1].endswith("e+17")
    assert s.rows[4] == ["李四", ID1, "2010-02-03 04:05:06", "否", "500", ""]
    assert s.row_no(3) == 4


def test_merged_cells_in_data_fill_their_range(files):
    p = files.xlsx("reg.xlsx", [
        ["乡镇", "行政村", "姓名"],
        ["城关镇", "东村", "张一"],
        [None, None, "张二"],
        [None, "西村", "李一"],
    ], merges={"Sheet1": [(1, 0, 3, 0), (1, 1, 2, 1)]})
    [s] = read_raw(p)
    assert s.rows[1:] == [["城关镇", "东村", "张一"], ["城关镇", "东村", "张二"], ["城关镇", "西村", "李一"]]


def test_data_starting_at_c3_keeps_excel_coordinates(files):
    p = files.xlsx("b.xlsx", [[], [], ["", "", "姓名", "证件号"], ["", "", "王五", ID1]])
    [s] = read_raw(p)
    assert s.rows[2] == ["", "", "姓名", "证件号"]
    assert s.rows[3][2] == "王五"


def test_text_cells_with_wrappers_in_xlsx(files):
    p = files.xlsx_writer("w.xlsx", [(0, 0, '="' + ID1 + '"', None), (0, 1, "'" + ID1, None),
                                     (0, 2, " \t" + ID1 + "\n", None)])
    [s] = read_raw(p)
    assert s.rows == [[ID1, ID1, ID1]]


def test_serial_date_with_date_format_becomes_iso(files):
    p = files.xlsx_writer("s.xlsx", [(0, 0, "出生日期", None), (1, 0, 43831, "yyyy-mm-dd"),
                                     (1, 1, 43831, None), (1, 2, 0.5, "hh:mm")])
    [s] = read_raw(p)
    assert s.rows[1][0] == "2020-01-01"
    assert s.rows[1][1] == "43831"


def test_every_sheet_read_and_empty_sheet_skipped(files):
    p = files.xlsx("m.xlsx", sheets={"一年级": [["姓名"], ["甲"]], "空表": [], "二年级": [["姓名"], ["乙"]]})
    sheets = read_raw(p)
    assert [s.sheet for s in sheets] == ["一年级", "空表", "二年级"]
    assert sheets[1].skip_reason == "工作表是空的"
    assert sheets[0].skip_reason is None and sheets[2].rows == [["姓名"], ["乙"]]


def test_trailing_whitespace_cells_are_trimmed(files):
    p = files.xlsx("t.xlsx", [["姓名", "证件号", " "], ["甲", "1", ""], ["  ", None, None]])
    [s] = read_raw(p)
    assert s.n_rows == 2 and s.n_cols == 2


def test_xlsx_named_xls_is_sniffed(files):
    p = files.xlsx("real.xlsx", [["姓名"], ["甲"]])
    q = files.raw("renamed.xls", p.read_bytes())
    assert read_raw(q)[0].rows == [["姓名"], ["甲"]]


# ----------------------------------------------------------------------------- xls

def test_xls_numbers_dates_merges(files):
    p = files.xls("c.xls", [
        ["学生资助名单", "", ""],
        ["姓名", "身份证号", "出生日期"],
        ["张三", 341021201001011234, dt.date(2010, 1, 1)],
        ["李四", ID1, dt.datetime(2011, 5, 6, 7, 8, 9)],
        ["王五", 12.0, True],
    ], merges={"Sheet1": [(0, 0, 0, 2)]})
    [s] = read_raw(p)
    assert s.fmt == "xls"
    assert s.rows[0] == ["学生资助名单"] * 3  # a merged cell's value fills its range
    assert s.rows[2] == ["张三", "3.4102120100101126e+17", "2010-01-01"]
    assert s.rows[3] == ["李四", ID1, "2011-05-06 07:08:09"]
    assert s.rows[4] == ["王五", "12", "是"]


# ----------------------------------------------------------------------------- HTML

HTML_GBK = """
<table>
<tr><td colspan="4">2020年春季学期建档立卡学生资助名单</td></tr>
<tr><th rowspan="2">序号</th><th colspan="2">学生信息</th><th rowspan="2">资助<br>金额</th></tr>
<tr><th>姓名</th><th>身份证号</th></tr>
<tr><td>1</td><td><span><b>张&nbsp;三</b></span></td><td x:str>{id}</td><td>312.50</td></tr>
<tr><td rowspan="2">2</td><td>李&amp;四</td><td>'{id}</td><td>500</td></tr>
<tr><td>王𠮷</td><td>="{id}"</td><td>  </td></tr>
</table>
<p>说明</p>
<table><tr><td>学校名称</td><td>学段</td></tr><tr><td>一中</td><td>高中</td></tr></table>
"""


def test_html_as_xls_gbk_spans_entities(files):
    p = files.html("省系统.xls", HTML_GBK.format(id=ID1), encoding="gb18030", meta_charset="gb2312")
    sheets = read_raw(p)
    assert [s.sheet for s in sheets] == ["表1", "表2"]
    s = sheets[0]
    assert s.fmt == "html"
    assert s.rows[0] == ["2020年春季学期建档立卡学生资助名单"] * 4
    assert s.rows[1] == ["序号", "学生信息", "学生信息", "资助\n金额"]
    assert s.rows[2] == ["序号", "姓名", "身份证号", "资助\n金额"]
    assert s.rows[3] == ["1", "张 三", ID1, "312.50"]
    assert s.rows[4] == ["2", "李&四", ID1, "500"]
    assert s.rows[5] == ["2", "王𠮷", ID1, ""]
    assert sheets[1].rows == [["学校名称", "学段"], ["一中", "高中"]]


def test_html_without_meta_detects_gb18030(files):
    p = files.html("x.xls", [["姓名", "身份证号"], ["赵𠮷", ID1]], encoding="gb18030")
    [s] = read_raw(p)
    assert s.rows[1] == ["赵𠮷", ID1]


def test_html_nested_table_is_its_own_sheet(files):
    body = ("<table><tr><td>姓名</td><td>备注<table><tr><td>内</td></tr></table></td></tr>"
            "<tr><td>甲</td><td>乙</td></tr></table>")
    p = files.html("n.html", body)
    sheets = read_raw(p)
    assert [s.sheet for s in sheets] == ["表1", "表2"]
    assert sheets[0].rows == [["姓名", "备注"], ["甲", "乙"]]
    assert sheets[1].rows == [["内"]]


def test_spreadsheetml_2003(files):
    xml = """<?xml version="1.0" encoding="UTF-8"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
 <Worksheet ss:Name="名单"><Table>
  <Row><Cell ss:MergeAcross="1"><Data ss:Type="String">标题</Data></Cell></Row>
  <Row><Cell><Data ss:Type="String">姓名</Data></Cell><Cell><Data ss:Type="String">身份证号</Data></Cell></Row>
  <Row ss:Index="4"><Cell><Data ss:Type="String">甲</Data></Cell>
   <Cell><Data ss:Type="Number">341021201001011234</Data></Cell></Row>
  <Row><Cell ss:Index="2"><Data ss:Type="DateTime">2010-01-01T00:00:00.000</Data></Cell></Row>
 </Table></Worksheet>
</Workbook>"""
    p = files.raw("x.xls", xml.encode("utf-8"))
    [s] = read_raw(p)
    assert s.sheet == "名单" and s.fmt == "xml"
    assert s.rows == [["标题", "标题"], ["姓名", "身份证号"], ["", ""], ["甲", "3.4102120100101126e+17"],
                      ["", "2010-01-01"]]


# ----------------------------------------------------------------------------- CSV

def test_csv_gb18030_rare_character(files):
    p = files.csv("名册.csv", [["姓名", "身份证号"], ["吉𠮷", ID1], ["张三", "'" + ID1], ["李四", '="' + ID1 + '"']],
                  encoding="gb18030")
    [s] = read_raw(p)
    assert s.sheet == "" and s.fmt == "csv"
    assert s.rows == [["姓名", "身份证号"], ["吉𠮷", ID1], ["张三", ID1], ["李四", ID1]]


def test_csv_utf8_bom_and_tsv_and_semicolon(files):
    a = files.csv("a.csv", [["姓名", "金额"], ["甲", "1,500"]], encoding="utf-8-sig")
    b = files.csv("b.txt", [["姓名", "金额"], ["乙", "2"]], delimiter="\t", encoding="utf-8")
    c = files.csv("c.csv", [["姓名", "金额"], ["丙", "3"]], delimiter=";", encoding="gb18030")
    assert read_raw(a)[0].rows == [["姓名", "金额"], ["甲", "1,500"]]
    assert read_raw(b)[0].rows == [["姓名", "金额"], ["乙", "2"]]
    assert read_raw(c)[0].rows == [["姓名", "金额"], ["丙", "3"]]


def test_csv_utf16_tsv_from_excel_unicode_text(files):
    p = files.raw("u.txt", "\ufeff姓名\t身份证号\r\n甲\t1\r\n".encode("utf-16-le"))
    assert read_raw(p)[0].rows == [["姓名", "身份证号"], ["甲", "1"]]


def test_csv_multiline_field_keeps_line_numbers(files):
    p = files.raw("m.csv", '姓名,备注\n甲,"第一行\n第二行"\n乙,x\n'.encode())
    [s] = read_raw(p)
    assert s.rows[1] == ["甲", "第一行\n第二行"]
    assert [s.row_no(i) for i in range(3)] == [1, 2, 4]


def test_csv_title_line_and_blank_lines(files):
    p = files.raw("t.csv", "某校名册\n\n姓名,身份证号\n甲,1\n\n".encode())
    [s] = read_raw(p)
    assert s.rows == [["某校名册", ""], ["", ""], ["姓名", "身份证号"], ["甲", "1"]]


def test_detect_delimiter():
    assert detect_delimiter("标题\na\tb\tc\n1\t2,5\t3\n") == "\t"
    assert detect_delimiter("a,b\n1,2\n") == ","
    assert detect_delimiter("只有一列\n没有分隔符\n") is None


# ----------------------------------------------------------------------------- errors

def _err(p) -> str:
    with pytest.raises(InputError) as ei:
        read_raw(p)
    return ei.value.message


def test_missing_file(tmp_path):
    msg = _err(tmp_path / "没有.xlsx")
    assert "没有.xlsx" in msg and "找不到" in msg


def test_zero_byte_file(files):
    msg = _err(files.raw("空.xlsx", b""))
    assert "空.xlsx" in msg and "0 字节" in msg


def test_pdf_and_png_renamed(files):
    assert "PDF" in _err(files.raw("a.xlsx", b"%PDF-1.4\n%..."))
    assert "PNG" in _err(files.raw("b.xls", b"\x89PNG\r\n\x1a\n" + b"\0" * 20))


def test_plain_text_renamed(files):
    msg = _err(files.raw("c.xlsx", "这是一封信。\n请查收附件。\n".encode()))
    assert "不是表格文件" in msg and "c.xlsx" in msg


def test_binary_garbage(files):
    assert "不是表格文件" in _err(files.raw("d.csv", b"\x00\x01\x02\x03abc\x00"))


def test_truncated_zip(files):
    p = files.xlsx("good.xlsx", [["姓名"], ["甲"]])
    data = p.read_bytes()
    msg = _err(files.raw("坏.xlsx", data[: len(data) // 2]))
    assert "已损坏" in msg and "坏.xlsx" in msg


def test_zip_that_is_word_or_plain_archive(files):
    docx = files.path("w.xlsx")
    with zipfile.ZipFile(docx, "w") as zf:
        zf.writestr("word/document.xml", "<x/>")
    assert "Word" in _err(docx)
    plain = files.path("p.xlsx")
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("a.txt", "x")
    assert "压缩包" in _err(plain)


def test_encrypted_ooxml(files):
    data = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le")
            + b"\0" * 50 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 1000)
    msg = _err(files.raw("加密.xlsx", data))
    assert msg == "文件 加密.xlsx：文件已加密（设置了打开密码），请在 Excel 中取消密码后另存再试"


def test_corrupt_ole(files):
    msg = _err(files.raw("坏.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600))
    assert "已损坏" in msg


def test_all_sheets_empty(files):
    p = files.xlsx("空表.xlsx", sheets={"Sheet1": [], "Sheet2": [[None, "  "]]})
    msg = _err(p)
    assert "所有工作表都没有数据" in msg and "Sheet2" in msg


# ----------------------------------------------------------------------------- folders

def test_expand_folder_recursive_sorted_skips_lock_and_hidden(files, tmp_path):
    files.xlsx("名册/二小/名册.xlsx", [["姓名"], ["甲"]])
    files.xlsx("名册/一小/名册.xlsx", [["姓名"], ["乙"]])
    files.csv("名册/a.csv", [["姓名"], ["丙"]])
    files.raw("名册/~$名册.xlsx", b"lock")
    files.raw("名册/.hidden.csv", b"x")
    files.raw("名册/.git/x.csv", b"x")
    files.raw("名册/说明.docx", b"x")
    got = expand_paths([tmp_path / "名册"])
    assert [f.display for f in got] == ["a.csv", "一小/名册.xlsx", "二小/名册.xlsx"]
    assert all(f.in_folder and f.path.is_file() for f in got)
    direct = expand_paths([tmp_path / "名册" / "a.csv"])
    assert [(f.display, f.in_folder) for f in direct] == [("a.csv", False)]


def test_expand_errors(tmp_path):
    (tmp_path / "空文件夹").mkdir()
    with pytest.raises(InputError, match="文件夹中没有表格文件"):
        expand_paths([tmp_path / "空文件夹"])
    with pytest.raises(InputError, match="找不到"):
        expand_paths([tmp_path / "nope"])


def test_html_uppercase_unclosed_cells_comments_script(files):
    body = ("<script>var t = '<table><tr><td>x</td></tr></table>';</script><!-- <table> -->"
            "<TABLE border=1><THEAD><TR><TH>姓名<TH>身份证号</THEAD>"
            "<TBODY><TR><TD>张<br/>三<TD style=\"mso-number-format:'\\@'\">" + ID1 + "</TBODY></TABLE>")
    [s] = read_raw(files.html("u.xls", body))
    assert s.rows == [["姓名", "身份证号"], ["张\n三", ID1]]


def test_html_fast_and_tokenizer_paths_agree():
    from jiaoyu_fupin.io.readers import _fast_tables, _HtmlTables

    doc = HTML_GBK.format(id=ID1)
    fast = _fast_tables(doc)
    p = _HtmlTables()
    p.feed(doc)
    slow = [t.rows for t in p.finish()]
    assert fast == slow
    assert fast[0][2] == ["序号", "姓名", "身份证号", "资助\n金额"]
