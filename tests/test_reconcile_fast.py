"""The vectorised paths of reconcile and of the column-wise CSV writer give exactly what the
plain per-value code gives."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from jiaoyu_fupin.reconcile import engine
from jiaoyu_fupin.report.csvout import write_csv, write_csv_columns

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"


# ----------------------------------------------------------------------------------------------
# write_csv_columns (Arrow): the same bytes as write_csv

ATOMS = ["a", "=1+2", "+86", "-12.50", "-", "--", "@x", " =x", "\t=x", "\r\nx", "x,y", 'q"q', "", "张三",
         "\u3000=x", "\u3000", "\u3001x", "  ", "1e5", "=", "x\ry", "清源县,第一小学"]


def _same_bytes(tmp_path, header, cols, raw, chunk_rows=701):
    plain = [c.to_pylist() if isinstance(c, pa.DictionaryArray) else c.tolist() if isinstance(c, np.ndarray)
             else list(c) for c in cols]
    write_csv(tmp_path / "a.csv", header, list(zip(*plain)), raw_columns=raw)
    write_csv_columns(tmp_path / "b.csv", header, cols, raw_columns=raw, chunk_rows=chunk_rows)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_csv_columns_text_dictionary_and_integer_columns(tmp_path):
    rng = random.Random(11)
    n = 2500
    text = lambda: "".join(rng.choice(ATOMS) for _ in range(rng.randint(0, 2)))
    pool = [text() for _ in range(12)]
    codes = np.array([rng.randrange(len(pool)) for _ in range(n)], dtype=np.int32)
    other = [text() for _ in range(5)]
    codes2 = np.array([rng.randrange(len(other)) for _ in range(n)], dtype=np.int32)
    cols = [
        pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(pool)),        # adjacent dictionaries:
        pa.DictionaryArray.from_arrays(pa.array(codes2), pa.array(other)),      # joined once per pair
        np.array([text() for _ in range(n)], dtype=object),
        np.arange(-n, n, 2, dtype=np.int64),
        [text() for _ in range(n)],
        np.array([""] * n, dtype=object),                                        # all empty
        np.array([rng.choice(["\u3000=1", "\u3000", "x"]) for _ in range(n)], dtype=object),
        pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(pool)),
    ]
    header = [f"h{i}" for i in range(len(cols))]
    for raw in (set(), {0, 2, 7}, set(range(len(cols)))):
        _same_bytes(tmp_path, header, cols, raw)
    _same_bytes(tmp_path, header, cols, set(), chunk_rows=n)
    _same_bytes(tmp_path, header[:2], cols[-2:], set())     # a dictionary column last


def test_csv_columns_mixed_values_and_empty(tmp_path):
    rng = random.Random(3)
    n = 900
    vals = [None, 1, 2.5, float("nan"), Decimal("312.5"), True, "=x", "a,b", "", "张三", -3]
    cols = [[rng.choice(vals) for _ in range(n)], np.array([rng.choice(vals) for _ in range(n)], dtype=object),
            np.array([rng.random() < 0.5 for _ in range(n)])]
    _same_bytes(tmp_path, ["x", "y", "z"], cols, set())
    _same_bytes(tmp_path, ["x", "y", "z"], [[], np.array([], dtype=object), np.array([], dtype=np.int64)], set())


# ----------------------------------------------------------------------------------------------
# grouping helpers: the same as pandas' factorize / link.engine.combined_codes

def _nan_free(v):
    """NaN (which equals nothing) as a comparable marker."""
    return "<nan>" if isinstance(v, float) and np.isnan(v) else v


def _column(rng, n, shared):
    """Cells of a few distinct texts (one object per text when ``shared``), with None and NaN."""
    texts = ["", "小学", "初中", "一年级", "住校", "x" * 30]
    out = np.empty(n, dtype=object)
    for i in range(n):
        r = rng.random()
        out[i] = None if r < 0.02 else float("nan") if r < 0.04 else (
            rng.choice(texts) if shared else "".join(list(rng.choice(texts))))
    return out


@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize("na_sentinel", [True, False])
def test_distinct_equals_factorize(monkeypatch, shared, na_sentinel):
    monkeypatch.setattr(engine, "_IDENTITY_MIN_ROWS", 64)
    rng = random.Random(5)
    values = _column(rng, 5000, shared)
    at = np.array(sorted(rng.sample(range(5000), 3000)))
    for v, a in ((values, None), (values, at)):
        codes, uniques = engine._distinct(v, na_sentinel=na_sentinel, at=a)
        ref_codes, ref_uniques = pd.factorize(pd.Series(v if a is None else v[a], dtype=object),
                                              use_na_sentinel=na_sentinel)
        assert codes.tolist() == ref_codes.tolist()
        assert [_nan_free(u) for u in uniques.tolist()] == \
               [_nan_free(u) for u in np.asarray(ref_uniques, dtype=object).tolist()]


def test_combined_groups_rows_like_combined_codes(monkeypatch):
    from jiaoyu_fupin.link.engine import combined_codes

    monkeypatch.setattr(engine, "_IDENTITY_MIN_ROWS", 64)
    rng = random.Random(8)
    cols = [_column(rng, 4000, True), _column(rng, 4000, False), _column(rng, 4000, True)]
    key, first = engine._combined(cols)
    ref, ref_first = combined_codes(cols)
    assert key.tolist() == pd.factorize(ref)[0].tolist()     # same groups, same order
    assert sorted(first.tolist()) == sorted(ref_first.tolist())
    at = np.arange(0, 4000, 3)
    key_at, _ = engine._combined(cols, at=at)
    assert key_at.tolist() == pd.factorize(combined_codes([c[at] for c in cols])[0])[0].tolist()


def _person_keys_per_row(link_reg, registry_ids, link_status, own_id, id_status, xueji_id):
    out = []
    for reg, rid, st, own, ids, x in zip(link_reg, registry_ids, link_status, own_id, id_status, xueji_id):
        if reg >= 0:
            out.append("R" + str(rid))
        elif st == "none":
            ok = ids in ("valid", "converted_15") and own != ""
            out.append("X" + str(own) if ok else ("X" + str(x) if x != "" else ""))
        else:
            out.append("")
    return out


@pytest.mark.parametrize("odd", [False, True])
def test_person_keys_equal_per_row_rule(monkeypatch, odd):
    monkeypatch.setattr(engine, "_IDENTITY_MIN_ROWS", 64)
    rng = random.Random(13)
    n = 3000
    link_reg = np.array([rng.choice([-1, -1, 0, 5, 9]) for _ in range(n)])
    rids = np.array([rng.choice(["341021201001011234", "34102120100101123X"]) for _ in range(n)], dtype=object)
    status = np.array([rng.choice(["none", "none", "review", "invalid", "linked"]) for _ in range(n)], dtype=object)
    own = np.array([rng.choice(["", "341021201202021111", "A1"]) for _ in range(n)], dtype=object)
    id_status = np.array([rng.choice(["valid", "converted_15", "bad_checksum", "empty"]) for _ in range(n)],
                         dtype=object)
    xueji = np.array([rng.choice(["", "341021201303031112"]) for _ in range(n)], dtype=object)
    if odd:   # a non-text cell takes the per-row path
        xueji[7] = None
        own[8] = None
    got = engine.person_keys(link_reg, rids, status, own, id_status, xueji)
    assert got.tolist() == _person_keys_per_row(link_reg, rids, status, own, id_status, xueji)
    assert all(type(p) is str for p in got.tolist())


# ----------------------------------------------------------------------------------------------
# build_context(lean=True): the same registry facts as the full context

def test_lean_context_same_registry_facts(monkeypatch):
    from jiaoyu_fupin.link.prepare import prepare
    from jiaoyu_fupin.policy import load_policy

    monkeypatch.setattr(engine, "_IDENTITY_MIN_ROWS", 64)
    prep = prepare({"registry": [SAMPLE / "registry"], "roster": [SAMPLE / "rosters"],
                    "schools": [SAMPLE / "schools.xlsx"]})
    policy = load_policy(None)
    full = engine.build_context(prep, policy)
    lean = engine.build_context(prep, policy, lean=True)
    assert list(full.reg.columns) == list(lean.reg.columns)
    for c in full.reg.columns:
        a, b = full.reg[c].to_numpy(dtype=object).tolist(), lean.reg[c].to_numpy(dtype=object).tolist()
        assert [_nan_free(x) for x in a] == [_nan_free(x) for x in b], c
    assert full.roster["active"].tolist() == lean.roster["active"].tolist()
    assert list(lean.roster.columns) == ["active"]
    assert full.roster.index.tolist() == lean.roster.index.tolist()
    assert full.warnings == lean.warnings
    assert {"person", "status_n", "boarding_n", "tier_n"} <= set(full.roster.columns)


def test_csv_columns_are_csv_rows_by_column():
    from jiaoyu_fupin.reconcile.findings import FINDINGS_COLUMNS, Finding, csv_columns

    fs = [Finding("UNPAID", "341021201001011234", "张三", "LIVING", "2020秋", "一小", "城关镇", "柳湾村",
                  Decimal("312.5"), None, "原因", 0.5, ("a.xlsx:Sheet1:3", "b.xlsx:S:4")),
          Finding("OVERPAID", "X", "", "", "2020秋", "", "", "", Decimal("-0"), Decimal("1E+2"), "", 1.0, ())]
    assert csv_columns(fs) == [list(c) for c in zip(*[f.csv_row() for f in fs])]
    assert csv_columns([]) == [[] for _ in FINDINGS_COLUMNS]
