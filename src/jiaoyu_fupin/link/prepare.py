"""Turn loaded tables into the two frames the linker and every command work on.

``registry_frame`` → one row per registry person (deduplicated), plus a row map for accounting.
``records_frame`` → one row per record of every other role, with normalized ID, name, birth
date, school and place columns. ``prepare`` does both and links.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from jiaoyu_fupin.io.load import load_many
from jiaoyu_fupin.link.engine import combined_codes, link_records
from jiaoyu_fupin.model import ROW, RowIssue, Table
from jiaoyu_fupin.normalize.dates import _iso as _iso_date
from jiaoyu_fupin.normalize.ids import normalize_id_arrays, xueji_arrays
from jiaoyu_fupin.normalize.names import names_and_keys_array
from jiaoyu_fupin.normalize.values import map_distinct

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


def object_frame(columns: dict[str, np.ndarray], index=None) -> pd.DataFrame:
    """A DataFrame over the given arrays, without copying them: object arrays stay object columns
    (pandas 3 would turn them into its pyarrow-backed ``str``, whose row selection is several times
    slower) and each column keeps its own block (no consolidation copy of a million-row frame)."""
    def own(v: np.ndarray) -> np.ndarray:
        return v if v.flags.writeable else v.copy()   # a read-only view (to_numpy) cannot be a column

    return pd.DataFrame({k: pd.Series(own(v), dtype=object, index=index, copy=False) if v.dtype == object
                         else pd.Series(own(v), index=index, copy=False) for k, v in columns.items()},
                        copy=False)


def _columns(items: list[tuple[str, Table, int]]) -> dict[str, np.ndarray]:
    """The rows of several tables as whole columns (one array per field; missing fields '')."""
    sizes = [len(t.df) for _, t, _ in items]
    n = sum(sizes)
    out = {"role": np.empty(n, dtype=object), "table": np.empty(n, dtype=np.int64),
           "file": np.empty(n, dtype=object), "sheet": np.empty(n, dtype=object),
           "row": np.empty(n, dtype=np.int64)}
    for f in RECORD_FIELDS:
        out[f] = np.empty(n, dtype=object)
    start = 0
    for (role, t, ti), size in zip(items, sizes):
        end = start + size
        df = t.df
        out["role"][start:end] = role
        out["table"][start:end] = ti
        out["file"][start:end] = t.file
        out["sheet"][start:end] = t.sheet
        out["row"][start:end] = df[ROW].to_numpy(dtype=np.int64)
        for f in RECORD_FIELDS:
            if f in df.columns:
                values = df[f].to_numpy(dtype=object)
                if pd.api.types.infer_dtype(values, skipna=False) != "string":   # not all text
                    values = df[f].astype(object).fillna("").to_numpy(dtype=object)
                out[f][start:end] = values
            else:
                out[f][start:end] = ""
        start = end
    return out


def _normalized(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The columns linking compares, from the raw ones."""
    ids = normalize_id_arrays(cols["id_number"])
    new: dict[str, np.ndarray] = {
        "id": ids["id"], "id_status": ids["id_status"], "id_note": ids["id_note"],
        "prefix14": ids["id_prefix14"], "id_sex": ids["id_sex"]}
    xueji_id, from_xj = xueji_arrays(cols["xueji_no"])
    new["xueji_id"] = xueji_id
    new["name_n"], new["pinyin"] = names_and_keys_array(cols["name"])
    birth = ids["id_birth"]
    # an ID whose date is real but whose checksum is wrong still gives a birth date
    from_col = map_distinct(cols["birth_date"], _iso_date, dtype="object").to_numpy(dtype=object)
    new["birth"] = np.where(birth != "", birth, np.where(from_col != "", from_col, from_xj))
    for f in ("school", "village", "township"):
        new[f + "_n"] = norm_place(pd.Series(cols[f], dtype=object, copy=False)).to_numpy()
    return new


def _frame_of(items: list[tuple[str, Table, int]]) -> pd.DataFrame:
    cols = _columns(items)
    cols.update(_normalized(cols))
    return object_frame(cols)


_SCHOOL_NAME = re.compile(r"^(.+?(?:幼儿园|小学|完小|教学点|初级中学|高级中学|中学|职业技术学校|职业学校|职业中学|"
                          r"职教中心|中专|学校|中心校))")


def school_from_title(title: str, file: str) -> str:
    """The school a one-school roster is about, from its title row or file name
    ('清源县城关幼儿园2020年秋季学期在园幼儿名册', '清源县城关幼儿园_幼儿名册.xlsx')."""
    for text in (title, Path(file).stem.split("_")[0]):
        m = _SCHOOL_NAME.match(re.sub(r"\s+", "", text or ""))
        if m:
            return m.group(1)
    return ""


def schools_filled_warning(n: int) -> str:
    return f"有 {n} 条名册记录所在的表没有“学校名称”列，学校按表格标题或文件名确定"


#: roles whose sheets are one school's roster
_ROSTER_ROLES = ("roster", "previous_roster")


def fill_roster_schools(tables: dict[str, list[Table]]) -> int:
    """Roster sheets without a school column: the school is the one the sheet's title or file name
    names (stage, tier, linking by school and the per-school sheets need it).  Returns the number
    of records given a school this way."""
    filled = 0
    for role in _ROSTER_ROLES:
        for t in tables.get(role, []):
            if "school" in t.df.columns or not len(t.df):
                continue
            school = school_from_title(t.title, t.file)
            if school:
                t.df["school"] = pd.Series([school] * len(t.df), index=t.df.index, dtype=object)
                filled += len(t.df)
    return filled


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
    # all roles' files through one pair of reader threads (a big registry file overlaps rosters)
    given = [(role, list(paths)) for role, paths in roles.items() if paths]
    results = load_many([(source_of.get(role, role), paths) for role, paths in given], columns=columns,
                        on_progress=on_progress)
    for (role, _), res in zip(given, results):
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
    #: roster records whose school came from the sheet's title or file name (no school column)
    schools_filled: int = 0


def registry_frame(items: list[tuple[Table, int]]) -> tuple[pd.DataFrame, pd.DataFrame, list[RowIssue]]:
    if not items:
        raise ValueError("no registry tables")
    rows = _frame_of([("registry", t, ti) for t, ti in items])
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
    return _frame_of(items)


def link_frames(rec: pd.DataFrame, reg: pd.DataFrame) -> pd.DataFrame:
    """Run the linker and attach its columns to ``rec`` (in place), returning rec."""
    # records of one file and sheet (a ledger: of one item and semester too) form a group; the
    # group is an integer code of those values
    ledger = rec["role"].isin(["national", "provincial"]).to_numpy()
    # (file, sheet) per table, then per row through the table number
    tables = rec["table"].to_numpy().astype(np.int64)
    group = np.zeros(len(rec), dtype=np.int64)
    if len(rec):
        t_ids, t_first = np.unique(tables, return_index=True)
        pair_codes = combined_codes([rec["file"].to_numpy(dtype=object)[t_first],
                                     rec["sheet"].to_numpy(dtype=object)[t_first]])[0]
        per_table = np.zeros(int(t_ids.max()) + 1, dtype=np.int64)
        per_table[t_ids] = pair_codes
        group = per_table[tables]
    if ledger.any():
        lp = np.flatnonzero(ledger)
        semyear = np.array([str(a) + str(b) for a, b in zip(rec["semester"].to_numpy(dtype=object)[lp].tolist(),
                                                            rec["school_year"].to_numpy(dtype=object)[lp].tolist())],
                           dtype=object)
        sub = combined_codes([group[lp], rec["item"].to_numpy(dtype=object)[lp], semyear])[0]
        group[lp] = group.max() + 1 + sub   # ledger groups never equal a file's group
    lr = pd.DataFrame({
        "id": rec["id"], "id_status": rec["id_status"], "birth": rec["birth"], "prefix14": rec["prefix14"],
        "xueji_id": rec["xueji_id"], "name": rec["name_n"], "pinyin": rec["pinyin"],
        "school": rec["school_n"], "village": rec["village_n"], "township": rec["township_n"],
        "group": group,
    }, copy=False)
    rg = pd.DataFrame({
        "rid": reg["rid"], "id_status": reg["id_status"], "name": reg["name_norm"], "pinyin": reg["pinyin"],
        "birth": reg["birth"],
        "prefix14": reg["prefix14"], "village": reg["village_n"], "township": reg["township_n"],
        "household_no": reg["household_no"],
    })
    links = link_records(lr, rg)
    for c in links.columns:
        values = links[c].to_numpy()
        rec["link_" + c] = pd.Series(values, dtype=object, index=rec.index) if values.dtype == object else values
    linked = links["reg"].to_numpy()
    rec["registry_id"] = pd.Series(np.where(linked >= 0, reg["rid"].to_numpy(dtype=object)[np.maximum(linked, 0)], ""),
                                   dtype=object, index=rec.index)
    return rec


def _no_stage(name: str, rows: int = 0):
    return contextlib.nullcontext(SimpleNamespace(name=name, rows=rows))


def prepare(roles: dict[str, list[Path]], columns=None, on_progress: Progress | None = None,
            stage=None) -> Prepared:
    """Read, normalise and link. ``stage(name)`` (e.g. ``RunInfo.stage``) times the steps ``read``,
    ``normalize`` and ``link``; each sets ``rows`` to the rows it handled."""
    stage = stage or _no_stage
    with stage("read") as st:
        loaded = load_roles(roles, columns=columns, on_progress=on_progress)
        st.rows = sum(t.rows_read for ts in loaded.tables.values() for t in ts)
    with stage("normalize") as st:
        schools_filled = fill_roster_schools(loaded.tables)
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
        st.rows = len(reg_rows) + len(rec)
    with stage("link") as st:
        if on_progress:
            on_progress("link", 0, len(rec))
        rec = link_frames(rec, reg)
        if on_progress:
            on_progress("link", len(rec), len(rec))
        st.rows = len(rec)
    return Prepared(loaded, reg, reg_rows, reg_rejected, rec, table_list, schools_filled)
