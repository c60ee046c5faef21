"""Turn loaded tables into the two frames the linker and every command work on.

``registry_frame`` → one row per registry person (deduplicated), plus a row map for accounting.
``records_frame`` → one row per record of every other role, with normalized ID, name, birth
date, school and place columns. ``prepare`` does both and links.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from jiaoyu_fupin.io.load import load_tables
from jiaoyu_fupin.link.engine import link_records
from jiaoyu_fupin.model import ROW, RowIssue, Table
from jiaoyu_fupin.normalize.dates import parse_dates
from jiaoyu_fupin.normalize.ids import id_from_xueji, normalize_ids, xueji_birth
from jiaoyu_fupin.normalize.names import normalize_names, pinyin_keys

Progress = Callable[[str, int, int], None]

#: fields every record frame carries (missing columns become '')
RECORD_FIELDS = ("id_number", "name", "sex", "birth_date", "township", "village", "school", "school_code",
                 "stage", "grade", "class", "boarding", "enrolment_status", "xueji_no", "item", "amount",
                 "school_year", "semester", "hardship_type", "pay_date", "tier", "hukou", "reason",
                 "household_no", "head_name", "phone", "relation", "in_school_status", "poverty_status",
                 "monitor_type", "household_type", "person_no")

_PLACE_SUFFIX = re.compile(r"(村民委员会|村委会|居民委员会|社区居委会|居委会)$")
_SPACES = re.compile(r"\s+")


def norm_place(s: pd.Series) -> pd.Series:
    """Village / township / school names for comparison: NFKC, no spaces, 村委会 → 村."""
    def one(v: str) -> str:
        v = _SPACES.sub("", unicodedata.normalize("NFKC", v))
        v = _PLACE_SUFFIX.sub(lambda m: "社区" if "居" in m.group(0) else "村", v)
        return v
    codes, uniques = pd.factorize(s.astype(object).fillna(""), use_na_sentinel=False)
    mapped = np.array([one(str(u)) for u in uniques] + [""], dtype=object)
    return pd.Series(mapped[codes], index=s.index, dtype=object)


def _frame(table: Table, role: str, ti: int) -> pd.DataFrame:
    df = table.df
    n = len(df)
    out = {"role": np.full(n, role, dtype=object), "table": np.full(n, ti, dtype=np.int64),
           "file": np.full(n, table.file, dtype=object), "sheet": np.full(n, table.sheet, dtype=object),
           "row": df[ROW].to_numpy(dtype=np.int64)}
    for f in RECORD_FIELDS:
        out[f] = df[f].astype(object).fillna("").to_numpy() if f in df.columns else np.full(n, "", dtype=object)
    return pd.DataFrame(out)


def _normalize(frame: pd.DataFrame) -> pd.DataFrame:
    ids = normalize_ids(frame["id_number"])
    frame["id"] = ids["id"].to_numpy()
    frame["id_status"] = ids["id_status"].to_numpy()
    frame["id_note"] = ids["id_note"].to_numpy()
    frame["prefix14"] = ids["id_prefix14"].to_numpy()
    frame["id_sex"] = ids["id_sex"].to_numpy()
    frame["xueji_id"] = id_from_xueji(frame["xueji_no"]).to_numpy()
    names = normalize_names(frame["name"])
    frame["name_n"] = names.to_numpy(dtype=object)
    frame["pinyin"] = pinyin_keys(names).to_numpy(dtype=object)
    birth = ids["id_birth"].to_numpy(dtype=object)
    # an ID whose date is real but whose checksum is wrong still gives a birth date
    from_col = parse_dates(frame["birth_date"]).to_numpy(dtype=object)
    from_xj = xueji_birth(frame["xueji_no"]).to_numpy(dtype=object)
    birth = np.where(birth != "", birth, np.where(from_col != "", from_col, from_xj))
    frame["birth"] = birth
    frame["school_n"] = norm_place(frame["school"]).to_numpy()
    frame["village_n"] = norm_place(frame["village"]).to_numpy()
    frame["township_n"] = norm_place(frame["township"]).to_numpy()
    return frame


@dataclass
class Loaded:
    """Tables per role as read, with the sheets skipped."""

    tables: dict[str, list[Table]]
    skipped_sheets: list = field(default_factory=list)
    paths: dict[str, list[Path]] = field(default_factory=dict)

    def all_tables(self) -> list[tuple[str, Table]]:
        return [(role, t) for role, ts in self.tables.items() for t in ts]


def load_roles(roles: dict[str, list[Path]], columns=None, on_progress: Progress | None = None) -> Loaded:
    tables: dict[str, list[Table]] = {}
    skipped: list = []
    source_of = {"previous_roster": "roster"}
    for role, paths in roles.items():
        if not paths:
            continue
        res = load_tables(list(paths), source=source_of.get(role, role), columns=columns,
                          on_progress=on_progress)
        tables[role] = list(res.tables)
        skipped.extend(res.skipped_sheets)
    return Loaded(tables, skipped, {r: list(p) for r, p in roles.items() if p})


@dataclass
class Prepared:
    loaded: Loaded
    reg: pd.DataFrame            # one row per registry person
    reg_rows: pd.DataFrame       # every registry record row: table, row, person (index into reg) or -1
    reg_rejected: list[RowIssue]  # registry rows that could not be a person (no ID)
    rec: pd.DataFrame            # every other record, with link columns
    table_list: list[tuple[str, Table]]


def registry_frame(items: list[tuple[Table, int]]) -> tuple[pd.DataFrame, pd.DataFrame, list[RowIssue]]:
    frames = [_frame(t, "registry", ti) for t, ti in items]
    if not frames:
        raise ValueError("no registry tables")
    rows = _normalize(pd.concat(frames, ignore_index=True))
    rejected: list[RowIssue] = []
    no_id = (rows["id"] == "").to_numpy()
    if no_id.any():
        for r in rows[no_id].itertuples():
            rejected.append(RowIssue(r.file, r.sheet, int(r.row), "建档立卡库中该人员缺少证件号，无法比对"))
    rows["rid"] = rows["id"]
    # the same person exported twice (same ID and name) is one person; same ID with two
    # different names stays two registry rows and the name decides (or review)
    key = rows["rid"] + "\x00" + rows["name_n"]
    usable = ~no_id
    person = np.full(len(rows), -1, dtype=np.int64)
    first = ~key.duplicated() & usable
    person_rows = np.flatnonzero(first.to_numpy())
    reg = rows.iloc[person_rows].reset_index(drop=True)
    pos = pd.Series(np.arange(len(person_rows)), index=key.iloc[person_rows].to_numpy())
    person[usable] = pos.reindex(key[usable].to_numpy()).to_numpy()
    rows["person"] = person
    reg = reg.rename(columns={"name_n": "name_norm"})
    reg["name_raw"] = reg["name"]
    reg["school"] = ""
    reg["village_key"] = reg["village_n"]
    return reg, rows, rejected


def records_frame(items: list[tuple[str, Table, int]]) -> pd.DataFrame:
    frames = [_frame(t, role, ti) for role, t, ti in items]
    if not frames:
        cols = ["role", "table", "file", "sheet", "row", *RECORD_FIELDS]
        return _normalize(pd.DataFrame({c: pd.Series(dtype=object) for c in cols}))
    return _normalize(pd.concat(frames, ignore_index=True))


def link_frames(rec: pd.DataFrame, reg: pd.DataFrame) -> pd.DataFrame:
    """Run the linker and attach its columns to ``rec`` (in place), returning rec."""
    group = rec["file"].astype(str) + "\x00" + rec["sheet"].astype(str)
    ledger = rec["role"].isin(["national", "provincial"])
    group = group.where(~ledger, group + "\x00" + rec["item"].astype(str) + "\x00" +
                        rec["semester"].astype(str) + rec["school_year"].astype(str))
    lr = pd.DataFrame({
        "id": rec["id"], "id_status": rec["id_status"], "birth": rec["birth"], "prefix14": rec["prefix14"],
        "xueji_id": rec["xueji_id"], "name": rec["name_n"], "pinyin": rec["pinyin"],
        "school": rec["school_n"], "village": rec["village_n"], "township": rec["township_n"],
        "group": group,
    })
    rg = pd.DataFrame({
        "rid": reg["rid"], "name": reg["name_norm"], "pinyin": reg["pinyin"], "birth": reg["birth"],
        "prefix14": reg["prefix14"], "village": reg["village_n"], "township": reg["township_n"],
        "household_no": reg["household_no"],
    })
    links = link_records(lr, rg)
    for c in links.columns:
        rec["link_" + c] = links[c].to_numpy()
    rec["registry_id"] = np.where(links["reg"].to_numpy() >= 0,
                                  reg["rid"].to_numpy(dtype=object)[np.maximum(links["reg"].to_numpy(), 0)], "")
    return rec


def prepare(roles: dict[str, list[Path]], columns=None, on_progress: Progress | None = None) -> Prepared:
    loaded = load_roles(roles, columns=columns, on_progress=on_progress)
    items = []
    reg_items = []
    table_list: list[tuple[str, Table]] = []
    for role, ts in loaded.tables.items():
        for t in ts:
            table_list.append((role, t))
            if role == "registry":
                reg_items.append((t, len(table_list) - 1))
            else:
                items.append((role, t, len(table_list) - 1))
    reg, reg_rows, reg_rejected = registry_frame(reg_items)
    rec = records_frame(items)
    if on_progress:
        on_progress("link", 0, len(rec))
    rec = link_frames(rec, reg)
    if on_progress:
        on_progress("link", len(rec), len(rec))
    return Prepared(loaded, reg, reg_rows, reg_rejected, rec, table_list)
