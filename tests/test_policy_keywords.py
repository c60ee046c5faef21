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
