"""ID normalisation: table of real-world damage + properties of GB 11643."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiaoyu_fupin.normalize.ids import (
    STATUSES,
    check_char,
    id15_to_18,
    id_from_xueji,
    normalize_id,
    normalize_ids,
    xueji_birth,
)


def make_id(region="341021", birth="20050101", seq="123"):
    body = region + birth + seq
    return body + check_char(body)


GOOD = make_id()  # 34102120050101123?


def test_known_checksum():
    # the textbook example from GB 11643
    assert check_char("11010519491231002") == "X"
    assert normalize_id("11010519491231002X").status == "valid"


@pytest.mark.parametrize("raw, status, expect_id", [
    (GOOD, "valid", GOOD),
    (" " + GOOD[:6] + " " + GOOD[6:] + "\t", "valid", GOOD),
    ("'" + GOOD, "valid", GOOD),
    ('="' + GOOD + '"', "valid", GOOD),
    ("".join(chr(ord(c) + 0xFEE0) for c in GOOD), "valid", GOOD),   # full-width digits
    ("11010519491231002x", "valid", "11010519491231002X"),
    ("G" + GOOD, "valid", GOOD),
    (GOOD + "42", "valid", GOOD),          # disability certificate, 20 chars
    (GOOD + "4201", "valid", GOOD),        # 22 chars
    ("3.41021200501011E+17", "precision_lost", "341021200501011000"),
    ("3.410212005010112e+17", "precision_lost", "341021200501011200"),
    (GOOD + ".0", "precision_lost", GOOD),
    ("", "empty", ""),
    (None, "empty", ""),
    ("   ", "empty", ""),
    ("34102120050101", "wrong_length", "34102120050101"),
    ("34102120051301123" + "5", "bad_date", "341021200513011235"),
    ("无", "wrong_length", "无"),
])
def test_table(raw, status, expect_id):
    info = normalize_id(raw)
    assert info.status == status
    assert info.id == expect_id


def test_bad_checksum_and_trailing_000():
    wrong = GOOD[:17] + ("0" if GOOD[17] != "0" else "1")
    assert normalize_id(wrong).status == "bad_checksum"
    lost = GOOD[:15] + "000"
    expect = "valid" if check_char(lost[:17]) == "0" else "precision_lost"
    assert normalize_id(lost).status == expect


def test_15_digit():
    old = "341021050101123"
    info = normalize_id(old)
    assert info.status == "converted_15"
    assert info.id == id15_to_18(old)
    assert info.id.startswith("34102119050101123")
    assert info.birth == "1905-01-01"
    # a 15-digit number read from a numeric cell survives exactly
    assert normalize_id("341021050101123").id == normalize_id(old).id


def test_parts():
    info = normalize_id(GOOD)
    assert info.region == "341021"
    assert info.birth == "2005-01-01"
    assert info.sex == "男"  # 123 odd
    assert info.prefix14 == "34102120050101"
    assert normalize_id(make_id(seq="124")).sex == "女"


def test_vectorised_matches_scalar():
    raws = [GOOD, "3.41021200501011E+17", "", None, "G" + GOOD, GOOD[:17] + "0", "341021050101123",
            "11010519491231002x", "abc", GOOD, GOOD]
    frame = normalize_ids(pd.Series(raws, dtype=object))
    for raw, (_, row) in zip(raws, frame.iterrows()):
        info = normalize_id(raw)
        assert row["id"] == info.id
        assert row["id_status"] == info.status
        assert row["id_birth"] == info.birth
        assert row["id_sex"] == info.sex


def test_vectorised_on_pandas_str_dtype():
    s = pd.Series([GOOD, None, "x"], dtype="str")
    frame = normalize_ids(s)
    assert list(frame["id_status"]) == ["valid", "empty", "wrong_length"]


def test_xueji():
    s = pd.Series(["G" + GOOD, "L34102120050101" + "0001", "J" + GOOD, "", None])
    assert list(id_from_xueji(s)) == [GOOD, "", "", "", ""]
    assert list(xueji_birth(s)) == ["2005-01-01", "2005-01-01", "2005-01-01", "", ""]


dates = st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2030, 12, 31))
regions = st.from_regex(r"[1-6][0-9]{5}", fullmatch=True)
seqs = st.integers(min_value=1, max_value=999)


@st.composite
def ids(draw):
    return make_id(draw(regions), draw(dates).strftime("%Y%m%d"), f"{draw(seqs):03d}")


@given(ids())
def test_generated_ids_valid_and_idempotent(i):
    info = normalize_id(i)
    assert info.status == "valid"
    assert normalize_id(info.id) == info


@given(ids(), st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_single_substitution_detected(i, pos, delta):
    c = str((int(i[pos]) + delta) % 10)
    typo = i[:pos] + c + i[pos + 1:]
    # GB 11643 detects every single-digit substitution (an ID ending in 000 with a wrong check
    # digit is read as a number that lost its last digits)
    assert normalize_id(typo).status in ("bad_checksum", "bad_date", "precision_lost")


@given(dates, regions, seqs)
def test_15_to_18_roundtrip(d, r, q):
    if not (1900 <= d.year <= 1999):
        return
    old = r + d.strftime("%y%m%d") + f"{q:03d}"
    info = normalize_id(old)
    assert info.status == "converted_15"
    assert info.id == make_id(r, d.strftime("%Y%m%d"), f"{q:03d}")


@settings(max_examples=200)
@given(st.text(max_size=30))
def test_any_text_gets_a_status(t):
    info = normalize_id(t)
    assert info.status in STATUSES
    again = normalize_id(info.id)
    if info.status in ("valid", "converted_15"):
        assert again.status == "valid" and again.id == info.id
