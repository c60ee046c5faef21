"""The policy: packaged defaults equal SPEC's table, lookups, and the two-step loader's checks."""

from __future__ import annotations

import copy
import dataclasses
import json
import tomllib
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from jiaoyu_fupin.errors import PolicyError
from jiaoyu_fupin.policy import IGNORED, load_policy, policy_from_mapping
from jiaoyu_fupin.policy.load import DEFAULT_POLICY, data_bytes

D = Decimal


@pytest.fixture(scope="module")
def policy():
    return load_policy()


@pytest.fixture()
def raw():
    """The packaged default policy as parsed TOML, for tests that break one thing."""
    return copy.deepcopy(_RAW)


_RAW = tomllib.loads(data_bytes(DEFAULT_POLICY).decode("utf-8"))


def _item(data, code):
    return next(it for it in data["items"] if it["code"] == code)


def _problems(data) -> str:
    with pytest.raises(PolicyError) as exc:
        policy_from_mapping(data, label="policy.toml")
    return exc.value.message


# =========================================================================== defaults = SPEC


SPEC_TABLE = {
    # code: (stages, grades, kind, amounts)
    "PRESCHOOL": (("幼儿园",), None, "fixed", {"": D("400")}),
    "LIVING_PRIMARY": (("小学",), (1, 2, 3, 4, 5, 6), "boarding", {"住校": D("500"), "走读": D("250")}),
    "LIVING_JUNIOR": (("初中",), (7, 8, 9), "boarding", {"住校": D("625"), "走读": D("312.50")}),
    "HS_GRANT": (("高中",), (1, 2, 3), "fixed", {"": D("1500")}),
    "HS_TUITION": (("高中",), (1, 2, 3), "tier", {"省示范": D("850"), "市示范": D("700"), "民办": D("350")}),
    "VOC_GRANT": (("中职",), (1, 2), "fixed", {"": D("1500")}),
}


def test_default_items_equal_spec_table(policy):
    assert policy.codes == tuple(SPEC_TABLE)
    for code, (stages, grades, kind, amounts) in SPEC_TABLE.items():
        item = policy.item(code)
        assert item.stages == stages, code
        assert item.grades == grades, code
        assert item.rate.kind == kind, code
        assert item.rate.table == amounts, code
        assert item.periods == ()
        assert all(isinstance(v, Decimal) for v in item.rate.table.values())
    assert policy.item("LIVING_PRIMARY").name == "义务教育家庭经济困难学生生活补助（小学）"
    assert policy.item("VOC_GRANT").name == "中等职业学校国家助学金"
    assert policy.source == "默认政策"
    assert policy.funded_stages == ("幼儿园", "小学", "初中", "高中", "中职")


def test_default_statuses_follow_spec(policy):
    for status in ["未脱贫", "已脱贫", "已脱贫（享受政策）", "已脱贫(享受政策)", " 返贫 ", "脱贫不稳定户",
                   "边缘易致贫户", "突发严重困难户", "脱贫户"]:
        assert policy.is_eligible(status) is True, status
    for status in ["已脱贫（不再享受政策）", "已脱贫(不再享受政策)", "风险已消除"]:
        assert policy.is_eligible(status) is False, status
    assert policy.is_eligible("不知道") is None
    assert policy.is_eligible(None) is None and policy.is_eligible("  ") is None


def test_default_roster_statuses(policy):
    for s in ["在读", "在籍", "复学", "01", "05", "1", "5", "在校", "正常"]:
        assert policy.is_active(s) is True, s
    for s in ["休学", "退学", "停学", "流失", "毕业", "转学", "转出", "转学(转出)", "死亡", "02", "10", "99"]:
        assert policy.is_active(s) is False, s
    assert policy.is_active("请假") is None


def test_hardship_types(policy):
    assert policy.is_jdlk("建档立卡") is True
    assert policy.is_jdlk("建档立卡贫困家庭") is True
    assert policy.is_jdlk("防返贫监测对象") is True
    for other in ["农村低保", "城市特困供养", "残疾", "孤儿", "一般困难", "其他"]:
        assert policy.is_jdlk(other) is False, other
    assert policy.is_jdlk("低保、建档立卡") is True          # several types in one cell
    assert policy.is_jdlk("低保/残疾") is False
    assert policy.is_jdlk("外星人/火星人") is None           # no listed type, no telling word
    assert policy.is_jdlk("低保/外星人") is False           # the word 低保 decides (keyword fallback)
    assert policy.is_jdlk("外星人") is None


def test_vectorised_classifiers(policy):
    s = pd.Series(["已脱贫(享受政策)", "x", None, "已脱贫（不再享受政策）", "x"], index=[5, 6, 7, 8, 9])
    out = policy.eligibility(s)
    assert str(out.dtype) == "boolean"
    assert list(out.index) == [5, 6, 7, 8, 9]
    assert out.tolist() == [True, pd.NA, pd.NA, False, pd.NA]
    assert policy.activity(pd.Series(["在读", "休学"], dtype="str")).tolist() == [True, False]
    assert policy.jdlk(pd.Series(["建档立卡", "低保"])).tolist() == [True, False]


def test_dropout_window(policy):
    assert policy.dropout_window(2019) == (date(2003, 9, 1), date(2013, 8, 31))
    assert policy.dropout_window(2020) == (date(2004, 9, 1), date(2014, 8, 31))
    assert policy.dropout.compulsory_stages == ("小学", "初中")


def test_dropout_window_setting(raw):
    raw["dropout"]["max_age"] = 16
    p = policy_from_mapping(raw)
    assert p.dropout_window(2019) == (date(2002, 9, 1), date(2013, 8, 31))


def test_to_dict_is_json_with_string_amounts(policy):
    d = policy.to_dict()
    json.dumps(d, ensure_ascii=False)
    junior = next(i for i in d["items"] if i["code"] == "LIVING_JUNIOR")
    assert junior["amount_by_boarding"] == {"住校": "625.00", "走读": "312.50"}
    assert d["items"][0]["amount"] == "400.00"
    assert d["dropout"] == {"min_age": 6, "max_age": 15, "age_on": "08-31", "compulsory_stages": ["小学", "初中"]}


def test_policy_is_frozen(policy):
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.items = ()  # type: ignore[misc]


# =========================================================================== entitlement


@pytest.mark.parametrize("stage, grade, codes", [
    ("幼儿园", None, ["PRESCHOOL"]),
    ("幼儿园", 2, ["PRESCHOOL"]),
    ("小学", None, ["LIVING_PRIMARY"]),           # unknown grade: the item covers all of 小学
    ("小学", 6, ["LIVING_PRIMARY"]),
    ("初中", 8, ["LIVING_JUNIOR"]),
    ("初中", None, ["LIVING_JUNIOR"]),
    ("初中", 2, ["LIVING_JUNIOR"]),                # 初二 written as 2 is read as 8
    ("高中", 3, ["HS_GRANT", "HS_TUITION"]),
    ("普通高中", 11, ["HS_GRANT", "HS_TUITION"]),  # stage synonym, 高二 written as 11
    ("中职", 1, ["VOC_GRANT"]),
    ("中职", "2", ["VOC_GRANT"]),
    ("中职", 3, []),
    ("中职", None, []),                            # VOC_GRANT covers only years 1-2
    ("高职", 1, []),
    (None, 1, []),
])
def test_entitled_items(policy, stage, grade, codes):
    assert [it.code for it in policy.entitled_items(stage, grade)] == codes


# =========================================================================== amounts


def test_amounts(policy):
    assert policy.amount("PRESCHOOL", "2020春") == D("400.00")
    assert policy.amount("LIVING_PRIMARY", "2020秋", "住校") == D("500")
    assert policy.amount("LIVING_PRIMARY", "2020秋", "走读") == D("250")
    assert policy.amount("LIVING_PRIMARY", "2020秋", "寄宿生") == D("500")
    assert policy.amount("LIVING_JUNIOR", "2020秋", "1") == D("312.50")     # JY code 1 = 走读
    assert policy.amount("LIVING_JUNIOR", "2020秋", "2") == D("625")
    assert policy.amount("HS_TUITION", "2020秋", tier="省示范") == D("850")
    assert policy.amount("HS_TUITION", "2020秋", tier="市级示范高中") == D("700")
    assert policy.amount("HS_TUITION", "2020秋", tier="民办") == D("350")
    assert policy.amount("HS_GRANT", None) == D("1500")


def test_amount_not_checked_has_reason(policy):
    r = policy.amount_result("HS_TUITION", "2020秋", tier="普通")
    assert r.amount is None and not r.checked
    assert "普通" in r.reason and "不核对" in r.reason
    assert r.candidates == (D("350"), D("700"), D("850"))
    r = policy.amount_result("HS_TUITION", "2020秋", tier="火星示范")
    assert r.amount is None and "火星示范" in r.reason
    r = policy.amount_result("HS_TUITION", "2020秋", tier=None)
    assert r.amount is None and "学校等级不明" in r.reason
    r = policy.amount_result("LIVING_PRIMARY", "2020秋", boarding="其他")
    assert r.amount is None and "就读方式" in r.reason
    assert r.candidates == (D("250"), D("500"))


def test_amount_unknown_code(policy):
    with pytest.raises(KeyError):
        policy.amount("NOPE", "2020秋")


PERIODS_TOML = """
[[items]]
code = "LIVING_PRIMARY"
name = "生活补助（小学）"
stages = ["小学"]
amount_by_boarding = { "住校" = "500", "走读" = "250" }
aliases = ["生活补助"]

[[items.periods]]
from = "2023秋"
amount_by_boarding = { "住校" = "625", "走读" = "312.50" }

[[items.periods]]
from = "2021年秋季"
amount = "300"
note = "这一年不分住校走读"

[statuses]
eligible = ["未脱贫"]

[roster]
active = ["在读"]

[hardship]
jdlk = ["建档立卡"]
"""


def test_periods(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(PERIODS_TOML, encoding="utf-8")
    p = load_policy(path)
    item = p.item("LIVING_PRIMARY")
    assert [per.start for per in item.periods] == ["2021秋", "2023秋"]       # sorted, canonical
    assert p.amount("LIVING_PRIMARY", "2021春", "住校") == D("500")          # before any period
    assert p.amount("LIVING_PRIMARY", "2020-autumn", "住校") == D("500")
    assert p.amount("LIVING_PRIMARY", "2021秋", "住校") == D("300")          # from this semester on
    assert p.amount("LIVING_PRIMARY", "2023春", "走读") == D("300")
    assert p.amount("LIVING_PRIMARY", "2023秋", "走读") == D("312.50")
    assert p.amount("LIVING_PRIMARY", "2030春", "住校") == D("625")
    assert p.amount("LIVING_PRIMARY", None, "住校") == D("500")             # base standard
    assert p.source == str(path)
    assert p.to_dict()["items"][0]["periods"][0] == {"from": "2021秋", "amount": "300.00",
                                                     "note": "这一年不分住校走读"}
    with pytest.raises(ValueError):
        p.amount("LIVING_PRIMARY", "下学期", "住校")


# =========================================================================== item names


@pytest.mark.parametrize("name, stage, expected", [
    # REFERENCE §1 spellings
    ("学前教育资助-家庭经济困难幼儿园补助", "幼儿园", "PRESCHOOL"),
    ("学前教育家庭经济困难儿童资助", None, "PRESCHOOL"),
    ("义务教育资助-农村义务教育阶段家庭经济困难寄宿生生活补助", "小学", "LIVING_PRIMARY"),
    ("义务教育资助-农村义务教育阶段家庭经济困难寄宿生生活补助", "初中", "LIVING_JUNIOR"),
    ("对义务教育家庭经济困难寄宿生补助生活费", "初中", "LIVING_JUNIOR"),
    ("义务教育家庭经济困难非寄宿生生活补助", "小学", "LIVING_PRIMARY"),
    ("普高教育资助-国家助学金", "高中", "HS_GRANT"),
    ("普通高中国家助学金", None, "HS_GRANT"),
    ("普高教育资助-免除学杂费", "高中", "HS_TUITION"),
    ("免除普通高中家庭经济困难学生学费", None, "HS_TUITION"),
    ("中职教育资助-国家助学金", "中职", "VOC_GRANT"),
    ("中等职业国家助学金", None, "VOC_GRANT"),
    ("中职教育资助-免除学杂费", "中职", IGNORED),
    ("中等职业教育国家奖学金", None, IGNORED),
    ("大学新生入学资助", None, IGNORED),
    ("生源地信用助学贷款", None, IGNORED),
    ("营养改善计划", "小学", IGNORED),
    # a bare alias resolves by stage (SPEC)
    ("义务教育家庭经济困难学生生活补助", "小学", "LIVING_PRIMARY"),
    ("义务教育家庭经济困难学生生活补助", "初中", "LIVING_JUNIOR"),
    ("义务教育家庭经济困难学生生活补助", None, None),
    ("义务教育家庭经济困难学生生活补助", "高中", None),
    ("生活补助", "小学", "LIVING_PRIMARY"),
    ("寄宿生生活补助", "初中", "LIVING_JUNIOR"),
    ("国家助学金", "高中", "HS_GRANT"),
    ("国家助学金", "普通高中", "HS_GRANT"),
    ("国家助学金", "中职", "VOC_GRANT"),
    ("国家助学金", None, None),
    ("免学费", "高中", "HS_TUITION"),
    ("免学杂费", "中职", IGNORED),
    ("免学费", "初中", IGNORED),
    ("免学费", None, None),
    # a name specific to one item resolves whatever the stage: reconcile judges the mismatch
    ("普通高中国家助学金", "初中", "HS_GRANT"),
    ("小学生活补助", "初中", "LIVING_PRIMARY"),
    # normalisation: spaces, full-width, half-width brackets, other dashes, codes, item names
    (" 普高教育资助 — 国家助学金 ", "高中", "HS_GRANT"),
    ("普高教育资助－国家助学金", "高中", "HS_GRANT"),
    ("义务教育家庭经济困难学生生活补助(小学)", None, "LIVING_PRIMARY"),
    ("living_junior", None, "LIVING_JUNIOR"),
    ("ＨＳ＿ＧＲＡＮＴ", None, "HS_GRANT"),
    # unknown
    ("外星人补助", "小学", None),
    ("", "小学", None),
    (None, "小学", None),
])
def test_resolve_item(policy, name, stage, expected):
    assert policy.resolve_item(name, stage) == expected


def test_resolve_items_vectorised_matches_scalar(policy):
    names = pd.Series(["生活补助", "生活补助", "免学费", None, "外星人补助", "国家助学金", "生活补助"],
                      index=list("abcdefg"), dtype="str")
    stages = pd.Series(["小学", "初中", "中职", "小学", None, "中职", "小学"], index=list("abcdefg"))
    out = policy.resolve_items(names, stages)
    assert list(out.index) == list("abcdefg")
    assert out.tolist() == [policy.resolve_item(n, s) for n, s in zip(names, stages)]
    assert out.tolist() == ["LIVING_PRIMARY", "LIVING_JUNIOR", IGNORED, None, None, "VOC_GRANT",
                            "LIVING_PRIMARY"]
    assert policy.resolve_items(names).tolist()[0] is None      # no stages given


def test_unknown_item_names_counts(policy):
    names = pd.Series(["外星人补助"] * 12 + [" 外星人补助"] + ["生活补助"] * 3 + ["生活补助"] * 5 + [None])
    stages = pd.Series([None] * 13 + ["高中"] * 3 + ["小学"] * 5 + ["小学"])
    assert policy.unknown_item_names(names, stages) == {"外星人补助": 13, "生活补助": 3, "": 1}


# =========================================================================== unknown values stop the run


def test_check_values_item_message(policy):
    with pytest.raises(PolicyError) as exc:
        policy.check_values("item", {"yyy": 3, "xxx": 12, "普通高中国家助学金": 99})
    msg = exc.value.message
    assert "未说明以下资助项目：“xxx”（12 行）、“yyy”（3 行）；" in msg
    assert "普通高中国家助学金" not in msg
    assert "aliases 或 ignored_items" in msg
    assert "fupin init" in msg                         # default policy: tells how to get an editable file


def test_check_values_explains_stage_ambiguity(policy):
    with pytest.raises(PolicyError) as exc:
        policy.check_values("item", {"生活补助": 3}, where="文件 全国.xlsx")
    msg = exc.value.message
    assert msg.startswith("文件 全国.xlsx：")
    assert "LIVING_PRIMARY、LIVING_JUNIOR" in msg and "学段" in msg


def test_check_values_passes_when_all_known(policy):
    policy.check_values("item", {"普高教育资助-国家助学金": 10, "营养改善计划": 2})
    policy.check_values("poverty_status", {"未脱贫": 10, "已脱贫(不再享受政策)": 1})
    policy.check_values("enrolment_status", {"在读": 10, "02": 1})
    policy.check_values("hardship_type", {"建档立卡": 10, "农村低保": 2})
    policy.check_values("tier", {"省示范": 1, "普通": 4})
    policy.check_values("item", {})


@pytest.mark.parametrize("kind, noun, place", [
    ("poverty_status", "脱贫属性", "[statuses]"),
    ("enrolment_status", "学籍状态", "[roster]"),
    ("hardship_type", "家庭经济困难类型", "[hardship]"),
    ("tier", "学校等级", "[tiers]"),
])
def test_check_values_other_kinds(tmp_path, kind, noun, place):
    path = tmp_path / "policy.toml"
    path.write_bytes(data_bytes(DEFAULT_POLICY))
    p = load_policy(path)
    with pytest.raises(PolicyError) as exc:
        p.check_values(kind, {"怪值": 7, "": 2, "另一个怪值": 1})
    msg = exc.value.message
    assert f"policy.toml（{path}）未说明以下{noun}：“怪值”（7 行）、空白（2 行）、“另一个怪值”（1 行）" in msg
    assert place in msg


def test_unknown_values_generic(policy):
    s = pd.Series(["在读"] * 4 + ["请假"] * 2 + ["休学", None])
    assert policy.unknown_values("enrolment_status", s) == {"请假": 2, "": 1}
    with pytest.raises(ValueError):
        policy.check_values("colour", {"x": 1})


# =========================================================================== loading: errors


def test_broken_file_lists_every_problem(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text("""
title = "坏政策"

[[items]]
code = "PRESCHOOL"
name = "学前"
stages = ["幼儿园"]
amount = "四百"

[[items]]
code = "PRESCHOOL"
name = "学前2"
stages = ["学前班"]
amount = "-5"
colour = "red"

[[items]]
name = "没有代码"
stages = ["小学"]

[[items]]
code = "HS_GRANT"
stages = ["普通高中"]
amount = 0.1

[statuses]
eligible = ["未脱贫", "返贫"]
ineligible = ["返贫"]

[roster]
active = ["在读"]

[hardship]
jdlk = ["建档立卡"]
other = ["低保"]
""", encoding="utf-8")
    with pytest.raises(PolicyError) as exc:
        load_policy(path)
    msg = exc.value.message
    assert msg.startswith(f"policy.toml（{path}） 有 ")
    expected = [
        "[[items]] 第 1 项（PRESCHOOL）：amount 不是有效金额：“四百”",
        "[[items]] 第 2 项（PRESCHOOL）：不认识的设置项“colour”",
        "[[items]] 第 2 项（PRESCHOOL）：code“PRESCHOOL”与第 1 项重复",
        "[[items]] 第 2 项（PRESCHOOL）：stages 中的学段“学前班”不认识",
        "[[items]] 第 2 项（PRESCHOOL）：amount 金额不能为负数：-5",
        "[[items]] 第 3 项：缺少 code",
        "[[items]] 第 3 项：缺少金额",
        "[[items]] 第 4 项（HS_GRANT）：缺少 name",
        "[[items]] 第 4 项（HS_GRANT）：stages 中的学段“普通高中”不认识（只能是 幼儿园、小学、初中、高中、中职）；是否指“高中”？",
        "[[items]] 第 4 项（HS_GRANT）：amount 金额 0.1 写成了小数",
        "[statuses]：“返贫”同时列在 eligible 和 ineligible 中",
    ]
    for part in expected:
        assert part in msg, part
    assert f"有 {len(expected)} 处错误" in msg


def test_toml_syntax_error_names_line(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text('[[items]]\ncode = "A"\nname = “学前”\n', encoding="utf-8")
    with pytest.raises(PolicyError) as exc:
        load_policy(path)
    msg = exc.value.message
    assert str(path) in msg and "第 3 行" in msg and "格式错误" in msg
    assert "该行内容：name = “学前”" in msg


def test_unquoted_chinese_key_hint(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text('[[items]]\namount_by_boarding = { 住校 = "500" }\n', encoding="utf-8")
    with pytest.raises(PolicyError) as exc:
        load_policy(path)
    assert "第 2 行" in exc.value.message and '"住校" = "500"' in exc.value.message


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(PolicyError, match="找不到政策文件"):
        load_policy(tmp_path / "nope.toml")
    with pytest.raises(PolicyError, match="是文件夹"):
        load_policy(tmp_path)
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes('title = "默认"\n'.encode("gbk"))
    with pytest.raises(PolicyError, match="UTF-8"):
        load_policy(gbk)


def test_bom_is_accepted(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_bytes(b"\xef\xbb\xbf" + data_bytes(DEFAULT_POLICY))
    assert load_policy(path).items == load_policy().items


def test_amount_forms(raw):
    _item(raw, "PRESCHOOL")["amount"] = 312.5            # exact float: accepted
    _item(raw, "HS_GRANT")["amount"] = 1500              # integer: accepted
    _item(raw, "VOC_GRANT")["amount"] = " 1500.0 "
    p = policy_from_mapping(raw)
    assert p.amount("PRESCHOOL", "2020秋") == D("312.50")
    assert p.amount("HS_GRANT", "2020秋") == D("1500.00")
    assert p.amount("VOC_GRANT", "2020秋") == D("1500.00")


@pytest.mark.parametrize("mutate, fragments", [
    (lambda r: _item(r, "PRESCHOOL").__setitem__("amount", "312.555"), ["最多两位小数"]),
    (lambda r: _item(r, "PRESCHOOL").__setitem__("amount", "400元"), ["不是有效金额：“400元”"]),
    (lambda r: _item(r, "PRESCHOOL").__setitem__("amount", "NaN"), ["不是有效金额"]),
    (lambda r: _item(r, "PRESCHOOL").__setitem__("amount", True), ["不是金额"]),
    (lambda r: _item(r, "PRESCHOOL").__setitem__("amount_by_tier", {"省示范": "1"}),
     ["amount、amount_by_tier 只能写一个"]),
    (lambda r: _item(r, "LIVING_PRIMARY").__setitem__("amount_by_boarding", {"寄宿": "500"}),
     ["不认识“寄宿”", "缺少“住校”的金额", "缺少“走读”的金额"]),
    (lambda r: _item(r, "HS_TUITION").__setitem__("amount_by_tier", {}), ["amount_by_tier 不能为空"]),
    (lambda r: _item(r, "VOC_GRANT").__setitem__("grades", [1, "二", 13, 1]),
     ["grades 中的 '二' 不是", "grades 中的 13 不是", "grades 中的年级重复：1"]),
    (lambda r: _item(r, "VOC_GRANT").__setitem__("code", "voc grant"), ["只能由大写英文字母"]),
    (lambda r: _item(r, "VOC_GRANT").__setitem__("stages", []), ["stages 不能为空"]),
    (lambda r: _item(r, "VOC_GRANT").__setitem__("aliases", "国家助学金"), ["aliases 应是用方括号写的列表"]),
    (lambda r: _item(r, "VOC_GRANT").__setitem__("ignored_items", ["x"]),
     ["“ignored_items”应写在文件开头"]),
    (lambda r: _item(r, "VOC_GRANT").__setitem__("stages", ["中职", "高中"]),
     ["“国家助学金”同时是 HS_GRANT 和 VOC_GRANT", "学段重叠（高中）"]),
    (lambda r: r["ignored_items"].append("生活补助"),
     ["“生活补助”也是 LIVING_PRIMARY 的名称或别名", "“生活补助”也是 LIVING_JUNIOR"]),
    (lambda r: r["ignored_items"].append({"name": "免学费", "stages": ["高中"]}),
     ["“免学费”在 高中 学段是 HS_TUITION 的别名"]),
    (lambda r: r["ignored_items"].append({"nom": "x"}), ["不认识的设置项“nom”", "缺少 name"]),
    (lambda r: r["ignored_items"].append(3), ["应是文字或"]),
    (lambda r: r["statuses"].__setitem__("ineligible", ["已脱贫(享受政策)"]),
     ["“已脱贫(享受政策)”同时列在 eligible 和 ineligible 中"]),
    (lambda r: r["roster"]["inactive"].append("在读"), ["[roster]：“在读”同时列在 active 和 inactive 中"]),
    (lambda r: r["hardship"]["other"].append("建档立卡"), ["[hardship]：“建档立卡”同时列在 jdlk 和 other 中"]),
    (lambda r: r["statuses"].pop("eligible"), ["[statuses]：缺少 eligible"]),
    (lambda r: r.pop("roster"), ["缺少 [roster] 部分"]),
    (lambda r: r.pop("items"), ["缺少 [[items]] 部分"]),
    (lambda r: r.__setitem__("items", []), ["至少要有一个 [[items]]"]),
    (lambda r: r.__setitem__("colour", "red"), ["不认识的设置项“colour”"]),
    (lambda r: r["tiers"]["省示范"].append("民办高中"), ["“民办高中”同时出现在“省示范”和“民办”中"]),
    (lambda r: _item(r, "HS_TUITION")["amount_by_tier"].__setitem__("省级示范", "1"),
     ["amount_by_tier 中的“省级示范”在 [tiers] 中是“省示范”的别名"]),
    (lambda r: r["dropout"].update(min_age=16, max_age=15), ["min_age（16）不能大于 max_age（15）"]),
    (lambda r: r["dropout"].update(age_on="02-29"), ["不能用 2 月 29 日"]),
    (lambda r: r["dropout"].update(age_on="8月31日", max_age="15"),
     ["age_on 应写成 \"月-日\"", "max_age 应是 0-30 的整数"]),
    (lambda r: r["dropout"].update(compulsory_stages=["义务教育"]), ["学段“义务教育”不认识"]),
    (lambda r: _item(r, "PRESCHOOL").__setitem__("periods", [{"from": "2021秋"}, {"from": "2021年秋季", "amount": "1"},
                                                            {"from": "明年", "amount": "1", "x": 1}]),
     ["第 1 段 [[items.periods]]：缺少金额", "第 2 段 [[items.periods]]：from“2021年秋季”与第 1 段重复",
      "第 3 段 [[items.periods]]：from“明年”不是学期", "第 3 段 [[items.periods]]：不认识的设置项“x”"]),
])
def test_validation_problems(raw, mutate, fragments):
    mutate(raw)
    msg = _problems(raw)
    for fragment in fragments:
        assert fragment in msg, (fragment, msg)
    assert f"有 {msg.count(chr(10))} 处错误" in msg      # one numbered line per problem


def test_optional_sections_have_defaults(raw):
    for key in ("ignored_items", "tiers", "dropout", "title"):
        raw.pop(key)
    raw["statuses"].pop("ineligible")
    p = policy_from_mapping(raw)
    assert p.dropout_window(2019) == (date(2003, 9, 1), date(2013, 8, 31))
    assert p.amount("HS_TUITION", "2020秋", tier="省示范") == D("850")   # tier names from the table
    assert p.normalize_tier("省级示范") is None
    assert p.resolve_item("营养改善计划") == IGNORED        # not listed: its words say it is not cash aid
    assert p.resolve_item("火星补贴") is None
