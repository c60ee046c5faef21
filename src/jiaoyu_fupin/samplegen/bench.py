"""Bench-scale inputs (``--scale bench`` or a factor of it): all .xlsx, one sheet each, written by a
small process pool. IDs, names and dates are generated with numpy.

At factor 1: 200,000 registry rows, 1,000,000 roster rows over ~300 schools, 200,000 national and
60,000 provincial rows. The files are written by ``FastXlsx``, a minimal streaming writer producing
the same layout as xlsxwriter's constant-memory mode (inline strings, text-format ID columns,
frozen header) at a fraction of xlsxwriter's per-cell cost (xlsxwriter took ~4.5 minutes for this
volume on 2 cores, FastXlsx about one); memory stays flat. The data is consistent (registry
children are enrolled and paid, payments match rosters) with a few percent of the sample's mess
sprinkled over it (vectorised, see ``MESS``) so that linking's fuzzy paths run at scale: ID typos
(one substitution / transposition, carried into the G 学籍号 as real typos are), two-digit typos,
homophone and traditional-character names, garbage IDs, empty IDs with a G 学籍号, schools whose
ID column holds numbers (precision lost; half of their rows without a 学籍号), duplicate roster and
payment rows, JY/T 1001 status codes, apostrophes and lowercase x. No per-record truth is
computed at this scale.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import time
import zipfile
from pathlib import Path

import numpy as np
from xlsxwriter.utility import xl_col_to_name

from . import ids as idm
from . import names as nm

REG_ROWS, ROSTER_ROWS, NAT_ROWS, PROV_ROWS, N_SCHOOLS = 200_000, 1_000_000, 200_000, 60_000, 300
REF = np.datetime64("2020-08-31")
STAGES = np.array(["K", "P", "J", "H", "V"])
STAGE_SHARE = {"K": 80, "P": 120, "J": 60, "H": 25, "V": 15}
GRADES = {"K": (1, 3), "P": (1, 6), "J": (7, 9), "H": (1, 3), "V": (1, 3)}
AGE0 = {"K": 2, "P": 5, "J": 5, "H": 14, "V": 14}
TIERS = ("省示范", "市示范", "民办", "普通")
CN = "零一二三四五六七八九"
HEADER_VARIANTS = (
    ["学校名称", "姓名", "性别", "身份证号", "全国学籍号", "年级", "班级", "就读方式", "学籍状态"],
    ["学校", "学生姓名", "性别", "身份证件号", "学籍号", "年级", "班级", "就读方式", "学生当前状态"],
    ["学校名称", "姓名", "性别", "公民身份号码", "全国学籍号", "所在年级", "班级", "就读方式", "学籍状态"],
)
STATUS_WORDS = np.array(["在读", "休学", "转出", "复学", "退学"])
STATUS_CODES = np.array(["01", "02", "10", "05", "03"])

_DATA: dict = {}          # shared with forked workers

#: bump whenever the generated data changes (``bench/run.py`` caches the files by scale, seed and this)
BENCH_VERSION = 2

#: share of rows carrying each kind of mess (rosters; the national ledger gets about half)
MESS = {"typo": 0.006, "two_typos": 0.002, "garbage_id": 0.003, "homophone": 0.006, "traditional": 0.004,
        "duplicate": 0.002}
#: a school whose roster stores IDs as numbers (Excel's 15 digits kept): every NUMERIC_EVERY-th school
NUMERIC_EVERY, NUMERIC_FIRST = 37, 5
GARBAGE_IDS = np.array(["无", "不详", "0", "123456", "待补录", "34102120", "身份证号", "3410212005O1011232"])


# ----------------------------------------------------------------------------------------------
def _names(rng: np.random.Generator, n: int, sex_male: np.ndarray) -> np.ndarray:
    sur = np.array([s for s, _ in nm.SURNAMES])
    w = np.array([x for _, x in nm.SURNAMES], dtype=float)
    s = sur[rng.choice(len(sur), n, p=w / w.sum())]
    male = np.array(list(nm.MALE))
    female = np.array(list(nm.FEMALE))
    g1 = np.where(sex_male, male[rng.integers(0, len(male), n)], female[rng.integers(0, len(female), n)])
    g2 = np.where(sex_male, male[rng.integers(0, len(male), n)], female[rng.integers(0, len(female), n)])
    two = rng.random(n) < 0.75
    given = np.where(two, np.char.add(g1, g2), g1)
    return np.char.add(s, given)


def _unique_ids(rng: np.random.Generator, region: np.ndarray, birth: np.ndarray, male: np.ndarray) -> np.ndarray:
    """18-character IDs, unique: duplicates of (region, birth date, sequence) get a new sequence."""
    n = len(region)
    seq = rng.integers(0, 499, n) * 2 + np.where(male, 1, 2)
    base = (region.astype(np.int64) * 100_000 + birth.astype("datetime64[D]").astype(np.int64)) * 1000
    for _ in range(100):
        key = base + seq
        _, first = np.unique(key, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            break
        seq[dup] = rng.integers(0, 499, int(dup.sum())) * 2 + np.where(male[dup], 1, 2)
    return idm.ids_vectorised(region, birth, seq)


def _births_for_age(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    """Born between (2020-age-1)-09-01 and (2020-age)-08-31."""
    years = (2019 - age.astype(np.int64)) - 1970
    start = (years.astype("datetime64[Y]").astype("datetime64[M]") + 8).astype("datetime64[D]")
    return start + rng.integers(0, 365, len(age)).astype("timedelta64[D]")


def _grade_text(stage: str, g: int) -> str:
    if stage == "K":
        return ("小班", "中班", "大班")[g - 1]
    if stage == "H":
        return f"高{CN[g]}"
    if stage == "V":
        return f"中职{CN[g]}年级"
    return f"{CN[g]}年级"


# ----------------------------------------------------------------------------------------------
def build(seed: int, factor: float) -> dict:
    rng = np.random.default_rng(seed)
    n_reg = int(REG_ROWS * factor)
    n_roster = int(ROSTER_ROWS * factor)
    n_nat = int(NAT_ROWS * factor)
    n_prov = int(PROV_ROWS * factor)
    n_schools = max(13, round(N_SCHOOLS * factor))
    n_tw = max(6, round(30 * factor ** 0.5))
    tw_chars = list("青石龙凤桃溪山河东西南北新安平和丰乐兴隆永福")
    townships = [f"{tw_chars[i % len(tw_chars)]}{tw_chars[(i * 7 + 3) % len(tw_chars)]}{'镇' if i % 3 else '乡'}"
                 + ("" if i < len(tw_chars) else str(i)) for i in range(n_tw)]
    villages = [[f"{t[:2]}{v + 1}村" for v in range(8)] for t in townships]

    # schools
    tot = sum(STAGE_SHARE.values())
    kinds = []
    for st, share in STAGE_SHARE.items():
        kinds += [st] * max(1, round(n_schools * share / tot))
    kinds = kinds[:n_schools]
    school_names, school_tier, school_stage = [], [], []
    counters: dict = {}
    for i, st in enumerate(kinds):
        tw = townships[i % n_tw]
        counters[(tw, st)] = counters.get((tw, st), 0) + 1
        k = counters[(tw, st)]
        label = {"K": "幼儿园", "P": "小学", "J": "初级中学", "H": "高级中学", "V": "职业技术学校"}[st]
        school_names.append(f"清源县{tw}第{CN[k] if k < 10 else k}{label}")
        school_tier.append(TIERS[i % 4] if st == "H" else "")
        school_stage.append(st)
    school_stage = np.array(school_stage)
    by_stage = {st: np.flatnonzero(school_stage == st) for st in "KPJHV"}

    # registry persons, households of four: head, spouse, two younger members (~30% of all rows are
    # children aged 3-17 who go to school)
    slot = np.arange(n_reg) % 4
    hh = np.arange(n_reg) // 4
    n_hh = int(hh[-1]) + 1 if n_reg else 0
    young = slot >= 2
    kid_roll = rng.random(n_reg) < 0.6
    age = np.where(~young, rng.integers(28, 66, n_reg),
                   np.where(kid_roll, rng.integers(3, 18, n_reg), rng.choice([0, 1, 2, 18, 19, 20, 22, 25], n_reg)))
    is_kid = young & kid_roll
    male = np.where(slot == 0, rng.random(n_reg) < 0.9, np.where(slot == 1, False, rng.random(n_reg) < 0.52))
    male = np.where((slot == 1) & (rng.random(n_reg) < 0.1), True, male)
    reg_region = np.where(rng.random(n_reg) < 0.93, 341021, 341022)
    reg_birth = _births_for_age(rng, age)
    hh_tw = rng.integers(0, n_tw, n_hh)
    hh_vil = rng.integers(0, 8, n_hh)
    reg_tw = hh_tw[hh]
    reg_vil = hh_vil[hh]
    hh_status = np.where(rng.random(n_hh) < 0.05, 2, np.where(rng.random(n_hh) < 0.15, 1, 0))
    reg_status = hh_status[hh]

    # non-registry roster children
    n_reg_kids = int(is_kid.sum())
    n_out = max(0, n_roster - n_reg_kids)
    out_age = rng.integers(3, 18, n_out)
    out_male = rng.random(n_out) < 0.52
    out_region = np.where(rng.random(n_out) < 0.9, 341021, 341022)
    out_birth = _births_for_age(rng, out_age)

    all_region = np.concatenate([reg_region, out_region])
    all_birth = np.concatenate([reg_birth, out_birth])
    all_male = np.concatenate([male, out_male])
    all_ids = _unique_ids(rng, all_region, all_birth, all_male)
    all_names = _names(rng, len(all_ids), all_male)
    reg_ids, _out_ids = all_ids[:n_reg], all_ids[n_reg:]

    # enrolment of every child (registry kids + outsiders)
    kid_idx = np.flatnonzero(is_kid)
    child_age = np.concatenate([age[kid_idx], out_age])
    child_pid = np.concatenate([kid_idx, n_reg + np.arange(n_out)])    # index into all_*
    stage = np.select([child_age <= 5, child_age <= 11, child_age <= 14], ["K", "P", "J"], "H")
    voc = (stage == "H") & (rng.random(len(stage)) < 0.3)
    stage = np.where(voc, "V", stage)
    grade = np.where(stage == "K", child_age - 2, np.where(np.isin(stage, ["P", "J"]), child_age - 5,
                                                             child_age - 14))
    school = np.empty(len(stage), dtype=np.int64)
    for st in "KPJHV":
        m = stage == st
        school[m] = by_stage[st][rng.integers(0, len(by_stage[st]), int(m.sum()))]
    boarding = rng.random(len(stage)) < np.select([stage == "K", stage == "P", stage == "J"], [0.0, 0.15, 0.5], 0.8)
    status = np.where(rng.random(len(stage)) < 0.01, rng.integers(1, 5, len(stage)), 0)
    cls = rng.integers(1, 6, len(stage))
    is_reg_child = np.arange(len(stage)) < len(kid_idx)

    return {"seed": seed, "factor": factor, "townships": townships, "villages": villages,
                "school_names": school_names, "school_tier": school_tier, "school_stage": school_stage,
                "reg_ids": reg_ids, "reg_names": all_names[:n_reg], "reg_male": male, "reg_birth": reg_birth, "reg_tw": reg_tw,
                "reg_vil": reg_vil, "reg_hh": hh, "reg_status": reg_status, "reg_age": age,
                "all_ids": all_ids, "all_names": all_names, "all_male": all_male,
                "child_pid": child_pid, "stage": stage, "grade": grade, "school": school, "boarding": boarding, "status": status,
                "cls": cls, "is_reg_child": is_reg_child, "n_nat": n_nat, "n_prov": n_prov, "kid_idx": kid_idx}


def payments(d: dict, rng: np.random.Generator) -> dict:
    """National and provincial rows as arrays of child indices + item + amount."""
    stage, grade, boarding, school = d["stage"], d["grade"], d["boarding"], d["school"]
    tier = np.array(d["school_tier"])[school]
    reg_child = d["is_reg_child"]
    kid_reg_index = np.full(len(stage), -1)
    kid_reg_index[reg_child] = d["kid_idx"]
    eligible = reg_child & (d["reg_status"][np.maximum(kid_reg_index, 0)] != 2) & (d["status"] == 0)

    def items_for(idx):
        rows_c, rows_item, rows_amt = [], [], []
        st = stage[idx]
        for code, mask, amt in (
                ("PRESCHOOL", st == "K", np.full(len(idx), 400.0)),
                ("LIVING_PRIMARY", st == "P", np.where(boarding[idx], 500.0, 250.0)),
                ("LIVING_JUNIOR", st == "J", np.where(boarding[idx], 625.0, 312.5)),
                ("HS_GRANT", st == "H", np.full(len(idx), 1500.0)),
                ("HS_TUITION", (st == "H"), np.select([tier[idx] == "省示范", tier[idx] == "市示范",
                                                        tier[idx] == "民办"], [850.0, 700.0, 350.0], 600.0)),
                ("VOC_GRANT", (st == "V") & (grade[idx] <= 2), np.full(len(idx), 1500.0))):
            rows_c.append(idx[mask])
            rows_item.append(np.full(int(mask.sum()), code))
            rows_amt.append(amt[mask])
        return np.concatenate(rows_c), np.concatenate(rows_item), np.concatenate(rows_amt)

    reg_idx = np.flatnonzero(eligible)
    rc, ri, ra = items_for(reg_idx)
    keep_prov = min(d["n_prov"], len(rc))
    prov_sel = np.sort(rng.choice(len(rc), keep_prov, replace=False))
    n_out_rows = max(0, d["n_nat"] - len(rc) - d["n_nat"] // 20)
    out_pool = np.flatnonzero(~reg_child & (d["status"] == 0))
    oc, oi, oa = items_for(rng.choice(out_pool, min(len(out_pool), int(n_out_rows * 0.9)), replace=False))
    oc, oi, oa = oc[:n_out_rows], oi[:n_out_rows], oa[:n_out_rows]
    prev = rng.choice(len(rc), min(len(rc), d["n_nat"] // 20), replace=False)
    nat_c = np.concatenate([rc, oc, rc[prev]])
    nat_i = np.concatenate([ri, oi, ri[prev]])
    nat_a = np.concatenate([ra, oa, ra[prev]])
    nat_h = np.concatenate([np.full(len(rc), "建档立卡"),
                            np.array(["农村低保", "一般困难", "残疾", "城市低保"])[rng.integers(0, 4, len(oc))],
                            np.full(len(prev), "建档立卡")])
    nat_prev = np.concatenate([np.zeros(len(rc) + len(oc), bool), np.ones(len(prev), bool)])
    order = np.lexsort((rng.random(len(nat_c)), school[nat_c]))
    return {"nat_c": nat_c[order], "nat_i": nat_i[order], "nat_a": nat_a[order], "nat_h": nat_h[order],
                "nat_prev": nat_prev[order], "prov_c": rc[prov_sel], "prov_i": ri[prov_sel], "prov_a": ra[prov_sel]}


# ----------------------------------------------------------------------------------------------
ITEM_LABEL_A = {"PRESCHOOL": "学前教育资助-家庭经济困难幼儿园补助",
                "LIVING_PRIMARY": "义务教育资助-农村义务教育阶段家庭经济困难寄宿生生活补助",
                "LIVING_JUNIOR": "义务教育家庭经济困难学生生活补助"}
ITEM_LABEL_B = {"HS_GRANT": "普高教育资助-国家助学金", "HS_TUITION": "普高教育资助-免除学杂费",
                "VOC_GRANT": "中职教育资助-国家助学金"}
ITEM_CANON = {"PRESCHOOL": "学前教育幼儿资助", "LIVING_PRIMARY": "义务教育家庭经济困难学生生活补助（小学）",
              "LIVING_JUNIOR": "义务教育家庭经济困难学生生活补助（初中）", "HS_GRANT": "普通高中国家助学金",
              "HS_TUITION": "普通高中免学杂费", "VOC_GRANT": "中等职业学校国家助学金"}
STATUS_REG = np.array(["已脱贫（享受政策）", "未脱贫", "已脱贫（不再享受政策）"])


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '</Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
    'core-properties" Target="docProps/core.xml"/></Relationships>')
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'styles" Target="styles.xml"/></Relationships>')
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="宋体"/></font>'
    '<font><b/><sz val="11"/><name val="宋体"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')
_CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>清源县学生资助管理中心</dc:creator>'
    '<dcterms:created xsi:type="dcterms:W3CDTF">2020-09-20T08:00:00Z</dcterms:created>'
    '<dcterms:modified xsi:type="dcterms:W3CDTF">2020-09-20T08:00:00Z</dcterms:modified>'
    '</cp:coreProperties>')


def _esc(v: str) -> str:
    if "&" in v or "<" in v or ">" in v:
        return v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return v


class FastXlsx:
    """A minimal streaming .xlsx writer (one sheet, inline strings, like xlsxwriter's constant_memory
    output) used at bench scale, where xlsxwriter's per-cell cost (~30 us) would take minutes.

    The sheet XML is streamed into the zip, so memory stays flat whatever the row count."""

    def __init__(self, path: Path, sheet: str, titles: list[str], headers: list[str], text_cols: set[int]):
        self.zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self.cols = [xl_col_to_name(i) for i in range(max(len(headers), 1))]
        self.text_cols = text_cols
        wb = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
              'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
              f'<sheets><sheet name="{_esc(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>')
        for name, data in (("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _ROOT_RELS),
                           ("docProps/core.xml", _CORE), ("xl/workbook.xml", wb),
                           ("xl/_rels/workbook.xml.rels", _WB_RELS), ("xl/styles.xml", _STYLES)):
            self.zip.writestr(zipfile.ZipInfo(name, date_time=(2020, 9, 20, 8, 0, 0)), data,
                              compress_type=zipfile.ZIP_DEFLATED)
        self.sheet_started = False
        self.titles, self.headers = titles, headers
        self.row = 0

    def _start(self, n_data: int) -> None:
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", date_time=(2020, 9, 20, 8, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        self.fh = self.zip.open(info, "w", force_zip64=True)
        text_cols, headers = self.text_cols, self.headers
        n_top = len(self.titles) + 1
        last = f"{self.cols[len(headers) - 1]}{n_top + max(n_data, 0)}"
        widths = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{20 if i in text_cols else 12}" '
                         f'{"style=" + chr(34) + "1" + chr(34) + " " if i in text_cols else ""}customWidth="1"/>'
                         for i in range(len(headers)))
        self.fh.write(('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                       '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                       f'<dimension ref="A1:{last}"/>'
                       '<sheetViews><sheetView workbookViewId="0"><pane ySplit="' + str(n_top) + '" topLeftCell="A'
                       + str(n_top + 1) + '" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
                       '<sheetFormatPr defaultRowHeight="15"/><cols>' + widths + '</cols><sheetData>').encode())
        self.sheet_started = True
        for t in self.titles:
            self._row([t], style=2)
        self._row(headers, style=2)

    def _row(self, values: list[str], style: int = 0) -> None:
        self.row += 1
        r = str(self.row)
        st = f' s="{style}"' if style else ""
        cells = "".join(f'<c r="{self.cols[j]}{r}"{st} t="inlineStr"><is><t>{_esc(v)}</t></is></c>'
                        for j, v in enumerate(values) if v)
        self.fh.write(f'<row r="{r}">{cells}</row>'.encode())

    def rows(self, columns: list, numeric: dict[int, np.ndarray] | None = None) -> None:
        """columns: equal-length numpy str arrays; empty strings stay blank cells. ``numeric``: column
        index -> boolean mask of the cells written as numbers (the text must be a number)."""
        cols = [c.tolist() for c in columns]
        num = {j: m.tolist() for j, m in (numeric or {}).items()}
        if not self.sheet_started:
            self._start(len(cols[0]))
        refs = self.cols
        text = self.text_cols
        buf = []
        for i in range(len(cols[0])):
            self.row += 1
            r = str(self.row)
            parts = [f'<row r="{r}">']
            for j, col in enumerate(cols):
                v = col[i]
                if v:
                    if num and j in num and num[j][i]:
                        parts.append(f'<c r="{refs[j]}{r}"><v>{v}</v></c>')
                        continue
                    if "&" in v or "<" in v or ">" in v:
                        v = _esc(v)
                    if j in text:
                        parts.append(f'<c r="{refs[j]}{r}" s="1" t="inlineStr"><is><t>{v}</t></is></c>')
                    else:
                        parts.append(f'<c r="{refs[j]}{r}" t="inlineStr"><is><t>{v}</t></is></c>')
            parts.append("</row>")
            buf.append("".join(parts))
            if len(buf) >= 2000:
                self.fh.write("".join(buf).encode())
                buf = []
        if buf:
            self.fh.write("".join(buf).encode())

    def close(self) -> None:
        if not self.sheet_started:
            self._start(0)
        self.fh.write(b"</sheetData></worksheet>")
        self.fh.close()
        self.zip.close()


# ----------------------------------------------------------------------------------------------
# mess, vectorised over whole columns (a few percent of rows)
def _id_typos(ids: np.ndarray, rng: np.random.Generator, two: bool = False) -> np.ndarray:
    """IDs with one substitution or one adjacent transposition in the first 17 characters (the
    checksum always catches both: weights are never equal mod 11 next to each other); ``two``:
    two substitutions in the sequence digits (a typo the id_typo rule cannot undo)."""
    if not len(ids):
        return ids.astype("U18")
    buf = np.frombuffer(ids.astype("U18").astype("S18").tobytes(), dtype=np.uint8).reshape(-1, 18).copy()
    n = len(buf)
    rows = np.arange(n)
    if two:
        for pos in (14, 16):
            buf[rows, pos] = 48 + (buf[rows, pos] - 48 + rng.integers(1, 10, n)) % 10
    else:
        pos = rng.integers(0, 17, n)
        transpose = (rng.random(n) < 0.3) & (pos < 16) & (buf[rows, pos] != buf[rows, np.minimum(pos + 1, 17)])
        a, b = buf[rows, pos].copy(), buf[rows, np.minimum(pos + 1, 17)].copy()
        sub = 48 + (a.astype(np.int64) - 48 + rng.integers(1, 10, n)) % 10
        buf[rows, pos] = np.where(transpose, b, sub)
        t = rows[transpose]
        buf[t, pos[transpose] + 1] = a[transpose]
    return buf.view("S18").ravel().astype("U18")


def _homophones(names: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each name with one given-name character replaced by a homophone, where it has one."""
    import random
    r = random.Random(int(rng.integers(0, 2 ** 31)))
    out = [nm.homophone_variant(x, r) or x for x in names.tolist()]
    return np.array(out, dtype=object).astype(str) if out else names


def _traditional(names: np.ndarray) -> np.ndarray:
    out = [nm.to_traditional(x) for x in names.tolist()]
    return np.array(out, dtype=object).astype(str) if out else names


def _mess_people(rng: np.random.Generator, ids: np.ndarray, names: np.ndarray, scale: float = 1.0
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids, names, xueji ids) with MESS sprinkled: typo'd IDs carry their typo into the 学籍号
    (the number was registered with it); garbage IDs keep the real 学籍号."""
    n = len(ids)
    ids = ids.astype("U18").copy()
    xj = ids.copy()
    roll = rng.random(n)
    edges = np.cumsum([MESS["typo"], MESS["two_typos"], MESS["garbage_id"]]) * scale
    typo = roll < edges[0]
    two = (roll >= edges[0]) & (roll < edges[1])
    garbage = (roll >= edges[1]) & (roll < edges[2])
    ids[typo] = _id_typos(ids[typo], rng)
    ids[two] = _id_typos(ids[two], rng, two=True)
    xj[typo | two] = ids[typo | two]
    out_ids = ids.astype(object)
    out_ids[garbage] = GARBAGE_IDS[rng.integers(0, len(GARBAGE_IDS), int(garbage.sum()))]
    names = names.astype(object).copy()
    roll = rng.random(n)
    homo = roll < MESS["homophone"] * scale
    trad = (roll >= MESS["homophone"] * scale) & (roll < (MESS["homophone"] + MESS["traditional"]) * scale)
    names[homo] = _homophones(names[homo].astype(str), rng)
    names[trad] = _traditional(names[trad].astype(str))
    return out_ids.astype(str), names.astype(str), xj


def _excel_numbers(ids: np.ndarray) -> np.ndarray:
    """What Excel stores for IDs typed into General cells: 15 significant digits, as the XML shows them
    (``3.41021200501011E+17``)."""
    vals = (ids.astype(np.int64) + 500) // 1000 * 1000
    return np.array([f"{float(v):.14E}" for v in vals.tolist()], dtype=object).astype(str)


def _writer(path: Path, sheet: str, titles: list[str], headers: list[str], id_cols: set[int]):
    w = FastXlsx(path, sheet, titles, headers, id_cols)
    return w, w, None


def _write_rows(ws, r0, columns: list, numeric: dict[int, np.ndarray] | None = None) -> None:
    ws.rows(columns, numeric)


def _mess_ids(ids: np.ndarray, rng: np.random.Generator, rate: float = 0.02) -> np.ndarray:
    out = ids.astype(object)
    k = rng.random(len(ids))
    apos = k < rate
    out[apos] = np.char.add("'", ids[apos].astype(str))
    lower = (k >= rate) & (k < rate * 1.5)
    out[lower] = np.char.lower(ids[lower].astype(str))
    return out.astype(str)


def task_registry(out: str, part: int) -> int:
    d = _DATA
    rng = np.random.default_rng(d["seed"] * 100 + part)
    len(d["reg_ids"])
    n_tw = len(d["townships"])
    split = int(n_tw * 0.6)
    sel = np.flatnonzero((d["reg_tw"] < split) if part == 0 else (d["reg_tw"] >= split))
    tw = np.array(d["townships"])[d["reg_tw"][sel]]
    vil = np.array([d["villages"][t][v] for t, v in zip(d["reg_tw"][sel], d["reg_vil"][sel])])
    hh = np.char.add("3410211", np.char.zfill((d["reg_hh"][sel] + 1).astype(str), 10))
    pno = np.char.add(hh, np.char.zfill((sel % 4 + 1).astype(str), 2))
    ids = d["reg_ids"][sel]
    ages = d["reg_age"][sel]
    insch = np.select([ages < 3, ages <= 5, ages <= 11, ages <= 14, ages <= 17],
                      ["学龄前儿童", "学前教育", "小学", np.char.add(np.array([CN[min(max(a - 5, 7), 9)] for a in ages]),
                                                                  "年级"),
                       np.char.add("普通高中", np.char.add(np.array([CN[min(max(a - 14, 1), 3)] for a in ages]),
                                                          "年级"))], "")
    edu = np.where(insch == "", "初中", "")
    sex = np.where(d["reg_male"][sel], "男", "女")
    status = STATUS_REG[d["reg_status"][sel]]
    slot = sel % 4
    rel = np.where(slot == 0, "户主", np.where(slot == 1, "配偶", np.where(d["reg_male"][sel], "之子", "之女")))
    if part == 0:
        path = Path(out) / "registry" / "国办系统_建档立卡贫困人口_1.xlsx"
        headers = ["序号", "县", "乡(镇)", "行政村", "户编号", "人编号", "姓名", "性别", "证件号码", "与户主关系",
                   "文化程度", "在校生状况", "脱贫属性"]
        wb, ws, r = _writer(path, "贫困人口信息", ["全国扶贫开发信息系统 贫困人口基本信息表"], headers, {4, 5, 8})
        cols = [(np.arange(len(sel)) + 1).astype(str), np.full(len(sel), "清源县"), tw, vil, hh, pno,
                d["reg_names"][sel], sex, _mess_ids(ids, rng, 0.0), rel, edu, insch, status]
    else:
        path = Path(out) / "registry" / "防返贫监测系统_家庭成员信息_2.xlsx"
        headers = ["县(市、区)", "乡镇", "村", "户编号", "人口编号", "成员姓名", "性别", "身份证号码", "与户主关系",
                   "在校生状况", "文化程度", "户类型", "脱贫属性"]
        wb, ws, r = _writer(path, "Sheet1", [], headers, {3, 4, 7})
        status = np.where(status == "已脱贫（不再享受政策）", "已脱贫（享受政策）", status)
        cols = [np.full(len(sel), "清源县"), tw, vil, hh, pno, d["reg_names"][sel], sex, ids, rel, insch, edu,
                np.full(len(sel), "脱贫户"), status]
    _write_rows(ws, r, cols)
    wb.close()
    return len(sel)


def task_roster(out: str, s: int) -> int:
    d = _DATA
    rng = np.random.default_rng(d["seed"] * 1000 + s)
    sel = np.flatnonzero(d["school"] == s)
    sel = sel[np.lexsort((d["cls"][sel], d["grade"][sel]))]
    st = d["school_stage"][s]
    name = d["school_names"][s]
    v = s % 3
    headers = HEADER_VARIANTS[v]
    titles = [f"{name}2020年秋季学期学生名册"] if s % 2 else []
    path = Path(out) / "rosters" / f"{name}_学生名册.xlsx"
    wb, ws, r = _writer(path, "学生名册", titles, headers, {3, 4})
    # a few pupils listed twice (re-registration)
    dup = sel[rng.random(len(sel)) < MESS["duplicate"]]
    if len(dup):
        sel = np.sort(np.concatenate([sel, dup]), kind="stable")
        sel = sel[np.lexsort((d["cls"][sel], d["grade"][sel]))]
    pid = d["child_pid"][sel]
    ids, names, xj = _mess_people(rng, d["all_ids"][pid], d["all_names"][pid])
    xueji = np.char.add("G", xj) if st != "K" else np.full(len(sel), "")
    gmask = rng.random(len(sel)) < 0.005
    id_col = _mess_ids(ids, rng)
    id_col = np.where(gmask & (st != "K"), "", id_col)
    numeric = None
    if s % NUMERIC_EVERY == NUMERIC_FIRST:
        # IDs typed into General cells: stored as numbers, except IDs ending in X (Excel keeps them as
        # text) and the ones that are not numbers at all; half the rows have no 学籍号
        num = np.char.isdigit(ids) & (np.char.str_len(ids) == 18)
        id_col = id_col.astype(object)
        id_col[num] = _excel_numbers(ids[num])
        id_col = id_col.astype(str)
        numeric = {3: num}
        xueji = np.where(rng.random(len(sel)) < 0.5, "", xueji)
    grades = np.array([_grade_text(st, int(g)) for g in d["grade"][sel]])
    classes = np.char.add(np.char.add(np.char.replace(grades, "年级", ""), "("),
                          np.char.add(d["cls"][sel].astype(str), ")班"))
    board = np.where(d["boarding"][sel], "住校", "走读") if st != "K" else np.full(len(sel), "")
    stat = (STATUS_CODES if v == 1 else STATUS_WORDS)[d["status"][sel]]
    cols = [np.full(len(sel), name), names, np.where(d["all_male"][pid], "男", "女"), id_col, xueji,
            grades, classes, board, stat]
    _write_rows(ws, r, cols, numeric)
    wb.close()
    return len(sel)


def task_national(out: str, part: int) -> int:
    d = _DATA
    p = d["pay"]
    rng = np.random.default_rng(d["seed"] * 10 + part)
    c = p["nat_c"]
    st = d["stage"][c]
    sel = np.flatnonzero(np.isin(st, ["K", "P", "J"]) if part == 0 else np.isin(st, ["H", "V"]))
    # a few payments entered twice (DUPLICATE)
    dup = sel[rng.random(len(sel)) < MESS["duplicate"] * 2]
    sel = np.sort(np.concatenate([sel, dup]), kind="stable")
    c = c[sel]
    items = p["nat_i"][sel]
    labels = np.array([(ITEM_LABEL_A if part == 0 else ITEM_LABEL_B)[i] for i in items])
    pid = d["child_pid"][c]
    ids = d["all_ids"][pid]
    prev = p["nat_prev"][sel]
    grades = np.array([_grade_text(s_, int(g)) for s_, g in zip(d["stage"][c], d["grade"][c])])
    amounts = np.char.mod("%.2f", p["nat_a"][sel])
    headers = ["学校名称", "年级", "姓名", "身份证号", "学籍号", "资助项目", "家庭经济困难类型", "发放金额(元)", "学年",
               "学期"]
    name = "全国学生资助管理信息系统_学前及义务教育.xlsx" if part == 0 else "全国学生资助管理信息系统_高中阶段.xlsx"
    wb, ws, r = _writer(Path(out) / "national" / name, "资助发放明细", [], headers, {3, 4})
    ids, names, xj = _mess_people(rng, ids, d["all_names"][pid], scale=0.5)
    cols = [np.array(d["school_names"])[d["school"][c]], grades, names, _mess_ids(ids, rng),
            np.where(d["stage"][c] == "K", "", np.char.add("G", xj)), labels, p["nat_h"][sel], amounts,
            np.where(prev, "2019-2020学年", "2020-2021学年"), np.where(prev, "春季学期", "秋季学期")]
    _write_rows(ws, r, cols)
    wb.close()
    return len(sel)


def task_provincial(out: str, _: int) -> int:
    d = _DATA
    p = d["pay"]
    c = p["prov_c"]
    pid = d["child_pid"][c]
    reg = d["kid_idx"][c]          # provincial rows are registry children only
    tw = np.array(d["townships"])[d["reg_tw"][reg]]
    vil = np.array([d["villages"][t][v] for t, v in zip(d["reg_tw"][reg], d["reg_vil"][reg])])
    headers = ["序号", "乡镇", "村", "学生姓名", "身份证号", "学校名称", "学段", "年级", "资助项目", "资助金额", "学期"]
    wb, ws, r = _writer(Path(out) / "provincial" / "省建档立卡家庭学生资助管理系统_2020年秋季.xlsx", "Sheet1",
                        ["安徽省建档立卡家庭学生资助明细"], headers, {4})
    stage_word = np.array([{"K": "学前教育", "P": "小学", "J": "初中", "H": "普通高中", "V": "中职"}[s]
                           for s in d["stage"][c]])
    grades = np.array([_grade_text(s_, int(g)) for s_, g in zip(d["stage"][c], d["grade"][c])])
    cols = [(np.arange(len(c)) + 1).astype(str), tw, vil, d["all_names"][pid], d["all_ids"][pid],
            np.array(d["school_names"])[d["school"][c]], stage_word, grades,
            np.array([ITEM_CANON[i] for i in p["prov_i"]]), np.char.mod("%.2f", p["prov_a"]),
            np.full(len(c), "2020年秋季")]
    _write_rows(ws, r, cols)
    wb.close()
    return len(c)


def task_schools(out: str, _: int) -> int:
    d = _DATA
    labels = {"K": "幼儿园", "P": "小学", "J": "初中", "H": "普通高中", "V": "中职"}
    wb, ws, r = _writer(Path(out) / "schools.xlsx", "学校名单", [], ["学校名称", "学段", "示范等级"], set())
    cols = [np.array(d["school_names"]), np.array([labels[s] for s in d["school_stage"]]),
            np.array(d["school_tier"])]
    _write_rows(ws, r, cols)
    wb.close()
    return len(d["school_names"])


TASKS = {"registry": task_registry, "roster": task_roster, "national": task_national,
         "provincial": task_provincial, "schools": task_schools}


def _run(task: tuple) -> tuple[str, int, int, float]:
    kind, out, arg = task
    t = time.time()
    n = TASKS[kind](out, arg)
    return kind, arg, n, time.time() - t


def generate_bench(out: Path, seed: int = 20201, factor: float = 1.0, truth: Path | None = None,
                   workers: int = 2) -> dict:
    global _DATA
    out = Path(out)
    for sub in ("registry", "national", "provincial", "rosters"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    d = build(seed, factor)
    d["pay"] = payments(d, np.random.default_rng(seed + 7))
    _DATA = d
    t_build = time.time() - t0
    n_sch = len(d["school_names"])
    tasks = [("registry", str(out), 0), ("national", str(out), 0), ("registry", str(out), 1),
             ("national", str(out), 1), ("provincial", str(out), 0), ("schools", str(out), 0)]
    tasks += [("roster", str(out), s) for s in range(n_sch)]
    counts: dict[str, int] = {}
    if workers > 1:
        ctx = mp.get_context("fork")
        with ctx.Pool(workers) as pool:
            results = list(pool.imap_unordered(_run, tasks, chunksize=1))
    else:
        results = [_run(t) for t in tasks]
    for kind, _, n, _ in results:
        counts[kind] = counts.get(kind, 0) + n
    (out / "README.txt").write_bytes(
        "清源县教育扶贫学生资助对账 性能测试数据（合成数据，全部为虚构人员）。\r\n"
        "registry/ 人口库，national/ 全国资助系统，provincial/ 省建档立卡资助系统，rosters/ 各校名册，"
        "schools.xlsx 学校名单。\r\n".encode("utf-8-sig"))
    info = {
        "generator": "jiaoyu_fupin.samplegen", "bench_version": BENCH_VERSION, "seed": seed,
        "scale": f"bench x{factor}", "mess": MESS,
        "semester": "2020秋", "school_year": 2020, "payout_semester": "2021春",
        "sizes": {"registry_rows": counts.get("registry", 0), "roster_rows": counts.get("roster", 0),
                  "schools": n_sch, "national_rows": counts.get("national", 0),
                  "provincial_rows": counts.get("provincial", 0)},
        "timings_s": {"build": round(t_build, 1), "total": round(time.time() - t0, 1)},
        "commands": {
            "reconcile": f"fupin reconcile --registry {out.as_posix()}/registry --national {out.as_posix()}/national "
                         f"--provincial {out.as_posix()}/provincial --roster {out.as_posix()}/rosters --schools "
                         f"{out.as_posix()}/schools.xlsx --semester 2020秋 -o OUT/reconcile",
        },
        "note": "bench data carries no per-record truth; it is for speed and memory measurements",
    }
    (out / "scenario.json").write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if truth is not None:
        Path(truth).mkdir(parents=True, exist_ok=True)
        (Path(truth) / "scenario.json").write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n",
                                                   encoding="utf-8")
    return info
