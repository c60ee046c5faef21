"""Properties (hypothesis, derandomised) that tests/test_ids.py does not already cover:

- IDs: every way an export decorates a valid ID normalises to that ID; the vectorised normaliser
  agrees with the scalar one on arbitrary mixes; normalising twice changes nothing, whatever the
  status;
- masking: ``mask_id`` / ``mask_ids`` show 6 + 4 characters of an ID and agree; error messages keep
  no run of 14 digits (``errors.mask_id_numbers``);
- cells: ``column_text`` equals ``cell_text`` cell by cell, and nothing longer than Excel's cell
  limit comes out;
- CSV neutralisation: a neutralised value can no longer run as a formula, and the CSV round trip
  gives back exactly the neutralised text;
- row accounting: any generated table written as .xlsx or CSV is read with every row below the
  header in exactly one of df / skipped / rejected (``Table.rows_read`` = rows written).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tempfile
from pathlib import Path

import pandas as pd
from corpus.make_bad import simple_sheet, write_xlsx_parts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiaoyu_fupin.errors import mask_id_numbers
from jiaoyu_fupin.io.cells import MAX_CELL_CHARS, cell_text, column_text
from jiaoyu_fupin.io.load import load_file
from jiaoyu_fupin.normalize.ids import check_char, normalize_id, normalize_ids
from jiaoyu_fupin.report.csvout import needs_neutralising, neutralise, write_csv
from jiaoyu_fupin.report.mask import mask_id, mask_ids

FAST = settings(derandomize=True, max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(derandomize=True, max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

births = st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2025, 12, 31))
regions = st.from_regex(r"[1-6][0-9]{5}", fullmatch=True)
seqs = st.integers(min_value=0, max_value=999)


@st.composite
def valid_ids(draw) -> str:
    body = f"{draw(regions)}{draw(births).strftime('%Y%m%d')}{draw(seqs):03d}"
    return body + check_char(body)


FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


@st.composite
def decorated(draw) -> tuple[str, str]:
    """(an ID as some export shows it, the ID)."""
    i = draw(valid_ids())
    s = i
    if i.endswith("X") and draw(st.booleans()):
        s = s[:-1] + "x"
    if draw(st.booleans()):
        s = s.translate(FULL_WIDTH)
    if draw(st.booleans()):
        cut = draw(st.integers(1, 17))
        s = s[:cut] + draw(st.sampled_from([" ", "\u3000", "\t"])) + s[cut:]
    wrap = draw(st.sampled_from(["plain", "apostrophe", "formula", "g", "blank"]))
    s = {"plain": s, "apostrophe": "'" + s, "formula": f'="{s}"', "g": "G" + s,
         "blank": f"  {s}\t"}[wrap]
    return s, i


@FAST
@given(decorated())
def test_decorated_ids_normalise_to_the_id(pair):
    raw, ident = pair
    info = normalize_id(raw)
    assert info.status == "valid", (raw, info)
    assert info.id == ident


any_id_text = st.one_of(
    valid_ids(),
    decorated().map(lambda p: p[0]),
    valid_ids().map(lambda i: repr(float(i[:17] + "0"))),            # precision lost
    valid_ids().map(lambda i: i[:6] + i[8:17]),                      # 15-digit form
    valid_ids().map(lambda i: i[:10] + str((int(i[10]) + 3) % 10) + i[11:]),   # a typo
    st.text(max_size=25),
    st.none(),
)


@FAST
@given(st.lists(any_id_text, min_size=1, max_size=12))
def test_vectorised_agrees_with_scalar_and_twice_is_once(raws):
    frame = normalize_ids(pd.Series(raws, dtype=object))
    for raw, (_, row) in zip(raws, frame.iterrows()):
        info = normalize_id(raw)
        assert (row["id"], row["id_status"]) == (info.id, info.status), raw
        again = normalize_id(info.id)
        assert again.id == info.id
        if info.status in ("valid", "converted_15"):
            assert again.status == "valid"
        # (the digits of a precision-lost number carry no mark of it: normalised again they may
        # even pass the checksum, so only the raw value tells; nothing to assert on the status)


# ----------------------------------------------------------------------------- masking

@FAST
@given(st.lists(valid_ids(), min_size=1, max_size=8))
def test_mask_shows_region_and_last_four_only(idents):
    masked = mask_ids(pd.Series(idents, dtype=object)).tolist()
    for i, m in zip(idents, masked):
        assert m == mask_id(i)
        assert len(m) == len(i) and m[:6] == i[:6] and m[-4:] == i[-4:] and m[6:14] == "*" * 8
        assert "G" + m == mask_id("G" + i) or mask_id("G" + i)[1:] == m


@FAST
@given(st.lists(st.one_of(valid_ids(), st.text(max_size=12),
                          valid_ids().map(lambda i: "G" + i), valid_ids().map(lambda i: i[:6] + i[8:17])),
                max_size=6))
def test_error_messages_never_keep_an_id(parts):
    text = "，".join(parts)
    out = mask_id_numbers(text)
    assert not re.search(r"\d{14}", out)
    if not re.search(r"\d{14}", text):
        assert out == text


# ----------------------------------------------------------------------------- cells

cell_values = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**19, max_value=10**19),
    st.floats(allow_nan=True, allow_infinity=False), st.dates(),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.text(max_size=20), st.sampled_from(["'0123", '="0123"', " 张三 ", "\uff07x"]),
    st.integers(min_value=30_000, max_value=40_000).map(lambda n: "长" * n),
)


@FAST
@given(st.lists(cell_values, max_size=30))
def test_column_text_equals_cell_text(values):
    col = column_text(values)
    assert col == [cell_text(v) for v in values]
    assert all(isinstance(t, str) and len(t) <= MAX_CELL_CHARS for t in col)


# ----------------------------------------------------------------------------- CSV

csv_text = st.text(alphabet=st.sampled_from(list("=+-@\t\r\n ,\"'abc张1.")), max_size=12)


@FAST
@given(st.lists(st.tuples(csv_text, csv_text), max_size=10))
def test_neutralised_csv_round_trip(rows):
    for a, _ in rows:
        assert not needs_neutralising(neutralise(a))
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "x.csv"
        write_csv(p, ["甲", "乙"], rows)
        with open(p, encoding="utf-8-sig", newline="") as fh:
            back = list(csv.reader(fh))
    assert back[0] == ["甲", "乙"]
    assert back[1:] == [[neutralise(a), neutralise(b)] for a, b in rows]


# ----------------------------------------------------------------------------- row accounting

HEADER = ["姓名", "身份证号", "学校", "年级", "备注"]
_ID = "341021201001011234"


def _row(kind: str, k: int, text: str) -> list[str]:
    return {
        "record": [f"学生{k}", _ID[:-4] + f"{k:04d}", "城关小学", "三年级", text],
        "name_only": [f"学生{k}", "", "", "", ""],
        "no_key": ["", "", "城关小学", "三年级", text or "备注"],
        "empty": ["", "", "", "", ""],
        "total": ["合计", "", "", "", str(k)],
        "footer": ["制表人：张三", "", "", "", ""],
        "repeat_header": list(HEADER),
        "page": [f"第 {k} 页", "", "", "", ""],
        "junk": [text, "", text, "", ""],
    }[kind]


row_kinds = st.sampled_from(["record", "record", "record", "name_only", "no_key", "empty", "total",
                             "footer", "repeat_header", "page", "junk"])
junk_text = st.text(alphabet=st.sampled_from(list("ab张三1 =+合计")), max_size=6)


@SLOW
@given(st.lists(st.tuples(row_kinds, junk_text), min_size=0, max_size=40), st.booleans(),
       st.sampled_from(["xlsx", "csv"]))
def test_every_row_below_the_header_is_accounted_for(spec, titled, fmt):
    rows = [_row(kind, k, text) for k, (kind, text) in enumerate(spec)]
    table = ([["某县学生名册"]] if titled else []) + [HEADER] + rows
    header_row = 2 if titled else 1
    # the reader drops trailing rows without content; everything above them is a data row
    last = max((k for k, r in enumerate(rows) if any(c.strip() for c in r)), default=-1)
    expected = set(range(header_row + 1, header_row + 2 + last))
    with tempfile.TemporaryDirectory() as d:
        if fmt == "xlsx":
            p = write_xlsx_parts(Path(d) / "名册.xlsx", simple_sheet(table))
        else:
            p = Path(d) / "名册.csv"
            with open(p, "w", encoding="utf-8-sig", newline="") as fh:
                csv.writer(fh).writerows(table)
        if last < 0:
            # a header and nothing under it: read as a table of 0 rows
            tables = load_file(p)
            assert sum(t.rows_read for t in tables if hasattr(t, "rows_read")) == 0
            return
        items = load_file(p)
    tables = [t for t in items if hasattr(t, "rows_read")]
    assert len(tables) == 1, items
    t = tables[0]
    assert t.header_row == header_row
    got = list(t.df["_row"]) + [i.row for i in t.skipped] + [i.row for i in t.rejected]
    assert len(got) == len(set(got)) == t.rows_read
    assert set(got) == expected
