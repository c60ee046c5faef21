"""summary: households, students and yuan per calendar year — the figures an annual report quotes.

Input is either payout rows (``payout.csv`` or 发放花名册 workbooks: every row is a 建档立卡
student) or national-ledger exports (only rows whose 家庭经济困难类型 the policy counts as
建档立卡; payments of every semester in the files). With the registry, rows are linked to
registry persons: households are the distinct 户编号 of linked persons and the township is the
registry's; without it households cannot be counted and the township is the row's own (if any).

A *year* is a calendar year: its 春季 semester (Y春) and 秋季 semester (Y秋). Students are
distinct persons (registry person, else the row's own ID, else 学籍号, else name + school);
"全年" counts a student paid in both semesters once. Items the policy does not judge
(``ignored_items``: loans, scholarships, 营养改善计划 …) are not aid paid to the family's students
in this sense and are left out, listed in the 说明 sheet with their rows and amounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from jiaoyu_fupin.io.columns_config import ColumnOverrides
from jiaoyu_fupin.link.prepare import Loaded, Prepared, link_frames, load_roles, records_frame, registry_frame
from jiaoyu_fupin.normalize.semesters import parse_semester
from jiaoyu_fupin.payout.payfile import payout_frame, read_payout_files
from jiaoyu_fupin.policy.model import STAGES, Policy
from jiaoyu_fupin.reconcile.engine import account
from jiaoyu_fupin.reconcile.findings import money
from jiaoyu_fupin.report.xlsx import SUM, Column, Section, WorkbookWriter

ZERO = Decimal(0)
TERMS = ("春", "秋")
TERM_LABELS = {"春": "春季", "秋": "秋季"}
UNKNOWN = "（未知）"
NO_REGISTRY_TOWN = "（需提供建档立卡库）"

SKIP_NO_SEMESTER = "学期无法识别，未计入统计"
SKIP_NOT_JDLK = "非建档立卡学生（按家庭经济困难类型），未计入统计"
SKIP_IGNORED = "政策不核对的项目（如贷款、奖学金、营养餐），未计入统计"

#: breakdown dimensions: (key, Chinese label)
DIMENSIONS = (("stage", "学段"), ("item", "资助项目"), ("township", "乡镇"), ("school", "学校"))


@dataclass(frozen=True)
class Stat:
    """Figures of one group: households (None without registry), students, 人次, yuan."""

    households: int | None
    students: int
    person_times: int
    amount: Decimal


@dataclass(frozen=True)
class BreakdownRow:
    key: str
    households: int | None
    students: dict[str, int]          # term -> distinct students ('' = whole year)
    amounts: dict[str, Decimal]       # term -> yuan ('' = whole year)


@dataclass
class YearSummary:
    year: int
    terms: list[str]                  # terms present in the data, in order (春, 秋)
    total: Stat
    by_term: dict[str, Stat]
    breakdowns: dict[str, list[BreakdownRow]]
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        def stat(s: Stat) -> dict:
            return {"households": s.households, "students": s.students, "person_times": s.person_times,
                    "amount": money(s.amount)}
        return {"year": self.year, "terms": self.terms, "total": stat(self.total),
                "by_term": {TERM_LABELS[t]: stat(s) for t, s in self.by_term.items()},
                "sentence": self.sentence,
                "breakdowns": {d: [{"key": r.key, "households": r.households,
                                    "students": {TERM_LABELS.get(t, "全年"): n for t, n in r.students.items()},
                                    "amounts": {TERM_LABELS.get(t, "全年"): money(a) for t, a in r.amounts.items()}}
                                   for r in rows] for d, rows in self.breakdowns.items()}}


@dataclass
class SummaryResult:
    source: str                       # payout / national
    has_registry: bool
    years: list[YearSummary]
    warnings: list[str]
    accounting: dict
    excluded_items: dict[str, tuple[int, Decimal]] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "has_registry": self.has_registry,
                "years": [y.to_dict() for y in self.years], "warnings": list(self.warnings),
                "excluded_items": {k: {"rows": n, "amount": money(a)} for k, (n, a) in self.excluded_items.items()},
                "counts": self.counts}


# ---------------------------------------------------------------------------------------------
# reading


def prepare_summary(*, payout: list[Path], national: list[Path], registry: list[Path],
                    columns: ColumnOverrides, on_progress=None) -> tuple[Prepared, str]:
    """Read the payment rows (payout or national) and, when given, the registry; link them."""
    source = "payout" if payout else "national"
    roles: dict[str, list[Path]] = {"registry": list(registry)}
    if source == "national":
        roles["national"] = list(national)
    loaded = load_roles(roles, columns=columns, on_progress=on_progress)
    if source == "payout":
        files = read_payout_files(list(payout), columns)
        loaded.tables["payout"] = list(files.tables)
        loaded.skipped_sheets.extend(files.skipped_sheets)
    table_list = [(role, t) for role, ts in loaded.tables.items() for t in ts]
    reg_items = [(t, i) for i, (role, t) in enumerate(table_list) if role == "registry"]
    items = [(role, t, i) for i, (role, t) in enumerate(table_list) if role != "registry"]
    rec = records_frame(items)
    if reg_items:
        reg, reg_rows, reg_rejected = registry_frame(reg_items)
        if on_progress:
            on_progress("link", 0, len(rec))
        rec = link_frames(rec, reg)
        if on_progress:
            on_progress("link", len(rec), len(rec))
    else:
        reg = pd.DataFrame({c: pd.Series(dtype=object) for c in ("rid", "name_raw", "household_no", "township",
                                                                  "village")})
        reg_rows = pd.DataFrame({c: pd.Series(dtype=object) for c in ("table", "row", "person", "id", "rid",
                                                                       "name_n")})
        reg_rejected = []
        n = len(rec)
        rec["link_reg"] = np.full(n, -1, dtype=np.int64)
        rec["link_status"] = np.full(n, "none", dtype=object)
        rec["link_method"] = np.full(n, "none", dtype=object)
        rec["link_score"] = np.zeros(n)
        rec["link_candidates"] = np.full(n, "", dtype=object)
        rec["link_mismatch"] = np.full(n, "", dtype=object)
        rec["registry_id"] = np.full(n, "", dtype=object)
    return Prepared(Loaded(loaded.tables, loaded.skipped_sheets, loaded.paths), reg, reg_rows, reg_rejected,
                    rec, table_list), source


# ---------------------------------------------------------------------------------------------
# computing


def summary_rows(prep: Prepared, policy: Policy, source: str, warnings: list[str]
                 ) -> tuple[pd.DataFrame, dict[str, tuple[int, Decimal]]]:
    """The counted payment rows: person, household, township, school, stage, code, sem, amount.
    Sets ``prep.rec['skip_reason']`` for the rows left out (row accounting)."""
    tables = [t for role, t in prep.table_list if role == source]
    f = payout_frame(tables, policy)
    rec = prep.rec
    assert len(f) == len(rec), "payment frame and record frame must align"
    skip = np.full(len(f), "", dtype=object)
    # items
    status = f["item_status"].to_numpy(dtype=object)
    if source == "national" and (status == "unknown").any():
        unknown = f.loc[status == "unknown"]
        policy.check_values("item", unknown["item"].value_counts().to_dict(), where="全国学生资助系统")
    excluded: dict[str, tuple[int, Decimal]] = {}
    ign = status == "ignored"
    for name, grp in f[ign].groupby("item"):
        amt = sum((a for a in grp["amount_d"] if a is not None), ZERO)
        excluded[str(name)] = (len(grp), amt)
    skip[ign] = SKIP_IGNORED
    # 建档立卡 only (national)
    if source == "national":
        has_col = np.zeros(len(f), dtype=bool)
        hardship = rec["hardship_type"].astype(object).fillna("")
        for ti in set(f["table"]):
            t = tables[ti]
            if "hardship_type" in t.df.columns:
                has_col |= (f["table"] == ti).to_numpy()
            else:
                warnings.append(f"{t.file}“{t.sheet}”没有家庭经济困难类型一列，全部按建档立卡学生统计")
        jd = policy.jdlk(hardship)
        unknown = jd.isna().to_numpy() & (hardship.str.strip() != "").to_numpy() & has_col
        if unknown.any():
            policy.check_values("hardship_type", hardship[unknown].value_counts().to_dict(), where="全国学生资助系统")
        not_jd = has_col & ~jd.fillna(False).astype(bool).to_numpy() & (skip == "")
        skip[not_jd] = SKIP_NOT_JDLK
    # semesters
    no_sem = (f["sem"] == "").to_numpy() & (skip == "")
    skip[no_sem] = SKIP_NO_SEMESTER
    if no_sem.any():
        warnings.append(f"{int(no_sem.sum())} 行学期无法识别，未计入统计（见 run.json 行数核对）")
    rec["skip_reason"] = skip
    bad_amount = f["amount_d"].isna().to_numpy() & (skip == "")
    if bad_amount.any():
        r = f[bad_amount].iloc[0]
        warnings.append(f"{int(bad_amount.sum())} 行金额无法识别（如 {r['file']} 第 {r['row']} 行“{r['amount']}”），按 0 元计")

    keep = skip == ""
    g = f[keep].copy()
    r = rec[keep]
    linked = (r["link_reg"].to_numpy() >= 0)
    reg = prep.reg
    li = np.maximum(r["link_reg"].to_numpy(), 0)
    if len(reg):
        hh = np.where(linked, reg["household_no"].astype(object).fillna("").to_numpy()[li], "")
        town_reg = np.where(linked, reg["township"].astype(object).fillna("").to_numpy()[li], "")
    else:
        hh = np.full(len(g), "", dtype=object)
        town_reg = np.full(len(g), "", dtype=object)
    own_town = g["township"].astype(object).fillna("").to_numpy()
    town = np.where(town_reg != "", town_reg, own_town)
    town = np.where(town != "", town, UNKNOWN if len(reg) else NO_REGISTRY_TOWN)
    usable = r["id_status"].isin(["valid", "converted_15"]).to_numpy()
    person = np.where(linked, "R" + r["registry_id"].astype(str).to_numpy(dtype=object),
                      np.where(usable, "X" + r["id"].astype(str).to_numpy(dtype=object),
                               np.where(r["xueji_id"].astype(str).to_numpy(dtype=object) != "",
                                        "X" + r["xueji_id"].astype(str).to_numpy(dtype=object),
                                        "N" + r["name_n"].astype(str).to_numpy(dtype=object) + "|"
                                        + r["school_n"].astype(str).to_numpy(dtype=object))))
    parsed = {v: parse_semester(v) for v in set(g["sem"])}
    sems = [parsed[v] for v in g["sem"]]
    rows = pd.DataFrame({
        "person": person, "household": hh, "township": town,
        "school": g["school"].astype(object).where(g["school"].astype(object) != "", UNKNOWN).to_numpy(),
        "stage": g["stage_n"].astype(object).where(g["stage_n"].astype(object) != "", UNKNOWN).to_numpy(),
        "code": g["code"].to_numpy(dtype=object),
        "year": [s.year for s in sems], "term": [s.term for s in sems],
        "amount": [a if a is not None else ZERO for a in g["amount_d"]],
    })
    return rows, excluded


def _nunique(s: pd.Series) -> int:
    return int(s[s != ""].nunique())


def _stat(df: pd.DataFrame, households: bool) -> Stat:
    return Stat(_nunique(df["household"]) if households else None, int(df["person"].nunique()), len(df),
                sum(df["amount"], ZERO))


def wan_yuan(amount: Decimal) -> str:
    """505575 → '50.5575' (万元, exact, no trailing zeros)."""
    d = (amount / Decimal(10000)).normalize()
    text = format(d, "f")
    return text


def _breakdown(df: pd.DataFrame, dim: str, terms: list[str], households: bool,
               order: list[str] | None = None, names: dict[str, str] | None = None) -> list[BreakdownRow]:
    if not len(df):
        return []
    students = df.groupby(dim)["person"].nunique()
    by_term = df.groupby([dim, "term"])["person"].nunique()
    amounts = df.groupby(dim)["amount"].agg(lambda s: sum(s, ZERO))
    amounts_term = df.groupby([dim, "term"])["amount"].agg(lambda s: sum(s, ZERO))
    hh = df[df["household"] != ""].groupby(dim)["household"].nunique() if households else None
    present = set(students.index)
    keys = [k for k in dict.fromkeys(order or []) if k in present] + sorted(present - set(order or []))
    out = []
    for key in keys:
        st = {t: int(by_term.get((key, t), 0)) for t in terms}
        st[""] = int(students[key])
        am = {t: amounts_term.get((key, t), ZERO) for t in terms}
        am[""] = amounts[key]
        out.append(BreakdownRow((names or {}).get(key, str(key)),
                                int(hh.get(key, 0)) if hh is not None else None, st, am))
    return out


def sentence(year: int, total: Stat, by_term: dict[str, Stat], has_registry: bool) -> str:
    terms = "、".join(f"{TERM_LABELS[t]}发放{s.students}人" for t, s in by_term.items())
    head = f"{year}年教育补助建档立卡户{total.households}户，{total.students}名学生" if has_registry \
        else f"{year}年教育补助建档立卡学生{total.students}名"
    text = f"{head}（{terms}），{wan_yuan(total.amount)}万元"
    if not has_registry:
        text += "（户数需提供建档立卡库）"
    return text


def compute_summary(prep: Prepared, policy: Policy, source: str) -> SummaryResult:
    warnings: list[str] = []
    rows, excluded = summary_rows(prep, policy, source, warnings)
    has_registry = bool(prep.loaded.tables.get("registry"))
    if has_registry:
        linked = rows["person"].str.startswith("R")
        n_unlinked = int((~linked).sum())
        if n_unlinked:
            warnings.append(f"{n_unlinked} 行发放记录在建档立卡库中找不到对应的人，户数不含这些学生的家庭")
    item_names = {it.code: it.name for it in policy.items}
    stage_order = [s for s in STAGES] + [UNKNOWN]
    years = []
    for year in sorted(set(rows["year"])):
        df = rows[rows["year"] == year]
        terms = [t for t in TERMS if (df["term"] == t).any()]
        total = _stat(df, has_registry)
        by_term = {t: _stat(df[df["term"] == t], has_registry) for t in terms}
        bd = {
            "stage": _breakdown(df, "stage", terms, has_registry, stage_order),
            "item": _breakdown(df, "code", terms, has_registry, list(policy.codes), item_names),
            "township": _breakdown(df, "township", terms, has_registry),
            "school": _breakdown(df, "school", terms, has_registry),
        }
        years.append(YearSummary(year, terms, total, by_term, bd, sentence(year, total, by_term, has_registry)))
    if not years:
        warnings.append("没有可统计的发放记录")
    rec = prep.rec
    accounting = account(prep, rec)
    if not has_registry:
        for e in accounting["tables"]:
            if "unlinked_legitimate" in e:
                e["used"] = e.pop("unlinked_legitimate")
    counts = {"rows_counted": len(rows), "years": [y.year for y in years]}
    return SummaryResult(source, has_registry, years, warnings, accounting, excluded, counts)


# ---------------------------------------------------------------------------------------------
# writing

SUMMARY_CSV_COLUMNS = ("year", "dimension", "key", "households", "students_spring", "students_autumn",
                       "students_year", "amount_spring", "amount_autumn", "amount_year")


def summary_csv_rows(result: SummaryResult):
    for y in result.years:
        t = y.by_term
        yield [y.year, "total", "", y.total.households,
               t["春"].students if "春" in t else 0, t["秋"].students if "秋" in t else 0, y.total.students,
               t["春"].amount if "春" in t else ZERO, t["秋"].amount if "秋" in t else ZERO, y.total.amount]
        for dim, _ in DIMENSIONS:
            for r in y.breakdowns[dim]:
                yield [y.year, dim, r.key, r.households, r.students.get("春", 0), r.students.get("秋", 0),
                       r.students[""], r.amounts.get("春", ZERO), r.amounts.get("秋", ZERO), r.amounts[""]]


def _breakdown_table(wb: WorkbookWriter, name: str, label: str, y: YearSummary, rows: list[BreakdownRow],
                     has_registry: bool, title: str):
    cols = [Column(label)]
    if has_registry:
        cols.append(Column("户数", "int"))
    for t in y.terms:
        cols.append(Column(f"{TERM_LABELS[t]}人数", "int"))
    cols.append(Column("全年人数（去重）", "int"))
    for t in y.terms:
        cols.append(Column(f"{TERM_LABELS[t]}金额（元）", "money"))
    cols.append(Column("全年金额（元）", "money"))
    data = []
    for r in rows:
        line: list[Any] = [r.key]
        if has_registry:
            line.append(r.households)
        line += [r.students[t] for t in y.terms] + [r.students[""]]
        line += [r.amounts[t] for t in y.terms] + [r.amounts[""]]
        data.append(line)
    # totals: distinct counts are not sums (a student may change stage between terms)
    total: dict[Any, Any] = {0: "合计"}
    i = 1
    if has_registry:
        total[i] = y.total.households
        i += 1
    for t in y.terms:
        total[i] = y.by_term[t].students
        i += 1
    total[i] = y.total.students
    i += 1
    for _ in y.terms:
        total[i] = SUM
        i += 1
    total[i] = SUM
    res = wb.add_table(name, cols, data, title=title, total_row=total)
    return res, cols


def write_summary_workbook(path: Path, y: YearSummary, result: SummaryResult, *, meta: list[tuple[str, Any]],
                           sections: list[Section]) -> Path:
    has_reg = result.has_registry
    with WorkbookWriter(path, title=f"{y.year}年学生资助统计") as wb:
        wb.reserve_sheet("说明")
        # 汇总
        cols = [Column("口径")]
        if has_reg:
            cols.append(Column("户数", "int"))
        cols += [Column("学生人数", "int"), Column("发放人次", "int"), Column("金额（元）", "money"),
                 Column("金额（万元）")]
        data = []
        for label, s in [(f"{y.year}年全年（学生去重）", y.total)] + \
                [(f"{y.year}年{TERM_LABELS[t]}学期", y.by_term[t]) for t in y.terms]:
            line: list[Any] = [label]
            if has_reg:
                line.append(s.households)
            line += [s.students, s.person_times, s.amount, wan_yuan(s.amount)]
            data.append(line)
        wb.add_table("汇总", cols, data, title=y.sentence)
        titles = {"stage": "按学段", "item": "按资助项目", "township": "按乡镇", "school": "按学校"}
        parts = {}
        for dim, label in DIMENSIONS:
            res, tcols = _breakdown_table(wb, titles[dim], label, y, y.breakdowns[dim], has_reg,
                                          f"{y.year}年 学生资助{titles[dim]}统计")
            parts[dim] = (res.parts[0], tcols)
        _charts(wb, y, parts, has_reg)
        wb.add_key_value_sheet("说明", meta, sections, title=f"{y.year}年学生资助统计 — 说明")
    return path


def _charts(wb: WorkbookWriter, y: YearSummary, parts: dict, has_reg: bool) -> None:
    book = wb.workbook
    part, cols = parts["stage"]
    if part.data_rows > 0:
        chart = book.add_chart({"type": "column"})
        first_term_col = 2 if has_reg else 1
        for k, t in enumerate(y.terms):
            c = first_term_col + k
            chart.add_series({
                "name": [part.name, part.header_row, c],
                "categories": [part.name, part.first_data_row, 0, part.last_data_row, 0],
                "values": [part.name, part.first_data_row, c, part.last_data_row, c],
                "data_labels": {"value": True},
            })
        chart.set_title({"name": f"{y.year}年各学期受助学生数（按学段）"})
        chart.set_y_axis({"name": "人数"})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 640, "height": 360})
        part.worksheet.insert_chart(part.header_row, len(cols) + 1, chart)
    part, cols = parts["township"]
    if part.data_rows > 0:
        chart = book.add_chart({"type": "bar"})
        c = len(cols) - 1
        chart.add_series({
            "name": [part.name, part.header_row, c],
            "categories": [part.name, part.first_data_row, 0, part.last_data_row, 0],
            "values": [part.name, part.first_data_row, c, part.last_data_row, c],
            "data_labels": {"value": True, "num_format": "#,##0.00"},
        })
        chart.set_title({"name": f"{y.year}年各乡镇资助金额（元）"})
        chart.set_legend({"none": True})
        chart.set_x_axis({"num_format": "#,##0"})
        chart.set_y_axis({"reverse": True})
        chart.set_size({"width": 640, "height": max(300, 40 * part.data_rows + 120)})
        part.worksheet.insert_chart(part.header_row, len(cols) + 1, chart)
