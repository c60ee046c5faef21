import pytest
from conftest import make_id

from jiaoyu_fupin.io.header import detect_source, find_header, map_columns
from jiaoyu_fupin.io.load import load_tables
from jiaoyu_fupin.io.readers import RawSheet, read_raw
from jiaoyu_fupin.io.synonyms import match_header, norm_header

ID1 = make_id("341021", "20100101", "123")
ID2 = make_id("341021", "20110202", "224")


@pytest.mark.parametrize("text, field", [
    ("身份证号", "id_number"), ("公民身份号码", "id_number"), ("学生身份证号码（必填）", "id_number"),
    ("* 证件号码", "id_number"), ("身份证件号", "id_number"),
    ("姓名", "name"), ("幼儿姓名", "name"), ("学生\n姓名", "name"), ("受助学生姓名", "name"),
    ("全国学籍号", "xueji_no"), ("学籍号", "xueji_no"), ("学籍副号", None), ("学籍辅号", None),
    ("学校名称", "school"), ("就读学校", "school"), ("学校标识码", "school_code"),
    ("乡镇", "township"), ("乡(镇)", "township"), ("乡（镇）", "township"), ("户籍乡镇", "township"),
    ("行政村", "village"), ("村(社区)", "village"), ("村", "village"),
    ("户编号", "household_no"), ("人口编号", "person_no"), ("与户主关系", "relation"),
    ("在校生状况", "in_school_status"), ("脱贫属性", "poverty_status"), ("贫困户状态", "poverty_status"),
    ("监测对象类别", "monitor_type"), ("检测对象类别", "monitor_type"), ("户类型", "household_type"),
    ("学籍状态", "enrolment_status"), ("学生当前状态", "enrolment_status"),
    ("就读方式", "boarding"), ("是否住校", "boarding"), ("寄宿/走读", "boarding"),
    ("资助项目", "item"), ("资助项目名称", "item"), ("金额（元）", "amount"), ("实发金额", "amount"),
    ("学年", "school_year"), ("资助学期", "semester"), ("家庭经济困难类型", "hardship_type"),
    ("学生类别", "hardship_type"), ("年级", "grade"), ("班级", "class"), ("学段", "stage"),
    ("学校等级", "tier"), ("性别", "sex"), ("出生年月", "birth_date"), ("发放日期", "pay_date"),
    ("户主姓名", "head_name"), ("户联系电话", "phone"), ("户口所在地", "hukou"),
    ("户主证件号码", None), ("监护人身份证号", None), ("序号", None), ("证件类型", None),
    ("银行卡号", None), ("某某县2020年春季学期建档立卡学生资助发放名单", None), ("", None),
])
def test_match_header(text, field):
    hit = match_header(text)
    assert (hit[0] if hit else None) == field


def test_norm_header():
    assert norm_header("  身份证号码（必填）* ") == ("身份证号码(必填)", "身份证号码")
    assert norm_header("ＩＤ") == ("id", "id")


def test_disability_number_only_without_id_column():
    f, _ = map_columns([["姓名"], ["残疾证号"]])
    assert f == {"name": 0, "id_number": 1}
    f, _ = map_columns([["姓名"], ["残疾证号"], ["身份证号"]])
    assert f == {"name": 0, "id_number": 2}


def test_item_fallback_and_best_synonym_wins():
    f, t = map_columns([["资助类型"], ["应发金额"], ["实发金额"], ["资助项目"]])
    assert f == {"item": 3, "amount": 2}
    assert t == {"item": "资助项目", "amount": "实发金额"}
    f, _ = map_columns([["资助类型"], ["金额"]])
    assert f == {"item": 0, "amount": 1}


def test_overrides_come_first():
    f, t = map_columns([["学生证件号"], ["身份证号"], ["姓名"]], {"学生证件号": "id_number"})
    assert f["id_number"] == 0 and t["id_number"] == "学生证件号"


def test_find_header_with_title_rows():
    s = RawSheet.from_rows("a.xlsx", "S", [
        ["某县2020年建档立卡人口信息", "", ""],
        ["填报单位：某县扶贫办", "", ""],
        ["", "", ""],
        ["姓名", "证件号码", "行政村"],
        ["张三", ID1, "东村"],
    ])
    h = find_header(s)
    assert (h.first_row, h.row) == (3, 3)
    assert h.fields == {"name": 0, "id_number": 1, "village": 2}
    assert h.title == "某县2020年建档立卡人口信息 / 填报单位：某县扶贫办"


def test_find_header_two_row_merged(files):
    p = files.xlsx("m.xlsx", [
        ["学生资助明细表"],
        ["序号", "学生信息", None, "资助信息", None, "学年"],
        [None, "姓名", "身份证号", "资助项目", "金额", None],
        [1, "张三", ID1, "普通高中国家助学金", 1500, "2019-2020"],
    ], merges={"Sheet1": [(0, 0, 0, 5), (1, 1, 1, 2), (1, 3, 1, 4), (1, 0, 2, 0), (1, 5, 2, 5)]})
    [s] = read_raw(p)
    h = find_header(s)
    assert (h.first_row, h.row) == (1, 2)
    assert h.fields == {"name": 1, "id_number": 2, "item": 3, "amount": 4, "school_year": 5}
    assert h.texts["school_year"] == "学年"
    assert h.title == "学生资助明细表"


def test_find_header_none_for_notes_sheet():
    s = RawSheet.from_rows("a.xlsx", "说明", [["本表说明"], ["1. 请勿修改表头"]])
    assert find_header(s) is None


def test_schools_list_single_required_column():
    s = RawSheet.from_rows("s.xlsx", "S", [["学校名称"], ["一中"]])
    assert find_header(s) is None
    h = find_header(s, required=(("school",),))
    assert h is not None and h.fields == {"school": 0}


# ----------------------------------------------------------------------------- source detection

@pytest.mark.parametrize("fields, title, file, expected", [
    ({"name", "id_number", "household_no", "relation"}, "", "x.xlsx", "registry"),
    ({"name", "id_number", "monitor_type"}, "", "x.xlsx", "registry"),
    ({"name", "id_number", "item", "amount", "hardship_type", "school_year"}, "", "x.xlsx", "national"),
    ({"name", "id_number", "item", "amount", "school_year"}, "", "x.xlsx", "national"),
    ({"name", "id_number", "item", "amount", "township", "village"}, "", "x.xls", "provincial"),
    ({"name", "id_number", "item", "amount"}, "建档立卡学生资助名单", "x.xls", "provincial"),
    ({"name", "id_number", "xueji_no", "grade", "class"}, "", "一小.xlsx", "roster"),
    ({"name", "id_number", "enrolment_status"}, "", "一小.xlsx", "roster"),
    ({"school", "tier", "stage"}, "", "学校.xlsx", "schools"),
    ({"name", "id_number", "village"}, "送教上门名单", "x.xlsx", "home_education"),
    ({"name", "id_number"}, "", "外地就读证明名单.xlsx", "elsewhere"),
    ({"name", "sex"}, "", "x.xlsx", "unknown"),
])
def test_detect_source(fields, title, file, expected):
    assert detect_source(fields, title, file) == expected


def test_detect_source_from_real_files(files):
    reg = files.xlsx("国办系统.xlsx", [
        ["全国扶贫开发信息系统 贫困人口明细"],
        ["乡(镇)", "行政村", "户编号", "人编号", "姓名", "证件号码", "与户主关系", "在校生状况", "脱贫属性"],
        ["城关镇", "东村", "1", "11", "张三", ID1, "之子", "七年级", "已脱贫（享受政策）"],
    ])
    nat = files.xlsx("全国资助.xlsx", [
        ["学校名称", "学生姓名", "身份证件号", "全国学籍号", "资助项目名称", "资助金额", "资助学年", "资助学期",
         "家庭经济困难类型"],
        ["一中", "张三", ID1, "G" + ID1, "普通高中国家助学金", "1500", "2019-2020", "春季学期", "建档立卡"],
    ])
    prov = files.html("省系统导出.xls", [
        ["乡镇", "村", "学校", "姓名", "身份证号", "资助项目", "金额"],
        ["城关镇", "东村", "一中", "张三", ID1, "国家助学金", "1500"],
    ], encoding="gb18030", meta_charset="gbk")
    roster = files.csv("一小名册.csv", [
        ["学校名称", "姓名", "性别", "身份证件号", "全国学籍号", "学籍副号", "年级", "班级", "就读方式", "学籍状态"],
        ["一小", "李四", "女", ID2, "G" + ID2, "", "三年级", "2班", "住校", "在读"],
    ], encoding="gb18030")
    schools = files.xlsx("学校名单.xlsx", [["学校名称", "学段", "学校等级"], ["一中", "高中", "省示范"]])
    home = files.xlsx("送教上门.xlsx", [["乡镇", "姓名", "身份证号", "送教学校"], ["城关镇", "王五", ID2, "特校"]])
    away = files.xlsx("证明.xlsx", [["外地就读证明名单"], ["姓名", "身份证号", "就读学校"], ["赵六", ID1, "外县一中"]])
    got = {t.file: t.source for t in load_tables([reg, nat, prov, roster, schools, home, away]).tables}
    assert got == {"国办系统.xlsx": "registry", "全国资助.xlsx": "national", "省系统导出.xls": "provincial",
                   "一小名册.csv": "roster", "学校名单.xlsx": "schools", "送教上门.xlsx": "home_education",
                   "证明.xlsx": "elsewhere"}
