"""CSV writer: BOM, line ends, value formats, formula neutralisation, raw columns, atomicity."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pandas as pd
import pytest

from jiaoyu_fupin.report.csvout import cell_text, format_decimal, needs_neutralising, write_csv


def _read(path):
    raw = path.read_bytes()
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_bom_header_and_crlf_line_ends(tmp_path):
    p = tmp_path / "findings.csv"
    assert write_csv(p, ["category", "name"], [("UNPAID", "张三"), ("OVERPAID", "李四")]) == p
    raw, rows = _read(p)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") == 3 and raw.count(b"\n") == 3
    assert rows == [["category", "name"], ["UNPAID", "张三"], ["OVERPAID", "李四"]]


def test_value_formats(tmp_path):
    p = tmp_path / "a.csv"
    write_csv(p, list("abcdefghi"), [(
        Decimal("312.5"), Decimal("0.005"), Decimal("-0.001"), None, 12, 0.95, dt.date(2020, 3, 1),
        float("nan"), pd.NA)])
    _, rows = _read(p)
    assert rows[1] == ["312.50", "0.01", "0.00", "", "12", "0.95", "2020-03-01", "", ""]


def test_quotes_newlines_and_commas_round_trip(tmp_path):
    p = tmp_path / "a.csv"
    values = ('含,逗号', '含"引号"', "两行\n文本", " 前后空格 ", "回车\r在中间", "a\r\nb")
    write_csv(p, ["a", "b", "c", "d", "e", "f"], [values, values])
    _, rows = _read(p)
    assert tuple(rows[1]) == values and tuple(rows[2]) == values and len(rows) == 3


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"),
    ("+1+1", "'+1+1"),
    ("-1+1", "'-1+1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1", "'\r=1"),
    ("  =cmd|' /C calc'!A0", "'  =cmd|' /C calc'!A0"),
    ("\t-", "'\t-"),
    ("-12.50", "-12.50"),      # a plain number cannot be a formula
    ("+8613800000000", "+8613800000000"),
    ("-", "-"),                # placeholder
    ("--", "--"),
    ("张三", "张三"),
    ("a=b", "a=b"),
    ("", ""),
])
def test_neutralisation(tmp_path, value, expected):
    p = tmp_path / "a.csv"
    write_csv(p, ["x"], [(value,)])
    _, rows = _read(p)
    got = rows[1][0] if len(rows) > 1 and rows[1] else ""
    assert got == expected


def test_raw_columns_and_numbers_are_never_altered(tmp_path):
    p = tmp_path / "a.csv"
    write_csv(p, ["id", "amount", "text", "decimal"],
              [("=1+1", "-12.50", "=1+1", Decimal("-12.5")), ("-1+1", "@x", "-1+1", Decimal(0))],
              raw_columns={0, 1})
    _, rows = _read(p)
    assert rows[1] == ["=1+1", "-12.50", "'=1+1", "-12.50"]
    assert rows[2] == ["-1+1", "@x", "'-1+1", "0.00"]


def test_neutralisation_can_be_switched_off(tmp_path):
    p = tmp_path / "a.csv"
    write_csv(p, ["x"], [("=1+1",)], neutralize_formulas=False)
    assert _read(p)[1][1] == ["=1+1"]


def test_dataframe_and_generator_rows(tmp_path):
    p = tmp_path / "a.csv"
    df = pd.DataFrame({"a": ["1", None], "b": ["=x", "y"]})
    write_csv(p, ["a", "b"], df)
    assert _read(p)[1][1:] == [["1", "'=x"], ["", "y"]]
    write_csv(p, ["a"], ((str(i),) for i in range(3)))
    assert _read(p)[1] == [["a"], ["0"], ["1"], ["2"]]


def test_error_midway_leaves_no_file_and_keeps_old(tmp_path):
    p = tmp_path / "links.csv"

    def rows():
        yield ("1",)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_csv(p, ["a"], rows())
    assert list(tmp_path.iterdir()) == []
    p.write_text("old", encoding="utf-8")
    with pytest.raises(ValueError):
        write_csv(p, ["a", "b"], [("1",)])         # wrong width
    assert p.read_text(encoding="utf-8") == "old"
    assert list(tmp_path.iterdir()) == [p]


def test_helpers():
    assert format_decimal(Decimal("2.675")) == "2.68"        # half-up, not banker's
    assert format_decimal(Decimal("-0.004")) == "0.00"
    assert cell_text(True) == "true"
    assert cell_text(dt.datetime(2020, 1, 2, 3, 4, 5)) == "2020-01-02 03:04:05"
    assert cell_text(3.0) == "3"
    assert needs_neutralising("=A1") and not needs_neutralising("1=1")
