"""The fast paths added for bench-size runs give exactly what the plain code gives.

Each vectorised or column-wise version is checked against the scalar function it replaces, on
random and deliberately awkward values: the fastexcel .xlsx reader (io.xlsx_fast) against the
python-calamine path, ID / 学籍号 / name normalisation per distinct value against
``normalize_id`` / ``normalize_name`` / ``pinyin_key``, the column-wise CSV writer against
``write_csv``, integer merge keys, per-combination student facts.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from decimal import Decimal
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd

from jiaoyu_fupin.io import readers
from jiaoyu_fupin.io.xlsx_fast import read_xlsx_fast
from jiaoyu_fupin.link.engine import text_keys
from jiaoyu_fupin.normalize import ids as idn
from jiaoyu_fupin.normalize import names as nmn
from jiaoyu_fupin.normalize.ids import normalize_id, normalize_id_arrays, xueji_arrays
from jiaoyu_fupin.report.csvout import write_csv, write_csv_columns

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


# ----------------------------------------------------------------------------------------------
# .xlsx through fastexcel

def _exact(path: Path):
    with mock.patch("jiaoyu_fupin.io.xlsx_fast.read_xlsx_fast", return_value=None):
        return readers.read_raw(path, path.name)


def _same_sheets(a, b) -> None:
    assert [s.sheet for s in a] == [s.sheet for s in b]
    for x, y in zip(a, b):
        assert (x.skip_reason, x.fmt, x.row_numbers) == (y.skip_reason, y.fmt, y.row_numbers), x.sheet
        assert x.columns == y.columns, x.sheet


def _messy_workbook(path: Path, *, extra=None) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("名册")
    datef = wb.add_format({"num_format": "yyyy-mm-dd"})
    dtf = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    ws.merge_range("B2:F2", "清源县 学生名册")
    for j, h in enumerate(["姓名", "身份证号", "数", "日期", "布尔"]):
        ws.write_string(3, 1 + j, h)
    values = [
        ("张三", 341021200501011232.0, 1e15, dt.date(2005, 1, 1), True),
        ("李四", "341021200501011008", 123456789012345.0, dt.datetime(2005, 1, 1, 8, 30), False),
        ("王五", 3.41021200501011e17, 0.00001234, dt.datetime(2005, 1, 1), "true"),
        ("赵六", "true", -1e16, "2005-01-01 00:00:00", "false"),
        ("钱七", "1000000000000000", 312.5, dt.date(2019, 9, 1), 1),
        ("孙八", 1e20, 0.1, "x", None),
        ("周九", "  '341021200501011232 ", -0.0, '="12"', ""),
        ("吴十", "＇34102120050101123x", 2.0, "Ｘ" * 40000, " "),
    ]
    r = 4
    for row in values:
        for j, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, (dt.date, dt.datetime)):
                ws.write_datetime(r, 1 + j, v, datef if type(v) is dt.date else dtf)
            elif isinstance(v, bool):
                ws.write_boolean(r, 1 + j, v)
            elif isinstance(v, (int, float)):
                ws.write_number(r, 1 + j, v)
            else:
                ws.write_string(r, 1 + j, v)
        r += 1
    ws.merge_range(r, 1, r + 1, 1, "合并")
    ws.write_formula(r + 3, 2, "=1/0", None, "#DIV/0!")
    if extra:
        extra(wb, ws, r + 4)
    wb.add_worksheet("空表")
    ws3 = wb.add_worksheet("第三")
    for i in range(3000):      # text IDs, some of them exactly a double's value, and numeric ones
        ws3.write_string(i, 0, str(341021200501010000 + i * 7))
        ws3.write_number(i, 1, float(341021200501010000 + i * 1000))
        ws3.write_string(i, 2, "G" + str(341021200501010000 + i))
    wb.close()


def test_xlsx_fast_reads_what_calamine_reads(tmp_path):
    p = tmp_path / "messy.xlsx"
    _messy_workbook(p)
    fast = read_xlsx_fast(p, p.name)
    assert fast is not None
    _same_sheets(_exact(p), readers.read_raw(p, p.name))


def test_xlsx_fast_keeps_numeric_ids_precision_lost(tmp_path):
    p = tmp_path / "messy.xlsx"
    _messy_workbook(p)
    sheets = read_xlsx_fast(p, p.name)
    ids = sheets[0].columns[2]
    # a number cell in the ID column renders through repr(): precision-lost, never a tidy wrong ID
    assert ids[4] == "3.410212005010112e+17" and ids[6] == "3.41021200501011e+17"
    assert ids[5] == "341021200501011008"            # the same digits typed as text stay text
    assert normalize_id(ids[6]).status == "precision_lost"
    third = next(s for s in sheets if s.sheet == "第三")
    assert all(v.startswith("3.410212005") and "e+17" in v for v in third.columns[1])
    assert third.columns[0][0] == "341021200501010000"


def test_xlsx_fast_steps_aside_for_time_cells(tmp_path):
    p = tmp_path / "time.xlsx"

    def add_time(wb, ws, r):
        ws.write_datetime(r, 3, dt.datetime(1899, 12, 31, 8, 30), wb.add_format({"num_format": "hh:mm"}))
    _messy_workbook(p, extra=add_time)
    assert read_xlsx_fast(p, p.name) is None          # python-calamine decides: a time
    assert _exact(p)[0].columns                       # …and the exact path reads it


def test_xlsx_fast_sample_data_identical():
    files = sorted(SAMPLE.rglob("*.xlsx"))
    assert files
    for p in files:
        assert read_xlsx_fast(p, p.name) is not None, p
        _same_sheets(_exact(p), readers.read_raw(p, p.name))


# ----------------------------------------------------------------------------------------------
# IDs and 学籍号 per distinct value

def _id_corpus(n: int = 6000) -> list:
    rng = random.Random(11)
    out: list = ["341021200501011232", "34102120050101123x", "'341021200501011232", "341021200502301232",
                 "341021000000000000", "341021200501011000", "3.41021200501011e+17", "341021200501011232.0",
                 "G341021200501011232", "34102105010112", "341021050101123", "无", "", None, float("nan"), 12345,
                 " 341021200501011232 ", "＝\"341021200501011232\"", "34102120050101123X01", "L3410212005010112"]
    for _ in range(n):
        body = "341021" + rng.choice(["2005", "1999", "1900", "2100", "2012"]) + rng.choice(
            ["01", "02", "12", "13", "00"]) + rng.choice(["01", "28", "29", "30", "31", "00"])
        tail = "000" if rng.random() < 0.1 else "".join(rng.choice("0123456789") for _ in range(3))
        v = body + tail + rng.choice("0123456789Xx")
        out.append(rng.choice(["", "'", "G", "J", "L"]) + (v if rng.random() < 0.8 else v[: rng.randint(5, 17)]))
    return out


def test_normalize_id_arrays_matches_normalize_id():
    values = _id_corpus()
    got = normalize_id_arrays(np.array(values, dtype=object))
    for k, v in enumerate(values):
        info = normalize_id("" if v is None or pd.isna(v) else v)
        expect = (info.id, info.status, info.region, info.birth, info.sex, info.prefix14, info.note)
        assert tuple(got[c][k] for c in idn.COLUMNS) == expect, v


def test_xueji_arrays_match_scalar_rules():
    values = _id_corpus()
    ids, births = xueji_arrays(np.array(values, dtype=object))
    for k, v in enumerate(values):
        c = idn.clean_text("" if v is None or pd.isna(v) else v)
        g = re.fullmatch(r"G([0-9]{17}[0-9X])", c)
        assert ids[k] == (g.group(1) if g else ""), v
        b = re.match(r"^[GJL][0-9]{6}([0-9]{4})([0-9]{2})([0-9]{2})", c)
        expect = ""
        if b:
            y, m, d = (int(x) for x in b.groups())
            expect = f"{y:04d}-{m:02d}-{d:02d}" if idn._date_ok(y, m, d) else ""
        assert births[k] == expect, v


# ----------------------------------------------------------------------------------------------
# names

def _name_corpus(n: int = 8000) -> list:
    from jiaoyu_fupin.samplegen import names as sgn

    rng = random.Random(7)
    chars = ([chr(c) for c in range(0x4E00, 0x4E00 + 2000)] + list("丶·• 。.") + list("张王李单曾解欧阳尉迟𠮷祥吉䶮堃乾於")
             + list(sgn.MALE + sgn.FEMALE) + list("張靜陳東臺灣"))
    out: list = ["", None, float("nan"), "阿依古丽丶买买提", "欧阳娜娜", "尉迟恭", "ZhangSan", "张三", "王yun", 3,
                 "單田芳", "沈靜", "'李四", '="王五"']
    for _ in range(n):
        s = "".join(rng.choice(chars) for _ in range(rng.randint(1, 5)))
        if rng.random() < 0.05:
            s = " " + s
        if rng.random() < 0.05:
            s += "Zhang"
        if rng.random() < 0.1:
            s = sgn.to_traditional(s)
        if rng.random() < 0.05:
            s = rng.choice(["欧阳", "尉迟", "万俟", "单于"]) + s
        out.append(s)
    return out


def test_name_arrays_match_scalar_functions():
    values = np.array(_name_corpus(), dtype=object)
    norm = nmn.normalize_names_array(values)
    assert list(norm) == [nmn.normalize_name(v) for v in values]
    keys = nmn.pinyin_keys_array(norm)
    assert list(keys) == [nmn.pinyin_key(v) for v in values]
    both = nmn.names_and_keys_array(values)
    assert list(both[0]) == list(norm) and list(both[1]) == list(keys)


def test_name_agreements_with_given_keys():
    rng = random.Random(3)
    pool = [v for v in _name_corpus(3000) if isinstance(v, str)]
    a = [rng.choice(pool) for _ in range(6000)]
    b = [x if rng.random() < 0.4 else rng.choice(pool) for x in a]
    plain = nmn.name_agreements(pd.Series(a, dtype=object), pd.Series(b, dtype=object)).tolist()
    na = [nmn.normalize_name(x) for x in a]
    nb = [nmn.normalize_name(x) for x in b]
    fast = nmn.name_agreements(pd.Series(na, dtype=object), pd.Series(nb, dtype=object), normalized=True,
                               keys=([nmn.pinyin_key(x) for x in na], [nmn.pinyin_key(x) for x in nb])).tolist()
    assert fast == plain


# ----------------------------------------------------------------------------------------------
# CSV, merge keys, student facts

def test_write_csv_columns_matches_write_csv(tmp_path):
    rng = random.Random(5)
    atoms = ["a", "=1+2", "+86", "-12.50", "-", "--", "@x", " =x", "\t=x", "\r\nx", "x,y", 'q"q', "", "张三",
             "\u3000=x", "  ", "1e5", "=", "x\ry"]

    def val():
        if rng.random() < 0.7:
            return "".join(rng.choice(atoms) for _ in range(rng.randint(0, 3)))
        return rng.choice([None, 1, 2.5, float("nan"), Decimal("312.5"), True, 10 ** 16, -3])

    n = 3000
    cols: list = [[val() for _ in range(n)] for _ in range(5)]
    cols.append(np.arange(n))
    cols.append(np.array([rng.choice(["x", "=y", "a,b"]) for _ in range(n)], dtype=object))
    cols.append(np.array(["".join(rng.choice(atoms) for _ in range(2)) for _ in range(n)], dtype=object))
    header = [f"h{i}" for i in range(len(cols))]
    for raw in (set(), {1, 3, 5}, set(range(len(cols)))):
        write_csv(tmp_path / "a.csv", header, list(zip(*[list(c) for c in cols])), raw_columns=raw)
        write_csv_columns(tmp_path / "b.csv", header, cols, raw_columns=raw, chunk_rows=701)
        assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    write_csv(tmp_path / "a.csv", header, [])
    write_csv_columns(tmp_path / "b.csv", header, [[] for _ in header])
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_text_keys_equal_exactly_when_texts_equal():
    a = np.array(["341021200501011232", "34102120050101123X", "abc", "无", "34102120050101123X",
                  "000000000000000000", "99999999999999999X", "34102120050101123Y", "3410212005010112 3"],
                 dtype=object)
    b = np.array(["abc", "341021200501011232", "3410212005010112 3", "99999999999999999X"], dtype=object)
    ka, kb = text_keys(a, b)
    texts = list(a) + list(b)
    keys = list(ka) + list(kb)
    for i in range(len(texts)):
        for j in range(len(texts)):
            assert (texts[i] == texts[j]) == (keys[i] == keys[j])
    clean = [np.array([True, True, False, False, True, True, True, False, False]), None]
    assert [list(k) for k in text_keys(a, b, clean=clean)] == [list(ka), list(kb)]


def test_student_facts_per_combination_equals_per_row():
    from types import SimpleNamespace

    from jiaoyu_fupin.reconcile.engine import _student_facts, student_facts

    rng = random.Random(9)
    n = 3000
    frame = pd.DataFrame({
        "stage": [rng.choice(["", "小学", "初中", "高中", "中职", "幼儿园"]) for _ in range(n)],
        "school_n": [rng.choice(["城关一小", "城关中学", "", "职业技术学校", "第一高级中学"]) for _ in range(n)],
        "school": [rng.choice(["城关一小", "城关中学", "", "清源县职业技术学校", "县第一高级中学"]) for _ in range(n)],
        "grade": [rng.choice(["", "一年级", "七年级", "高一", "3", "中职二年级", "大班"]) for _ in range(n)],
        "tier": [rng.choice(["", "省示范", "民办", "普通"]) for _ in range(n)],
        "boarding": [rng.choice(["", "住校", "走读", "1", "2"]) for _ in range(n)],
    }, dtype=object)
    prep = SimpleNamespace(table_list=[])
    a = student_facts(frame, prep)
    b = _student_facts(frame, prep)
    for c in b.columns:
        assert a[c].astype(object).tolist() == b[c].astype(object).tolist(), c


# ----------------------------------------------------------------------------------------------
# ledgers too long for Excel are also written as CSV

def test_long_ledger_also_written_as_csv(tmp_path, monkeypatch):
    from jiaoyu_fupin.cli import main
    from jiaoyu_fupin.report import ledgers

    monkeypatch.setattr(ledgers, "LEDGER_CSV_ROWS", 3)
    out = tmp_path / "out"
    code = main(["reconcile", "--registry", str(SAMPLE / "registry"), "--national", str(SAMPLE / "national"),
                 "--provincial", str(SAMPLE / "provincial"), "--roster", str(SAMPLE / "rosters"),
                 "--schools", str(SAMPLE / "schools.xlsx"), "--semester", "2020秋", "-o", str(out), "--mask-ids"],
                standalone_mode=False)
    assert code in (None, 0)
    csvs = sorted(out.glob("对账台账_2020秋_*.csv"))
    assert csvs
    text = (out / "对账台账_2020秋_信息不一致.csv").read_text(encoding="utf-8-sig")
    header, first = text.splitlines()[:2]
    assert header.startswith("乡镇,村,户编号,姓名,身份证号")
    assert "********" in first.split(",")[4]            # masked like the workbook
    import json
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert {o["file"] for o in run["outputs"]} >= {p.name for p in csvs}


def test_links_csv_matches_row_by_row_writer(tmp_path):
    from jiaoyu_fupin.report.ledgers import LINKS_COLUMNS, SOURCE_WORDS, write_links_csv

    rng = random.Random(2)
    n = 500
    roles = ["roster", "national", "provincial", "=cmd", "previous_roster"]
    files = {0: ("roster", "=evil.xlsx", "@sheet"), 1: ("national", "a,b.xlsx", ""), 2: ("=cmd", "x.csv", "-s"),
             3: ("provincial", 'q"q.xls', "表1")}
    tables = [rng.choice(list(files)) for _ in range(n)]
    rec = pd.DataFrame({
        "table": tables, "role": [files[t][0] for t in tables], "file": [files[t][1] for t in tables],
        "sheet": [files[t][2] for t in tables], "row": [rng.randint(2, 9999) for _ in range(n)],
        "id_number": [rng.choice(["341021200501011232", "=1+1", "", "-3", "a,b"]) for _ in range(n)],
        "name": [rng.choice(["张三", "=HYPERLINK()", "+x", " -y", "李,四", ""]) for _ in range(n)],
        "registry_id": [rng.choice(["", "341021200501011232"]) for _ in range(n)],
        "link_status": [rng.choice(["linked", "none", "review", "invalid"]) for _ in range(n)],
        "link_method": [rng.choice(["exact_id", "id_typo", "none"]) for _ in range(n)],
        "link_score": [rng.choice([1.0, 0.9, 0.85, 0.0]) for _ in range(n)],
    }, dtype=object)
    rec["table"] = rec["table"].astype(np.int64)
    rec["row"] = rec["row"].astype(np.int64)
    rec["link_score"] = rec["link_score"].astype(float)
    assert {"=cmd"} <= set(roles)
    write_links_csv(tmp_path / "a.csv", rec)
    method = rec["link_method"].where(rec["link_status"] == "linked", "none")
    score = rec["link_score"].where(rec["link_status"] == "linked", 0.0)
    frame = pd.DataFrame({
        "source": rec["role"].map(SOURCE_WORDS).fillna(rec["role"]), "file": rec["file"], "sheet": rec["sheet"],
        "row": rec["row"].astype(int), "raw_id": rec["id_number"], "raw_name": rec["name"],
        "registry_id": rec["registry_id"], "method": method, "score": score.map(lambda x: f"{x:.2f}")})
    write_csv(tmp_path / "b.csv", list(LINKS_COLUMNS), frame.itertuples(index=False, name=None),
              raw_columns={3, 4, 6, 7, 8})
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
