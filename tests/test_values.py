"""Small vocabularies: boarding, enrolment status, stage/grade, school names, amounts, tier, sex."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiaoyu_fupin.normalize.values import (
    boarding,
    boardings,
    enrolment_status,
    enrolment_statuses,
    format_amount,
    map_distinct,
    map_distinct_pairs,
    parse_amount,
    parse_amounts,
    parse_grade,
    parse_grades,
    parse_stage,
    parse_stages,
    parse_tier,
    parse_tiers,
    sex_of,
    sexes_of,
    stage_from_school_name,
    stages_from_school_names,
)

# ---------------------------------------------------------------------------------- helpers


def test_map_distinct_calls_once_per_distinct_value():
    calls = []

    def f(x):
        calls.append(x)
        return x.upper()

    s = pd.Series(["a", "b", None, "a", "b", "a"], index=list("uvwxyz"), name="col")
    out = map_distinct(s, f)
    assert sorted(calls) == ["a", "b"]
    assert out.tolist() == ["A", "B", "", "A", "B", "A"]
    assert list(out.index) == list("uvwxyz") and out.name == "col"
    assert map_distinct(pd.Series([], dtype=str), f).tolist() == []


def test_map_distinct_pairs():
    a = pd.Series(["x", "x", "y", None, "x"])
    b = pd.Series(["1", "2", "1", "1", "1"])
    seen = []

    def f(x, y):
        seen.append((x, y))
        return f"{x}{y}"

    out = map_distinct_pairs(a, b, f)
    assert out.tolist() == ["x1", "x2", "y1", "None1", "x1"]
    assert len(seen) == 4
    assert map_distinct_pairs(a, None, lambda x, y: str(y)).tolist() == ["None"] * 5


# ---------------------------------------------------------------------------------- boarding


@pytest.mark.parametrize(
    ("text", "expected"),
    [("住校", "住校"), ("寄宿", "住校"), ("寄宿生", "住校"), ("住宿", "住校"), ("2", "住校"), ("02", "住校"),
     ("2.0", "住校"), (2.0, "住校"), ("是", "住校"), ("走读", "走读"), ("走读生", "走读"), ("非寄宿", "走读"),
     ("非寄宿生", "走读"), ("不住校", "走读"), ("否", "走读"), ("1", "走读"), (1, "走读"), ("9", ""),
     ("其他", ""), ("", ""), (None, ""), (float("nan"), ""), ("xyz", "")],
)
def test_boarding(text, expected):
    assert boarding(text) == expected


def test_boarding_yes_flag():
    assert boarding("是", yes_means_boarding=True) == "住校"
    assert boarding("否", yes_means_boarding=True) == "走读"
    assert boarding("是", yes_means_boarding=False) == "走读"  # a 是否走读 column
    assert boarding("否", yes_means_boarding=False) == "住校"
    assert boarding("是", yes_means_boarding=None) == ""
    assert boarding("住校", yes_means_boarding=None) == "住校"
    assert boardings(pd.Series(["是", "否", None]), yes_means_boarding=False).tolist() == ["走读", "住校", ""]


# ---------------------------------------------------------------------------------- enrolment


@pytest.mark.parametrize(
    ("text", "expected"),
    [("01", "在读"), ("1", "在读"), ("1.0", "在读"), (1.0, "在读"), ("02", "休学"), ("03", "退学"),
     ("04", "停学"), ("05", "复学"), ("06", "流失"), ("07", "毕业"), ("08", "结业"), ("09", "肄业"),
     ("10", "转学"), ("11", "死亡"), ("12", "保留入学资格"), ("13", "公派出国"), ("14", "开除"),
     ("15", "下落不明"), ("99", "其他"),
     ("在读", "在读"), ("在籍", "在读"), ("在校", "在读"), ("正常", "在读"), (" 在 读 ", "在读"),
     ("复学", "复学"), ("休学", "休学"), ("转出", "转学"), ("转学", "转学"), ("已转出", "转学"),
     ("转学（转出）", "转学"), ("退学", "退学"), ("辍学", "流失"), ("流失", "流失"), ("毕业", "毕业"),
     ("死亡", "死亡"), ("停学", "停学"), ("01在读", "在读"), ("在读(01)", "在读"),
     ("", ""), (None, ""), ("请假", "请假"), ("16", "16"), ("未知 状态", "未知状态")],
)
def test_enrolment_status(text, expected):
    assert enrolment_status(text) == expected


def test_enrolment_statuses_vectorised():
    assert enrolment_statuses(pd.Series(["01", None, "转出", "x"])).tolist() == ["在读", "", "转学", "x"]


# ---------------------------------------------------------------------------------- stage / grade


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ("一年级", None, ("小学", 1)),
        ("六年级", None, ("小学", 6)),
        ("小学三年级", None, ("小学", 3)),
        ("3", None, ("小学", 3)),
        ("初一", None, ("初中", 7)),
        ("初三", None, ("初中", 9)),
        ("七年级", None, ("初中", 7)),
        ("八年级", None, ("初中", 8)),
        ("初中一年级", None, ("初中", 7)),
        ("7年级", None, ("初中", 7)),
        ("七年级3班", None, ("初中", 7)),
        ("初二(3)班", None, ("初中", 8)),
        ("高一", None, ("高中", 1)),
        ("高三", None, ("高中", 3)),
        ("高中一年级", None, ("高中", 1)),
        ("普通高中一年级", None, ("高中", 1)),
        ("普通高中三年级", None, ("高中", 3)),
        ("10年级", None, ("高中", 1)),
        ("十二年级", None, ("高中", 3)),
        ("中职一年级", None, ("中职", 1)),
        ("中职三年级", None, ("中职", 3)),
        ("高职高专一年级", None, ("高职", 1)),
        ("技师学院一年级", None, ("中职", 1)),
        ("本科一年级", None, ("本科", 1)),
        ("硕士研究生及以上", None, ("研究生", None)),
        ("托班", None, ("幼儿园", 0)),
        ("小班", None, ("幼儿园", 1)),
        ("中班", None, ("幼儿园", 2)),
        ("大班", None, ("幼儿园", 3)),
        ("学前班", None, ("幼儿园", 3)),
        ("学前班", "小学", ("幼儿园", 3)),
        ("学龄前儿童", None, ("学龄前", None)),
        ("学前教育", None, ("幼儿园", None)),
        ("小学", None, ("小学", None)),
        ("", None, ("", None)),
        (None, None, ("", None)),
        ("不知道", None, ("", None)),
        # hints
        ("一年级", "初中", ("初中", 7)),
        ("三年级", "初级中学", ("初中", 9)),
        ("1", "初中", ("初中", 7)),
        ("七年级", "初中", ("初中", 7)),
        ("一年级", "高中", ("高中", 1)),
        ("一年级", "普通高中", ("高中", 1)),
        ("一年级", "中职", ("中职", 1)),
        ("一年级", "小学", ("小学", 1)),
        ("七年级", "小学", ("初中", 7)),  # explicit 七年级 beats the hint
        ("七年级", "高中", ("初中", 7)),
        ("二年级", "九年一贯制", ("小学", 2)),
        ("五年级", "初中", ("初中", None)),  # no 五年级 in a 初中
    ],
)
def test_parse_grade(text, hint, expected):
    assert parse_grade(text, hint) == expected


def test_parse_grade_cohort():
    assert parse_grade("2019级", "小学", school_year=2020) == ("小学", 2)
    assert parse_grade("2019级", "初中", school_year=2020) == ("初中", 8)
    assert parse_grade("2019级", "高中", school_year=2019) == ("高中", 1)
    assert parse_grade("2019级", "小学") == ("小学", None)
    assert parse_grade("2010级", "初中", school_year=2020) == ("初中", None)  # out of range


def test_parse_grades_vectorised():
    g = pd.Series(["一年级", "一年级", None, "高一", "一年级"], index=[3, 4, 5, 6, 7])
    h = pd.Series(["小学", "初中", "初中", None, "初中"])
    df = parse_grades(g, h)
    assert list(df.columns) == ["stage", "grade"]
    assert list(df.index) == [3, 4, 5, 6, 7]
    assert df["stage"].tolist() == ["小学", "初中", "", "高中", "初中"]
    assert df["grade"].tolist() == [1, 7, pd.NA, 1, 7]
    assert str(df["grade"].dtype) == "Int64"
    df2 = parse_grades(pd.Series(["七年级", "小学"]))
    assert df2["stage"].tolist() == ["初中", "小学"]
    assert df2["grade"].tolist() == [7, pd.NA]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("学前", "幼儿园"), ("学前教育", "幼儿园"), ("小学", "小学"), ("初中", "初中"), ("普通高中", "高中"),
     ("高中", "高中"), ("中等职业教育", "中职"), ("中职", "中职"), ("高职", "高职"), ("本科", "本科"),
     ("", ""), ("九年一贯制", "")],
)
def test_parse_stage(text, expected):
    assert parse_stage(text) == expected
    assert parse_stages(pd.Series([text])).tolist() == [expected]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("城关镇中心幼儿园", "幼儿园"),
        ("阳光幼儿园", "幼儿园"),
        ("城关小学", "小学"),
        ("城关镇中心小学", "小学"),
        ("李庄完小", "小学"),
        ("王村教学点", "小学"),
        ("城关小学附属幼儿园", "幼儿园"),
        ("城关镇中心校", ""),  # may run several stages
        ("城关镇中心学校", ""),
        ("城关初级中学", "初中"),
        ("县第一初级中学", "初中"),
        ("城关初中", "初中"),
        ("县第三中学", ""),  # 中学 alone is ambiguous
        ("县第一中学", ""),
        ("县高级中学", "高中"),
        ("县一中", "高中"),
        ("城关高中", "高中"),
        ("县职业中学", "中职"),
        ("县职业技术学校", "中职"),
        ("县职教中心", "中职"),
        ("县中等专业学校", "中职"),
        ("县九年一贯制学校", ""),
        ("县完全中学", ""),
        ("安徽工业职业技术学院", "高职"),
        ("安徽大学", "本科"),
        ("", ""),
        (None, ""),
    ],
)
def test_stage_from_school_name(name, expected):
    assert stage_from_school_name(name) == expected


def test_stages_from_school_names_vectorised():
    assert stages_from_school_names(pd.Series(["城关小学", None, "县一中"])).tolist() == ["小学", "", "高中"]


# ---------------------------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("text", "expected"),
    [("312.5", "312.50"), ("312.50", "312.50"), ("￥312.5", "312.50"), ("¥312.5", "312.50"),
     ("312.5元", "312.50"), ("1,500.00", "1500.00"), ("1500", "1500.00"), ("３１２．５", "312.50"),
     (" 312.5 ", "312.50"), ("0.0625万元", "625.00"), ("-12", "-12.00"), ("(12.00)", "-12.00"),
     ("0.005", "0.01"), ("312.504", "312.50"), (312.5, "312.50"), (1500, "1500.00"), (0.1, "0.10"),
     (Decimal("312.5"), "312.50"), ("人民币500元", "500.00")],
)
def test_parse_amount(text, expected):
    got = parse_amount(text)
    assert isinstance(got, Decimal)
    assert got == Decimal(expected) and str(got) == expected


@pytest.mark.parametrize("text", ["", None, "abc", "1,50", "12.3.4", "nan", "NaN", "inf", float("nan"),
                                  float("inf"), "一百", "1,5000.00", True])
def test_parse_amount_rejects(text):
    assert parse_amount(text) is None


def test_parse_amounts_vectorised_no_float():
    s = pd.Series(["312.5", None, "x", "312.50", "0.1"])
    out = parse_amounts(s)
    assert out.dtype == object
    assert out.tolist() == [Decimal("312.50"), None, None, Decimal("312.50"), Decimal("0.10")]
    assert all(isinstance(v, Decimal) or v is None for v in out)
    assert sum(v for v in out if v is not None) == Decimal("625.10")  # exact: no float drift
    assert format_amount(Decimal("312.5")) == "312.50"
    assert format_amount(None) == ""


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=Decimal(-1000000), max_value=Decimal(1000000), places=2,
                   allow_nan=False, allow_infinity=False))
def test_parse_amount_exact_round_trip(d):
    assert parse_amount(str(d)) == d
    assert parse_amount(f"{d:,}") == d
    assert parse_amount(f"￥{d}元") == d
    assert str(parse_amount(str(d))) == f"{d:.2f}"


# ---------------------------------------------------------------------------------- tier, sex


@pytest.mark.parametrize(
    ("text", "expected"),
    [("省示范", "省示范"), ("省级示范", "省示范"), ("省示范高中", "省示范"), ("省级示范高中", "省示范"),
     ("市示范", "市示范"), ("市级示范", "市示范"), ("市示范高中", "市示范"), ("民办", "民办"),
     ("民办高中", "民办"), ("一般", "普通"), ("普通", "普通"), ("普通高中", "普通"), ("", ""),
     ("省级示范高中（民办）", "民办"), ("其他类", "其他类")],
)
def test_parse_tier(text, expected):
    assert parse_tier(text) == expected


def test_parse_tiers_vectorised():
    assert parse_tiers(pd.Series(["省级示范", None])).tolist() == ["省示范", ""]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("男", "男"), ("女", "女"), ("1", "男"), ("2", "女"), (1.0, "男"), ("M", "男"), ("f", "女"),
     ("male", "男"), ("Female", "女"), ("男性", "男"), ("9", ""), ("", ""), (None, ""), ("x", "")],
)
def test_sex_of(text, expected):
    assert sex_of(text) == expected


def test_sexes_of_vectorised_large():
    s = pd.Series(np.array(["1", "2", "女", None] * 50_000, dtype=object))
    out = sexes_of(s)
    assert out.iloc[:4].tolist() == ["男", "女", "女", ""]
    assert len(out) == 200_000


@pytest.mark.parametrize("stage, grade, expected", [
    ("幼儿园", 2, "中班"), ("小学", 3, "三年级"), ("初中", 8.0, "八年级"), ("高中", 1, "高一"),
    ("中职", 2, "中职二年级"), ("小学", None, "小学"), ("小学", float("nan"), "小学"), (None, 4, "4年级"),
    ("", None, ""), ("高职", 1, "高职1年级"),
])
def test_grade_label(stage, grade, expected):
    from jiaoyu_fupin.normalize.values import grade_label
    from jiaoyu_fupin.reconcile.engine import grade_text

    assert grade_label(stage, grade) == expected
    assert grade_text(stage, grade) == expected     # the ledgers use the same words
