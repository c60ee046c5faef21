"""Dates."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiaoyu_fupin.normalize.dates import excel_serial_to_date, parse_date, parse_dates

D = dt.date(2005, 1, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2005-01-01", D),
        ("2005/1/1", D),
        ("2005.1.1", D),
        ("2005-1-1", D),
        ("20050101", D),
        ("2005年1月1日", D),
        ("2005年01月01号", D),
        ("2005-01-01 00:00:00", D),
        ("2005-01-01T08:30:00", D),
        ("2005/1/1 0:00", D),
        ("  2005-01-01 ", D),
        ("２００５－０１－０１", D),  # full-width
        ("'2005-01-01", D),  # leading apostrophe
        ("38353", D),  # Excel serial
        ("38353.0", D),
        ("38353.75", D),
        (38353.0, D),
        ("200501", D),  # month precision -> first of month
        ("2005-01", D),
        ("2005/1", D),
        ("2005年1月", D),
        ("2005.01", D),
        ("1/31/2005", dt.date(2005, 1, 31)),
        ("31/1/2005", dt.date(2005, 1, 31)),
        ("2012-02-29", dt.date(2012, 2, 29)),
        (dt.date(2005, 1, 1), D),
        (dt.datetime(2005, 1, 1, 12, 0), D),
        (pd.Timestamp("2005-01-01"), D),
        (20050101.0, D),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", None, "2005", "2005-02-30", "2005-13-01", "200513", "18990101", "21010101", "abc", "60",
     "73416", "9999", "123", "2005-01-01-01", float("nan"), pd.NaT, pd.NA, "2011-02-29"],
)
def test_parse_date_rejects(text):
    assert parse_date(text) is None


def test_excel_serial():
    assert excel_serial_to_date(1) == dt.date(1900, 1, 1)
    assert excel_serial_to_date(59) == dt.date(1900, 2, 28)
    assert excel_serial_to_date(60) is None  # Excel's fictitious 1900-02-29
    assert excel_serial_to_date(61) == dt.date(1900, 3, 1)
    assert excel_serial_to_date(38353) == D
    assert excel_serial_to_date(73415) == dt.date(2100, 12, 31)
    assert excel_serial_to_date(73416) is None
    assert excel_serial_to_date(0) is None


def test_parse_dates_vectorised():
    s = pd.Series(["2005-01-01", None, "bad", "38353", "2005/1/1"], index=[5, 6, 7, 8, 9])
    out = parse_dates(s)
    assert list(out.index) == [5, 6, 7, 8, 9]
    assert out.tolist() == ["2005-01-01", "", "", "2005-01-01", "2005-01-01"]


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1927, 6, 1), max_value=dt.date(2100, 12, 31)))
def test_formats_round_trip(d):
    assert parse_date(d.isoformat()) == d
    assert parse_date(d.strftime("%Y%m%d")) == d
    assert parse_date(f"{d.year}年{d.month}月{d.day}日") == d
    assert parse_date(f"{d.year}/{d.month}/{d.day}") == d
    serial = (d - dt.date(1899, 12, 30)).days
    assert parse_date(str(serial)) == d
