"""dropout_check judges the common case (one active current record) column-wise: the result is
exactly that of judging every child one by one (findings, the children table cell by cell with
its types, the review table, counts, warnings)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jiaoyu_fupin.dropout import engine
from jiaoyu_fupin.link.prepare import prepare
from jiaoyu_fupin.policy import load_policy

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


@pytest.fixture(scope="module")
def prep():
    return prepare({"registry": [SAMPLE / "registry"], "roster": [SAMPLE / "rosters"],
                    "previous_roster": [SAMPLE / "previous_rosters"],
                    "home_education": [SAMPLE / "home_education.xlsx"], "elsewhere": [SAMPLE / "elsewhere.xlsx"]})


def _messier(prep, seed: int):
    """More of what the slow cases are made of: inactive and blank statuses, mismatch notes,
    kindergarten records, scores of 0, duplicate records in another school, registry rows
    without a head's name."""
    rng = np.random.default_rng(seed)
    p = copy.copy(prep)
    rec = p.rec.copy()
    linked = np.flatnonzero(rec["link_reg"].to_numpy() >= 0)

    def scatter(col, values, share):
        arr = rec[col].astype(object).to_numpy(copy=True)
        pick = rng.choice(linked, max(1, len(linked) // share), replace=False)
        arr[pick] = rng.choice(np.array(values, dtype=object), len(pick))
        rec[col] = pd.Series(arr, index=rec.index, dtype=object)

    scatter("enrolment_status", ["休学", "退学", "转学", "", "复学", "在读"], 5)
    scatter("link_mismatch", ["姓名同音不同字", ""], 4)
    scatter("stage", ["幼儿园"], 10)
    scatter("grade", ["大班", ""], 10)
    score = rec["link_score"].to_numpy(copy=True)
    score[rng.choice(linked, len(linked) // 4, replace=False)] = 0.0
    rec["link_score"] = score
    dup = rec.iloc[rng.choice(linked, len(linked) // 8, replace=False)].copy()
    dup["school"] = "另一小学"
    p.rec = pd.concat([rec, dup], ignore_index=True)
    reg = p.reg.copy()
    head = reg["head_name"].astype(object).to_numpy(copy=True)
    head[rng.choice(len(reg), len(reg) // 2, replace=False)] = ""
    reg["head_name"] = pd.Series(head, index=reg.index, dtype=object)
    p.reg = reg
    return p


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns) and list(a.dtypes) == list(b.dtypes)
    assert len(a) == len(b)
    for c in a.columns:
        for u, v in zip(a[c].tolist(), b[c].tolist()):
            assert type(u) is type(v) and (u == v or (pd.isna(u) and pd.isna(v))), (c, u, v)


@pytest.mark.parametrize("seed", [None, 1, 2])
@pytest.mark.parametrize("year", [2020, 2016])
def test_columnwise_is_one_by_one(prep, monkeypatch, seed, year):
    p = prep if seed is None else _messier(prep, seed)
    policy = load_policy(None)
    fast = engine.dropout_check(p, policy, year)
    monkeypatch.setattr(engine, "_COLUMNWISE", False)
    slow = engine.dropout_check(p, policy, year)
    assert len(fast.children) > 100
    assert fast.findings == slow.findings
    assert [repr(f) for f in fast.findings] == [repr(f) for f in slow.findings]
    assert fast.counts == slow.counts and fast.warnings == slow.warnings and fast.stats == slow.stats
    _same(fast.children, slow.children)
    _same(fast.review, slow.review)


def test_nobody_in_the_window(prep):
    res = engine.dropout_check(prep, load_policy(None), 1900)
    assert not len(res.children) and not res.findings
    assert list(res.children.columns)[-1] == "confidence"
