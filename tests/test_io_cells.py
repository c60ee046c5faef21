import datetime as dt
import math

import pytest

from jiaoyu_fupin.io.cells import cell_text, column_text, str_column_text


@pytest.mark.parametrize("value, expected", [
    ("  张三 \t", "张三"),
    ('="34102120100101123X"', "34102120100101123X"),
    ('=""', ""),
    ('="a""b"', 'a"b'),
    ("'341021201001011234", "341021201001011234"),
    ("''x", "'x"),
    ("＇0012", "0012"),
    ("=SUM(A1)", "=SUM(A1)"),
    ("", ""),
    (None, ""),
    (12.0, "12"),
    (-3.0, "-3"),
    (312.5, "312.5"),
    (341021201001011234.0, "3.4102120100101126e+17"),
    (1e15, "1000000000000000.0"),
    (999999999999999.0, "999999999999999"),
    (341021201001011234, "3.4102120100101126e+17"),
    (42, "42"),
    (True, "是"),
    (False, "否"),
    (dt.date(2020, 1, 2), "2020-01-02"),
    (dt.datetime(2020, 1, 2), "2020-01-02"),
    (dt.datetime(2020, 1, 2, 3, 4, 5), "2020-01-02 03:04:05"),
    (dt.time(8, 30), "08:30:00"),
    (float("nan"), ""),
])
def test_cell_text(value, expected):
    assert cell_text(value) == expected


def test_big_numeric_id_is_never_plain_digits():
    out = cell_text(float("341021200501011234"))
    assert "e+17" in out and not out.isdigit()


def test_float_inf_is_repr():
    assert cell_text(math.inf) == "inf"


def test_column_text_matches_cell_text():
    values = ["  a ", 1.0, 2.5, None, True, dt.date(2019, 9, 1), "'007", '="0"', 10 ** 17]
    assert column_text(values) == [cell_text(v) for v in values]
    assert str_column_text([" x ", "'1"]) == ["x", "1"]


def test_subclass_and_numpy_values():
    import numpy as np

    assert cell_text(np.float64(5.0)) == "5"
    assert cell_text(np.int64(7)) == "7"
    assert cell_text(np.bool_(True)) == "是"
