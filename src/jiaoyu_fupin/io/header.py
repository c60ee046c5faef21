"""Find the header row of a sheet, map its columns to canonical fields, guess the source.

The header is looked for in the first ``MAX_HEADER_ROWS`` rows.  Every row, and every pair of
adjacent rows (a header split over two rows by merged cells: ``学生信息`` spanning ``姓名`` and
``身份证号``), is scored by how many distinct canonical fields its cells name.  In a pair the lower
cell is used when it has text and an empty lower cell takes the upper one (a merged cell keeps its value only in its
top-left cell; HTML row/colspans are already repeated by the reader).  Rows above the header are
the title.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jiaoyu_fupin.io.readers import RawSheet
from jiaoyu_fupin.io.synonyms import FIELD_LABELS, P_OVERRIDE, match_header, norm_header

MAX_HEADER_ROWS = 12
MIN_SCORE = 2

#: Required columns per source: every group must have one of its fields.
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "registry": (("id_number",), ("name",)),
    "national": (("id_number", "xueji_no"), ("name",), ("item",), ("amount",)),
    "provincial": (("id_number", "xueji_no"), ("name",), ("item",), ("amount",)),
    "payout": (("id_number", "xueji_no"), ("name",), ("item",), ("amount",)),
    "roster": (("name",), ("id_number", "xueji_no")),
    "schools": (("school",),),
    "home_education": (("name",), ("id_number", "xueji_no")),
    "elsewhere": (("name",), ("id_number", "xueji_no")),
}

#: Example header texts for the columns.toml hint in error messages.
EXAMPLE_HEADER = {
    "id_number": "学生证件号", "name": "学生名", "xueji_no": "学籍号码", "item": "资助项目类别",
    "amount": "本期金额", "school": "学校", "township": "所属乡镇", "village": "所属村",
}

REGISTRY_MARKERS = frozenset({"household_no", "person_no", "relation", "in_school_status",
                              "poverty_status", "monitor_type", "household_type"})
ROSTER_MARKERS = frozenset({"xueji_no", "enrolment_status", "boarding", "class"})


@dataclass
class HeaderMatch:
    """The header found in a sheet."""

    first_row: int                 # 0-based index of the first header line
    row: int                       # 0-based index of the last header line
    fields: dict[str, int]         # canonical field -> column index
    texts: dict[str, str]          # canonical field -> header text as found
    cells: list[str]               # header text per column (lower line, upper one where empty)
    lines: list[list[str]]         # the header line(s) as read
    title: str = ""
    score: int = 0
    unmapped: list[str] = field(default_factory=list)

    @property
    def n_lines(self) -> int:
        return self.row - self.first_row + 1


def map_columns(options: list[list[str]], overrides: dict[str, str] | None = None
                ) -> tuple[dict[str, int], dict[str, str]]:
    """Assign canonical fields to columns.

    ``options[j]`` are the texts column j may be known by, best first.  columns.toml names win, then exact synonyms, contains-rules and fallbacks; within a
    class the earlier synonym and then the leftmost column win.  A field goes to one column and
    a column to one field.
    """
    cands: list[tuple[float, int, str, str]] = []
    for j, texts in enumerate(options):
        for k, text in enumerate(texts):
            if not text:
                continue
            hit = None
            if overrides:
                fld = overrides.get(norm_header(text)[0])
                if fld:
                    hit = (fld, P_OVERRIDE)
            if hit is None:
                hit = match_header(text)
            if hit is not None:
                cands.append((hit[1] + k * 0.0001, j, hit[0], text))
    cands.sort(key=lambda c: (c[0], c[1]))
    fields: dict[str, int] = {}
    texts_out: dict[str, str] = {}
    used: set[int] = set()
    for _prio, j, fld, text in cands:
        if fld in fields or j in used:
            continue
        fields[fld] = j
        texts_out[fld] = text
        used.add(j)
    return fields, texts_out


def _has_required(fields, required) -> bool:
    return all(any(f in fields for f in group) for group in required) if required else True


def find_header(sheet: RawSheet, overrides: dict[str, str] | None = None,
                required: tuple[tuple[str, ...], ...] | None = None,
                max_rows: int = MAX_HEADER_ROWS) -> HeaderMatch | None:
    """The best header among the first rows, or None when no row names enough known columns.

    With ``required`` (a forced source) a candidate holding every required column beats one that
    does not, and a single required column is enough (a schools list may have only 学校名称)."""
    n = min(sheet.n_rows, max_rows)
    if n == 0:
        return None
    rows = [sheet.row(i) for i in range(min(sheet.n_rows, max_rows + 1))]
    min_score = min(MIN_SCORE, len(required)) if required else MIN_SCORE
    best = None
    best_key = None
    for r in range(n):
        singles = [[t] for t in rows[r]]
        f, t = map_columns(singles, overrides)
        key = (_has_required(f, required), len(f), 1, -r)
        if best_key is None or key > best_key:
            best, best_key = (r, r, f, t), key
        if r + 1 < len(rows) and any(rows[r]) and any(rows[r + 1]):
            pair = [[lo or up] for up, lo in zip(rows[r], rows[r + 1])]
            f2, t2 = map_columns(pair, overrides)
            key2 = (_has_required(f2, required), len(f2), 0, -r)
            if key2 > best_key:
                best, best_key = (r, r + 1, f2, t2), key2
    if best is None or best_key[1] < min_score:
        return None
    first, last, fields, texts = best
    # an upper "group" row (学生信息 / 资助信息) directly above a single header line belongs to it
    if first == last and first > 0:
        above = rows[first - 1]
        distinct = {c for c in above if c}
        if len(distinct) >= 2 and not any((":" in c or "：" in c) for c in distinct):
            pair = [[lo or up] for up, lo in zip(above, rows[first])]
            f2, t2 = map_columns(pair, overrides)
            if len(f2) >= len(fields) and _has_required(f2, required) >= _has_required(fields, required):
                first, fields, texts = first - 1, f2, t2
    lines = [rows[i] for i in range(first, last + 1)]
    cells = list(lines[-1])
    if len(lines) == 2:
        cells = [lo or up for up, lo in zip(lines[0], lines[1])]
    mapped_cols = set(fields.values())
    unmapped = [c for j, c in enumerate(cells) if c and j not in mapped_cols]
    title_rows = []
    for i in range(first):
        seen: list[str] = []
        for c in rows[i]:
            if c and c not in seen:
                seen.append(c)
        if seen:
            title_rows.append(" ".join(seen))
    return HeaderMatch(first, last, fields, texts, cells, lines, " / ".join(title_rows), len(fields),
                       unmapped)


# ----------------------------------------------------------------------------- source

_HOME_WORDS = ("送教",)
_ELSEWHERE_WORDS = ("外地就读", "就读证明", "异地就读", "县外就读", "外县就读", "省外就读", "在外就读")
_PROVINCIAL_WORDS = ("建档立卡", "省级", "省系统", "省资助")
_PAYOUT_WORDS = ("发放花名册", "payout")


def detect_source(fields: set[str] | dict, title: str = "", file: str = "",
                  headers: list[str] | None = None) -> str:
    """Which system a sheet comes from, from its mapped fields (title and file name are hints)."""
    f = set(fields)
    head_text = " ".join(headers or [])
    hint = f"{title} {file}"
    if any(w in hint or w in head_text for w in _HOME_WORDS):
        return "home_education"
    if any(w in hint or w in head_text for w in _ELSEWHERE_WORDS):
        return "elsewhere"
    if "item" in f and "amount" in f:
        if any(w in hint for w in _PAYOUT_WORDS) and "hardship_type" not in f:
            return "payout"
        if "hardship_type" in f:
            return "national"
        if f & {"township", "village"} or any(w in hint for w in _PROVINCIAL_WORDS):
            return "provincial"
        return "national"
    if f & REGISTRY_MARKERS:
        return "registry"
    has_person = bool(f & {"name", "id_number", "xueji_no"})
    if "amount" not in f and (f & ROSTER_MARKERS) and has_person:
        return "roster"
    if "school" in f and f & {"tier", "stage", "school_code"} and not has_person:
        return "schools"
    if has_person and "school" in f and "grade" in f and "amount" not in f:
        return "roster"
    return "unknown"


def missing_required(source: str, fields) -> list[tuple[str, ...]]:
    return [g for g in REQUIRED.get(source, ()) if not any(f in fields for f in g)]


def describe_group(group: tuple[str, ...]) -> str:
    return "或".join(f"{FIELD_LABELS.get(f, f)}（{f}）" for f in group)


def missing_columns_message(source: str, missing: list[tuple[str, ...]], found_headers: list[str]) -> str:
    from jiaoyu_fupin.model import SOURCE_LABELS

    need = "、".join(describe_group(g) for g in missing)
    fld = missing[0][0]
    found = "、".join(f"“{h}”" for h in found_headers[:40]) or "（无）"
    return (f"按“{SOURCE_LABELS.get(source, source)}”读取时缺少必需的列：{need}。表头中的列：{found}。"
            f"请在 columns.toml 的 [{source}] 段指定，例如 {fld} = \"{EXAMPLE_HEADER.get(fld, '表头文字')}\"")
