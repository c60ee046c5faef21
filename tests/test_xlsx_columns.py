"""WorkbookWriter.add_table with TableColumns (column by column) writes the very same workbook as
row by row: every part of the .xlsx byte for byte (cells, styles, widths, parts, totals)."""

from __future__ import annotations

import datetime as dt
import random
import zipfile
from decimal import Decimal

import pytest

from jiaoyu_fupin.report.xlsx import COUNT, SUM, Column, TableColumns, WorkbookWriter

KINDS = ["text", "id", "money", "int", "date", "number"]

HOSTILE = ["", " ", "a", "城关镇", "=1+2", "+86", "-5", "@x", " =SUM(A1)", "\t=1", "\u3000前导", "尾随 ", "a\u3000",
           "a&b", "<b>", "x>y", "_x0041_", "a_xb", "line1\nline2", "cr\r\nlf", "bad\x01char", "\x00nul", "nul\x00mid",
           "\ufffe", "341021200801011234", "34102120080101123X", "G341021200801011234", "2010-02-03",
           "2010-02-30", "1,500.00", "12", "12.5", "1e3", "长" * 40, "x" * 20_000, "中" * 17_000, "超长" * 9000,
           "é", "🙂", "a\u00a0", "\u00a0a"]
OTHER = [None, float("nan"), 0, 1, -7, 2 ** 60, 3.0, 2.5, float("inf"), True, False, Decimal("312.50"),
         Decimal(1500), Decimal("0.125"), Decimal("1E+20"), Decimal("NaN"), dt.date(2010, 2, 3),
         dt.date(1800, 1, 1), dt.datetime(2020, 9, 1, 0, 0), dt.datetime(2020, 9, 1, 8, 30)]


def _value(rng: random.Random, kind: str):
    r = rng.random()
    if r < 0.35:
        return rng.choice(HOSTILE)
    if r < 0.6:
        return rng.choice(OTHER)
    # ordinary values of the kind (most cells of a real table)
    if kind in ("text", "id"):
        return rng.choice(["城关镇", "东村", "张三", "341021200801011234", "在读", "初中8年级", "abc"])
    if kind == "money":
        return rng.choice([Decimal("312.50"), Decimal("1500.00"), Decimal(0)])
    if kind == "int":
        return rng.randint(0, 20)
    if kind == "date":
        return rng.choice(["2010-02-03", "2008-12-31", dt.date(2012, 5, 5)])
    return rng.random()


@pytest.fixture(params=["one by one", "arrow"], autouse=True)
def _checks(request, monkeypatch):
    """Run every test with the per-value and with the Arrow plain-text checks."""
    import jiaoyu_fupin.report.xlsx as x

    monkeypatch.setattr(x, "_ARROW_CHECKS", 10 ** 9 if request.param == "one by one" else 1)


def _parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def _write(path, tables, by_columns: bool, **kwargs):
    with WorkbookWriter(path, **kwargs) as wb:
        wb.reserve_sheet("说明")
        for name, cols, rows, opts in tables:
            data = TableColumns([list(c) for c in zip(*rows)] if rows else [[] for _ in cols]) \
                if by_columns else rows
            wb.add_table(name, cols, data, **opts)
        wb.add_key_value_sheet("说明", [("a", 1)])


def _tables(seed: int, n_rows: int):
    rng = random.Random(seed)
    out = []
    for t in range(4):
        kinds = [rng.choice(KINDS) for _ in range(rng.randint(1, 9))]
        cols = [Column(f"列{i}", k, width=30 if rng.random() < 0.15 else None) for i, k in enumerate(kinds)]
        n = rng.choice([0, 1, 3, n_rows])
        # some columns all plain text, some all blank, the rest mixed
        rows = [[None] * len(cols) for _ in range(n)]
        for c, k in enumerate(kinds):
            mode = rng.random()
            for r in range(n):
                if mode < 0.3 and k in ("text", "id"):
                    rows[r][c] = rng.choice(["城关镇", "东村", "张三", "341021200801011234", f"户{r}"])
                elif mode < 0.4:
                    rows[r][c] = ""
                elif mode < 0.55 and k in ("text", "id"):     # texts and blanks
                    rows[r][c] = rng.choice(["", "城关镇", "东 村", "张三" * rng.randint(1, 30), "a\nbb", f"户{r}"])
                else:
                    rows[r][c] = _value(rng, k)
        opts = {"title": f"表{t}" if rng.random() < 0.7 else None, "freeze_columns": rng.randint(0, 1)}
        if rng.random() < 0.5:
            total = {0: "合计"}
            for c in range(1, len(cols)):
                if rng.random() < 0.5:
                    total[c] = rng.choice([SUM, COUNT, 5, Decimal("1.5"), "x"])
            opts["total_row"] = total
        out.append((f"表{t}", cols, rows, opts))
    return out


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("mask_ids", [False, True])
def test_columns_write_the_same_workbook(tmp_path, seed, mask_ids):
    tables = _tables(seed, 60)
    # small parts and a small width sample: table continuation and partial measuring are exercised too
    kwargs = {"mask_ids": mask_ids, "max_rows": 23 if seed % 2 else 1000, "sample_rows": 17 if seed % 3 else 1000}
    a, b = tmp_path / "rows.xlsx", tmp_path / "columns.xlsx"
    _write(a, tables, False, **kwargs)
    _write(b, tables, True, **kwargs)
    pa, pb = _parts(a), _parts(b)
    assert sorted(pa) == sorted(pb)
    for name in pa:
        assert pa[name] == pb[name], name


def test_columns_block_boundaries(tmp_path, monkeypatch):
    """Tables longer than one block of the column writer."""
    import jiaoyu_fupin.report.xlsx as x

    monkeypatch.setattr(x, "_BLOCK_ROWS", 7)
    tables = _tables(99, 50)
    a, b = tmp_path / "rows.xlsx", tmp_path / "columns.xlsx"
    _write(a, tables, False, max_rows=20)
    _write(b, tables, True, max_rows=20)
    assert _parts(a) == _parts(b)


def test_columns_checks(tmp_path):
    with pytest.raises(ValueError, match="different lengths"):
        TableColumns([[1, 2], [1]])
    with WorkbookWriter(tmp_path / "x.xlsx") as wb:
        with pytest.raises(ValueError, match="has 1 values, expected 2"):
            wb.add_table("t", ["a", "b"], TableColumns([["x"]]))
        wb.add_table("u", ["a"], TableColumns([["x", "y"]]))


def test_columns_without_fast_path(tmp_path):
    tables = _tables(5, 30)
    a, b = tmp_path / "rows.xlsx", tmp_path / "columns.xlsx"
    _write(a, tables, False, fast=False)
    _write(b, tables, True, fast=False)
    assert _parts(a) == _parts(b)


@pytest.mark.parametrize("kind", ["text", "id"])
def test_one_odd_text_in_a_plain_column(tmp_path, kind):
    """The whole-column plainness check finds one odd text anywhere in the column."""
    odd = [h for h in HOSTILE if h] + ["a b", "ab\u2028", "x_", "_", "=", "\u3000", "a\x1f"]
    tables = []
    for n, h in enumerate(odd):
        for where in (0, 1, 2):
            values = ["城关镇", "东村", "张三"]
            values[where] = h
            tables.append((f"t{n}_{where}", [Column("a", kind), Column("b")], [[v, "x"] for v in values], {}))
    a, b = tmp_path / "rows.xlsx", tmp_path / "columns.xlsx"
    _write(a, tables, False)
    _write(b, tables, True)
    assert _parts(a) == _parts(b)


def test_byte_copy_of_row_files(tmp_path, monkeypatch):
    """Closing copies each sheet's streamed rows as bytes: the same file as xlsxwriter's own copy."""
    import jiaoyu_fupin.report.xlsx as x

    tables = _tables(7, 40)
    a, b = tmp_path / "xlsxwriter.xlsx", tmp_path / "bytes.xlsx"
    _write(b, tables, True)
    monkeypatch.setattr(x, "_byte_copy_sheet_data", lambda ws: ws._write_optimized_sheet_data)
    _write(a, tables, True)
    assert _parts(a) == _parts(b)
