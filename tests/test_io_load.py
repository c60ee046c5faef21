import pandas as pd
import pytest
from conftest import make_id

from jiaoyu_fupin.errors import InputError, UsageError
from jiaoyu_fupin.io.load import LoadResult, SheetSkip, load_tables
from jiaoyu_fupin.model import ROW

IDS = [make_id("341021", "20100101", f"{i:03d}") for i in range(1, 10)]

HEADER = ["序号", "姓名", "身份证号", "学校名称", "资助项目", "金额", "学年", "家庭经济困难类型"]


def _payment(i, name, idn, amount="1500"):
    return [str(i), name, idn, "一中", "普通高中国家助学金", amount, "2019-2020", "建档立卡"]


def test_row_accounting_every_row_once(files):
    rows = [
        ["2020年春季学期资助发放明细表"],                     # 1 title
        HEADER,                                              # 2 header
        ["1", "2", "3", "4", "5", "6", "7", "8"],             # 3 numbering row
        _payment(1, "张三", IDS[0]),                          # 4
        [],                                                  # 5 empty
        _payment(2, "李四", "'" + IDS[1]),                    # 6
        HEADER,                                              # 7 repeated header
        _payment(3, "", "", "750"),                          # 8 no name, no ID -> rejected
        _payment(4, "王五", "", "750"),                       # 9 name only -> record
        ["小计", "", "", "", "", "4500"],                     # 10 total
        ["", "合计：", "", "", "", "4500"],                   # 11 total (first non-empty cell)
        ["填表人：某某", "", "审核人：某某"],                   # 12 footer
        ["备注：本表由系统导出"],                               # 13 footer
        ["", "", "第 1 页 共 1 页"],                            # 14 page number
    ]
    p = files.xlsx("nat.xlsx", rows)
    res = load_tables([p], "national")
    assert isinstance(res, LoadResult) and res.skipped_sheets == []
    [t] = res.tables
    assert t.header_row == 2 and t.title == "2020年春季学期资助发放明细表"
    assert t.df[ROW].tolist() == [4, 6, 9]
    assert t.df["name"].tolist() == ["张三", "李四", "王五"]
    assert t.df["id_number"].tolist() == [IDS[0], IDS[1], ""]
    skipped = {i.row: i.reason for i in t.skipped}
    assert skipped == {3: "列序号行", 5: "空行", 7: "重复的表头行", 10: "合计行", 11: "合计行",
                       12: "表尾签字或说明行", 13: "表尾签字或说明行", 14: "页码行"}
    assert [(i.row, i.reason) for i in t.rejected] == [(8, "缺少姓名和证件号")]
    assert t.rejected[0].raw == ("3", "", "", "一中", "普通高中国家助学金", "750", "2019-2020", "建档立卡")
    assert t.rejected[0].ref() == "nat.xlsx:Sheet1:8"
    # every row below the header exactly once
    data_rows = len(rows) - t.header_row
    assert t.rows_read == data_rows == 12
    all_rows = sorted(t.df[ROW].tolist() + [i.row for i in t.skipped + t.rejected])
    assert all_rows == list(range(3, 15))


def test_df_is_text_with_int_row(files):
    p = files.xlsx("n.xlsx", [HEADER, [1, "张三", 341021201001011234, "一中", "助学金", 1500, 2019, "低保"]])
    [t] = load_tables([p]).tables
    for c in t.df.columns:
        if c == ROW:
            assert t.df[c].dtype == "int64"
        else:
            assert pd.api.types.is_string_dtype(t.df[c].dtype), c
    assert t.df["amount"].tolist() == ["1500"]
    assert t.df["school_year"].tolist() == ["2019"]
    assert "e+17" in t.df["id_number"].iloc[0]
    assert list(t.df.columns) == ["name", "id_number", "school", "item", "amount", "school_year",
                                  "hardship_type", ROW]


def test_schools_rows_need_a_school(files):
    p = files.xlsx("校.xlsx", [["学校名称", "学段", "学校等级"], ["一中", "高中", "省示范"], ["", "初中", ""]])
    [t] = load_tables([p], "schools").tables
    assert t.df["school"].tolist() == ["一中"]
    assert [(i.row, i.reason) for i in t.rejected] == [(3, "缺少学校名称")]


def test_forced_source_missing_required_column_message(files):
    p = files.xlsx("名单.xlsx", [["姓名", "学校", "年级"], ["张三", "一小", "三年级"]])
    with pytest.raises(InputError) as ei:
        load_tables([p], "roster")
    msg = ei.value.message
    assert msg.startswith("文件 名单.xlsx，工作表“Sheet1”：按“学校学生名册（学籍）”读取时缺少必需的列")
    assert "身份证号（id_number）或全国学籍号（xueji_no）" in msg
    assert "“姓名”、“学校”、“年级”" in msg
    assert 'columns.toml 的 [roster] 段指定，例如 id_number = "学生证件号"' in msg
    assert "\n" not in msg


def test_forced_source_no_header_at_all(files):
    p = files.xlsx("乱.xlsx", [["张三", "李四"], ["1", "2"]])
    with pytest.raises(InputError, match="没有找到可识别的表头.*columns.toml 的 \\[registry\\]"):
        load_tables([p], "registry")


def test_multisheet_notes_sheet_skipped(files):
    p = files.xlsx("册.xlsx", sheets={
        "说明": [["填表说明"], ["1. 身份证号按文本填写"]],
        "一年级": [["姓名", "身份证号", "班级"], ["张三", IDS[0], "1班"]],
        "二年级": [["姓名", "身份证号", "班级"], ["李四", IDS[1], "2班"], ["王五", IDS[2], "2班"]],
        "统计": [["班级", "人数"], ["1班", "1"]],
        "空": [],
    })
    res = load_tables([p], "roster")
    assert [(t.sheet, len(t.df)) for t in res.tables] == [("一年级", 1), ("二年级", 2)]
    skips = {s.sheet: s.reason for s in res.skipped_sheets}
    assert set(skips) == {"说明", "统计", "空"}
    assert skips["说明"].startswith("没有找到可识别的表头")
    assert skips["空"] == "工作表是空的"
    assert all(isinstance(s, SheetSkip) and s.file == "册.xlsx" for s in res.skipped_sheets)


def test_folder_load_with_progress(files, tmp_path):
    files.xlsx("名册/一小.xlsx", [["姓名", "身份证号", "年级"], ["甲", IDS[0], "一年级"]])
    files.csv("名册/二小/名册.csv", [["姓名", "身份证号", "年级"], ["乙", IDS[1], "二年级"]], encoding="gb18030")
    files.raw("名册/~$一小.xlsx", b"lock")
    calls = []
    res = load_tables([tmp_path / "名册"], "roster", on_progress=lambda *a: calls.append(a))
    assert [(t.file, t.sheet, t.df["name"].tolist()) for t in res.tables] == [
        ("一小.xlsx", "Sheet1", ["甲"]), ("二小/名册.csv", "", ["乙"])]
    assert calls == [("读取文件", 1, 2), ("读取文件", 2, 2)]
    assert res.tables[1].path.endswith("名册.csv")


def test_unknown_source_rejected():
    with pytest.raises(UsageError):
        load_tables(["x.xlsx"], "ledger")


def test_registry_with_monitor_type_and_disability_numbers(files):
    dis = IDS[0] + "31"
    p = files.xlsx("防返贫.xlsx", [
        ["乡镇", "行政村", "户编号", "姓名", "残疾证号", "户类型", "检测对象类别"],
        ["城关镇", "东村", "1", "张三", dis, "脱贫户", "脱贫不稳定户"],
    ])
    [t] = load_tables([p]).tables
    assert t.source == "registry"
    assert t.df.loc[0, "id_number"] == dis
    assert t.columns["monitor_type"] == "检测对象类别" and t.columns["household_type"] == "户类型"


def test_csv_multiline_row_numbers(files):
    p = files.raw("m.csv", f'姓名,身份证号,备注\n甲,{IDS[0]},"多\n行"\n乙,{IDS[1]},\n'.encode())
    [t] = load_tables([p], "roster").tables
    assert t.df[ROW].tolist() == [2, 4]


def test_non_spreadsheet_in_folder_is_skipped_but_named_file_fails(files, tmp_path):
    files.xlsx("名册/一小.xlsx", [["姓名", "身份证号"], ["甲", IDS[0]]])
    note = files.raw("名册/说明.txt", "请各校于月底前上报。\n谢谢。\n".encode())
    res = load_tables([tmp_path / "名册"], "roster")
    assert [t.file for t in res.tables] == ["一小.xlsx"]
    assert [(s.file, s.sheet) for s in res.skipped_sheets] == [("说明.txt", "")]
    assert res.skipped_sheets[0].reason.startswith("不是表格文件")
    with pytest.raises(InputError, match="不是表格文件"):
        load_tables([note], "roster")
