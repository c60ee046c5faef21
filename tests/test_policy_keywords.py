"""Values the policy does not list exactly are decided by their words when those leave no doubt."""

from __future__ import annotations

import pandas as pd
import pytest

from jiaoyu_fupin.policy import load_policy
from jiaoyu_fupin.policy.model import IGNORED

P = load_policy(None)


@pytest.mark.parametrize("name, stage, code", [
    ("普通高中助学金", "高中", "HS_GRANT"),
    ("国家助学金（中职）", None, "VOC_GRANT"),
    ("家庭经济困难寄宿生生活费补助", "初中", "LIVING_JUNIOR"),
    ("义务教育寄宿生生活补助", "小学", "LIVING_PRIMARY"),
    ("学前教育资助金", "幼儿园", "PRESCHOOL"),
    ("普高免学费", None, "HS_TUITION"),
    ("中职免学费", "中职", IGNORED),            # the default policy does not fund it: read, not judged
    ("生源地信用助学贷款", None, IGNORED),
    ("国家奖学金", "高中", IGNORED),
    ("家庭经济困难学生补助", "初中", "LIVING_JUNIOR"),
    ("交通补助", "小学", None),                 # nothing says what it is: the run stops and asks
    ("助学金", None, None),                     # stage unknown: cannot tell HS from VOC
])
def test_items_by_keywords(name, stage, code):
    assert P.resolve_item(name, stage) == code


@pytest.mark.parametrize("value, expected", [
    ("脱贫户（享受政策）", True), ("已脱贫(不享受政策)", False), ("风险已消除", False), ("稳定脱贫", None),
])
def test_poverty_status_by_keywords(value, expected):
    assert P.is_eligible(value) is expected


@pytest.mark.parametrize("value, expected", [
    ("正常在读", True), ("休学中", False), ("复学在读", True), ("已毕业", False), ("借读", None),
])
def test_roster_status_by_keywords(value, expected):
    assert P.is_active(value) is expected


@pytest.mark.parametrize("value, expected", [
    ("建档立卡贫困户", True), ("低保户", False), ("非建档立卡", False), ("残疾人家庭子女", False),
    ("外星人", None),
])
def test_hardship_by_keywords(value, expected):
    assert P.is_jdlk(value) is expected


def test_keyword_decisions_are_reported():
    got = P.keyword_decisions("item", pd.Series(["高中学费减免", "普通高中国家助学金"]), pd.Series(["高中", "高中"]))
    assert list(got) == ["高中学费减免（高中）"]
    assert "HS_TUITION" in got["高中学费减免（高中）"]
    st = P.keyword_decisions("enrolment_status", pd.Series(["在读", "休学中"]))
    assert st == {"休学中": "不在读"}


def test_keyword_warning_names_the_values_once():
    w = P.keyword_warning("enrolment_status", ["在读", "休学中", "休学中", None], where="学生名册")
    assert w.startswith("学生名册中有政策文件未列出的学籍状态，已按字面判断")
    assert "“休学中”→不在读" in w and w.count("休学中") == 1
    assert P.keyword_warning("enrolment_status", ["在读"], where="学生名册") is None
    w = P.keyword_warning("item", ["高中学费减免"] * 3, ["高中"] * 3, where="资助发放数据")
    assert "“高中学费减免（高中）”→HS_TUITION" in w


def test_reconcile_and_dropout_report_values_decided_by_their_words(files, ids, tmp_path):
    import json

    from click.testing import CliRunner

    from jiaoyu_fupin.cli import main

    a, b = ids(2)
    reg = files.xlsx("建档立卡.xlsx", [["姓名", "身份证号", "村", "脱贫属性"], ["张三", a, "东村", "脱贫不稳定户（监测）"],
                                     ["李四", b, "东村", "已脱贫"]])
    roster = files.xlsx("名册/城关小学.xlsx", [["学校名称", "姓名", "身份证号", "年级", "学籍状态"],
                                            ["城关小学", "张三", a, "三年级", "正常在读中"],
                                            ["城关小学", "李四", b, "四年级", "在读"]])
    nat = files.xlsx("全国.xlsx", [["姓名", "身份证号", "资助项目", "金额", "学期"],
                                 ["张三", a, "义务教育寄宿生补助", "500", "2020秋"]])
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["-q", "reconcile", "--registry", str(reg), "--national", str(nat),
                                    "--roster", str(roster.parent), "--semester", "2020秋", "-o", str(out / "r")])
    assert res.exit_code == 0, res.output
    warnings = json.loads((out / "r" / "run.json").read_text(encoding="utf-8"))["warnings"]
    assert any(w.startswith("学生名册中有政策文件未列出的学籍状态") and "正常在读中" in w for w in warnings)
    res = CliRunner().invoke(main, ["-q", "dropout-check", "--registry", str(reg), "--roster", str(roster.parent),
                                    "--school-year", "2020", "-o", str(out / "d")])
    assert res.exit_code == 0, res.output
    warnings = json.loads((out / "d" / "run.json").read_text(encoding="utf-8"))["warnings"]
    assert any("学籍状态" in w and "正常在读中" in w for w in warnings)
