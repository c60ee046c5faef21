"""Semesters and school years."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiaoyu_fupin.errors import UsageError
from jiaoyu_fupin.normalize.semesters import (
    Semester,
    parse_school_year,
    parse_school_year_arg,
    parse_school_years,
    parse_semester,
    parse_semester_arg,
    parse_semesters,
    school_year_of,
    semesters_of_school_year,
)

S20 = Semester(2020, "春")
A19 = Semester(2019, "秋")
A20 = Semester(2020, "秋")


def test_semester_value():
    assert str(S20) == "2020春"
    assert str(A19) == "2019秋"
    assert A19 < S20 < A20
    assert sorted([A20, A19, S20]) == [A19, S20, A20]
    assert S20.school_year == 2019 and A20.school_year == 2020
    assert S20.label == "2020年春季学期"
    assert S20.school_year_label == "2019-2020学年第二学期"
    assert A19.school_year_label == "2019-2020学年第一学期"
    assert S20.next() == A20 and S20.previous() == A19
    assert A19.next() == S20
    assert {S20: 1}[Semester(2020, "春")] == 1
    with pytest.raises(ValueError):
        Semester(2020, "夏")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020春", "2020春"),
        ("2020秋", "2020秋"),
        ("2020-spring", "2020春"),
        ("2020-Spring", "2020春"),
        ("2020 spring", "2020春"),
        ("2020-autumn", "2020秋"),
        ("2020-fall", "2020秋"),
        ("2020年春季", "2020春"),
        ("2020年秋季学期", "2020秋"),
        ("2020春季学期", "2020春"),
        ("2020年春期", "2020春"),
        ("２０２０春", "2020春"),  # full-width digits
        (" 2020 年 秋季 ", "2020秋"),
        ("2019-2020学年第二学期", "2020春"),
        ("2019-2020学年第一学期", "2019秋"),
        ("2019—2020学年第一学期", "2019秋"),
        ("2019～2020学年第二学期", "2020春"),
        ("2019-2020学年春季学期", "2020春"),
        ("2019-2020学年秋季学期", "2019秋"),
        ("2019-2020学年上学期", "2019秋"),
        ("2019-2020学年下学期", "2020春"),
        ("2019-20学年第二学期", "2020春"),
        ("2019-2020-1", "2019秋"),
        ("2019-2020-2", "2020春"),
        ("2019学年第一学期", "2019秋"),
        ("2019学年第二学期", "2020春"),
    ],
)
def test_parse_semester_one_cell(text, expected):
    got = parse_semester(text)
    assert got is not None and str(got) == expected


@pytest.mark.parametrize(
    "text",
    ["", None, "春季", "第一学期", "2020", "2020年第一学期", "2020-09-01", "2019-2021学年第一学期",
     "2020夏", "2020春秋", "abc", "1890春", float("nan")],
)
def test_parse_semester_rejects(text):
    assert parse_semester(text) is None


@pytest.mark.parametrize(
    ("sem", "year", "expected"),
    [
        ("春季学期", "2019-2020学年", "2020春"),
        ("秋季学期", "2019-2020学年", "2019秋"),
        ("春季", "2019-2020", "2020春"),
        ("秋季", "2019—2020", "2019秋"),
        ("上学期", "2019～2020", "2019秋"),
        ("下学期", "2019学年", "2020春"),
        ("第一学期", "2019", "2019秋"),
        ("第二学期", "2019", "2020春"),
        ("1", "2019-2020", "2019秋"),
        ("2", "2019-2020", "2020春"),
        ("2", 2019, "2020春"),
        (2.0, 2019.0, "2020春"),
        ("2020秋", "2019-2020", "2020秋"),  # the semester cell's own year wins
    ],
)
def test_parse_semester_split_cells(sem, year, expected):
    got = parse_semester(sem, year)
    assert got is not None and str(got) == expected


@pytest.mark.parametrize(("sem", "year"), [("春季", None), ("春季", ""), ("春季", "2019-2021"), ("3", "2019"),
                                           ("", "2019")])
def test_parse_semester_split_rejects(sem, year):
    assert parse_semester(sem, year) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2019", 2019), ("2019-2020", 2019), ("2019-2020学年", 2019), ("2019—2020", 2019), ("2019～2020", 2019),
     ("2019至2020学年", 2019), ("2019学年", 2019), ("2019-20", 2019), ("2019年", 2019), (2019, 2019),
     ("2019-2021", None), ("abc", None), ("", None), (None, None), ("2019-2020学年第一学期", None)],
)
def test_parse_school_year(text, expected):
    assert parse_school_year(text) == expected


def test_school_year_helpers():
    assert semesters_of_school_year(2019) == (A19, S20)
    assert school_year_of(S20) == 2019
    assert school_year_of(A19) == 2019
    assert school_year_of("2020秋") == 2020
    with pytest.raises(ValueError):
        school_year_of("nonsense")


def test_parse_semesters_vectorised():
    sem = pd.Series(["春季学期", "1", None, "2020秋", "bad", "春季学期"], index=list("abcdef"))
    year = pd.Series(["2019-2020", "2019", "2019", None, "2019", "2019-2020"], index=list("uvwxyz"))
    out = parse_semesters(sem, year)
    assert list(out.index) == list("abcdef")
    assert out.tolist() == ["2020春", "2019秋", "", "2020秋", "", "2020春"]
    assert parse_semesters(pd.Series(["2020-spring", "x"])).tolist() == ["2020春", ""]
    assert parse_school_years(pd.Series(["2019-2020", None, "x"])).tolist() == [2019, pd.NA, pd.NA]


def test_parse_semester_arg():
    assert parse_semester_arg("2020春") == S20
    assert parse_semester_arg("2019-2020学年第一学期") == A19
    with pytest.raises(UsageError) as exc:
        parse_semester_arg("2020夏")
    msg = exc.value.format_message()
    assert "2020夏" in msg and "2020春" in msg and "2020-spring" in msg
    assert parse_school_year_arg("2019-2020") == 2019
    with pytest.raises(UsageError):
        parse_school_year_arg("明年")


semesters = st.builds(Semester, st.integers(1990, 2100), st.sampled_from(["春", "秋"]))


@settings(max_examples=200, deadline=None)
@given(semesters)
def test_round_trips(s):
    assert parse_semester(str(s)) == s
    assert parse_semester(s.label) == s
    assert parse_semester(s.school_year_label) == s
    term_word = "第二学期" if s.term == "春" else "第一学期"
    assert parse_semester(term_word, f"{s.school_year}-{s.school_year + 1}学年") == s
    assert s in semesters_of_school_year(school_year_of(s))
