"""Files -> ``model.Table``: read, find the header, map columns, account for every row.

Every data row below the header ends up in exactly one of ``table.df`` (a record),
``table.skipped`` (harmless: empty line, repeated header, total or signature line, a row of
column numbers) or ``table.rejected`` (content without a name, an ID or a 学籍号).  Trailing empty
rows are not data rows (the reader trims them).

Work is column-wise: one numpy pass per column classifies the rows; the DataFrame is built from
whole columns; only skipped/rejected rows (few) are looked at one by one.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from jiaoyu_fupin.errors import InputError, UsageError
from jiaoyu_fupin.io.columns_config import ColumnOverrides, load_columns
from jiaoyu_fupin.io.header import (
    REQUIRED,
    HeaderMatch,
    detect_source,
    find_header,
    missing_columns_message,
    missing_required,
)
from jiaoyu_fupin.io.readers import FoundFile, NotSpreadsheetError, RawSheet, expand_paths, read_raw
from jiaoyu_fupin.io.synonyms import FIELD_LABELS, norm_header
from jiaoyu_fupin.model import ROW, SOURCE_LABELS, SOURCES, RowIssue, Table

#: A row whose first non-empty cell starts like this is a total / signature / notes line.
TOTAL_PREFIXES = ("合计", "总计", "小计", "共计", "累计")
FOOTER_PREFIXES = ("制表", "填表", "填报人", "填报单位", "审核", "审批", "负责人", "单位负责人", "经办人",
                   "说明", "备注：", "备注:", "注：", "注:", "签字", "签名", "盖章", "单位（盖章）",
                   "单位(盖章)", "校长签字", "联系电话：", "联系电话:")
_ALL_PREFIXES = TOTAL_PREFIXES + FOOTER_PREFIXES
_PREFIX_FIRST = frozenset(p[0] for p in _ALL_PREFIXES)

REASON_EMPTY = "空行"
REASON_HEADER = "重复的表头行"
REASON_TOTAL = "合计行"
REASON_FOOTER = "表尾签字或说明行"
REASON_NUMBERING = "列序号行"
REASON_PAGE = "页码行"
REASON_NO_KEY = "缺少姓名和证件号"
REASON_NO_SCHOOL = "缺少学校名称"
REASON_FORMULA_ID = ("证件号单元格是公式，文件中没有保存计算结果（请在 Excel 中打开该文件、保存后再用，"
                     "或把公式列“复制—选择性粘贴为数值”）")

#: Sources whose input must hold at least one usable record (an officer never means to give an
#: empty registry, ledger or roster; an empty 送教上门 or 外地就读 list, or a payout file the tool
#: wrote for a semester without payments, can be real).
REQUIRE_DATA = frozenset({"registry", "national", "provincial", "roster", "schools"})

NO_HEADER = "没有找到可识别的表头（前 12 行中没有姓名、身份证号等列名）"

ProgressFn = Callable[[str, int, int], None]

_PAGE = re.compile(r"^(?:-\s*\d+\s*-|第\s*\d+\s*页\s*[,，/]?\s*(?:共\s*\d+\s*页)?|共\s*\d+\s*页\s*[,，/]?\s*第\s*\d+\s*页)$")


@dataclass(frozen=True)
class SheetSkip:
    """A sheet that was not loaded, with the Chinese reason."""

    file: str
    sheet: str
    reason: str
    path: str = ""

    def ref(self) -> str:
        return f"{self.file}:{self.sheet}"


@dataclass
class LoadResult:
    tables: list[Table] = field(default_factory=list)
    skipped_sheets: list[SheetSkip] = field(default_factory=list)

    def __iter__(self):
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    @property
    def rows_read(self) -> int:
        return sum(t.rows_read for t in self.tables)


# ----------------------------------------------------------------------------- public API

def load_tables(paths: list[Path | str] | Path | str, source: str | None = None,
                columns: str | Path | ColumnOverrides | None = None,
                on_progress: ProgressFn | None = None) -> LoadResult:
    """Read every file (folders: every spreadsheet inside, recursively) as ``Table`` objects.

    ``source`` forces the kind (``registry`` …): required columns are then checked and a sheet
    without a usable header is skipped (``LoadResult.skipped_sheets``) — unless no sheet of the
    file is usable, which is an InputError.  With ``source=None`` each sheet's kind is guessed
    and nothing is required.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    return load_many([(source, list(paths))], columns=columns, on_progress=on_progress)[0]


def load_many(jobs: list[tuple[str | None, list[Path | str]]],
              columns: str | Path | ColumnOverrides | None = None,
              on_progress: ProgressFn | None = None) -> list[LoadResult]:
    """:func:`load_tables` for several (source, paths) at once, one LoadResult each.

    All the files go through one pair of reader threads, largest first: a registry or ledger
    export of a few hundred thousand rows is read alongside the rosters instead of alone.  The
    results keep the order of the files; when files fail, the first failing file (in that order)
    raises."""
    for source, _ in jobs:
        if source is not None and (source not in SOURCES or source == "unknown"):
            raise UsageError(f"未知的数据来源 {source}")
    overrides = load_columns(columns)
    found = [expand_paths(list(paths)) for _, paths in jobs]
    flat = [(k, i, f) for k, files in enumerate(found) for i, f in enumerate(files)]
    results: dict[tuple[int, int], list[Table | SheetSkip]] = {}
    errors: dict[tuple[int, int], BaseException] = {}

    def size(item) -> int:
        try:
            return os.path.getsize(item[2].path)
        except OSError:
            return 0

    order = sorted(flat, key=size, reverse=True) if len(flat) > 1 else flat
    outcomes = _iter_outcomes([(f, jobs[k][0]) for k, _, f in order], overrides)
    for done, ((k, i, _), outcome) in enumerate(zip(order, outcomes), start=1):
        if isinstance(outcome, BaseException):
            errors[(k, i)] = outcome
        else:
            results[(k, i)] = outcome
        if on_progress is not None:
            on_progress("读取文件", done, len(flat))
    if errors:
        raise errors[min(errors)]
    out = []
    for k, (source, _) in enumerate(jobs):
        result = LoadResult()
        for i in range(len(found[k])):
            for item in results[(k, i)]:
                if isinstance(item, SheetSkip):
                    result.skipped_sheets.append(item)
                else:
                    result.tables.append(item)
        _check_has_data(result, source)
        out.append(result)
    return out


def _check_has_data(result: LoadResult, source: str | None) -> None:
    if source in REQUIRE_DATA and result.tables:
        names = list(dict.fromkeys(t.file for t in result.tables))
        files = "、".join(names[:3]) + (f" 等 {len(names)} 个文件" if len(names) > 3 else "")
        if not any(len(t.df) for t in result.tables):
            raise InputError(_no_records_message(result.tables, source), file=files)
        if source == "registry" and not any(
                "id_number" in t.df.columns and t.df["id_number"].astype(bool).any() for t in result.tables):
            raise InputError(f"{SOURCE_LABELS['registry']}中所有人员的证件号都是空的，无法比对；"
                             "请检查导出时是否选了证件号码列", file=files)


def _iter_outcomes(work: list[tuple[FoundFile, str | None]], overrides: ColumnOverrides,
                   workers: int | None = None) -> Iterator[list[Table | SheetSkip] | BaseException]:
    """``_load_found`` of each (file, source), in order, two at a time; a failure is yielded as
    its exception (the caller decides which one to raise)."""
    def one(item):
        try:
            return _load_found(item[0], item[1], overrides)
        except (KeyboardInterrupt, SystemExit, MemoryError):
            raise
        except Exception as exc:  # noqa: BLE001 - handed to the caller, which raises the first
            return exc

    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    if workers <= 1 or len(work) <= 1:
        for item in work:
            yield one(item)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fupin-read") as pool:
        futures = [pool.submit(one, item) for item in work[:workers]]
        nxt = len(futures)
        try:
            for k in range(len(work)):
                res = futures[k].result()
                futures[k] = None  # free the sheets as soon as they are handed over
                if nxt < len(work):
                    futures.append(pool.submit(one, work[nxt]))
                    nxt += 1
                yield res
        finally:
            for f in futures:
                if f is not None:
                    f.cancel()


def _no_records_message(tables: list[Table], source: str) -> str:
    label = SOURCE_LABELS.get(source, source)
    read = sum(t.rows_read for t in tables)
    if read == 0:
        return f"只有表头，没有数据行（作为{label}读取）；请检查是否导出了空表"
    issues = [i for t in tables for i in t.rejected] or [i for t in tables for i in t.skipped]
    first = issues[0]
    return (f"表头下的 {read} 行中没有一行可用（作为{label}读取），"
            f"例如工作表“{first.sheet or '（无名）'}”第 {first.row} 行：{first.reason}")


def _load_found(f: FoundFile, source: str | None, overrides: ColumnOverrides) -> list[Table | SheetSkip]:
    try:
        return load_file(f.path, f.display, source, overrides)
    except NotSpreadsheetError as exc:
        if not f.in_folder:
            raise
        # a note or a picture lying in a folder of rosters: say so, do not stop the run
        return [SheetSkip(f.display, "", exc.message.split("：", 1)[-1], str(f.path))]


def iter_loaded(files: list[FoundFile], source: str | None, overrides: ColumnOverrides,
                workers: int | None = None) -> Iterator[list[Table | SheetSkip]]:
    """``load_file`` for each file, in order.  With several files two are read at a time:
    calamine parses without holding the GIL, so a folder of rosters reads ~1.4x faster on two
    cores.  The first failing file (in order) raises; a non-spreadsheet file found in a folder is
    a SheetSkip instead."""
    for outcome in _iter_outcomes([(f, source) for f in files], overrides, workers):
        if isinstance(outcome, BaseException):
            raise outcome
        yield outcome


def load_file(path: Path | str, display: str | None = None, source: str | None = None,
              overrides: ColumnOverrides | None = None) -> list[Table | SheetSkip]:
    """One file's sheets in order, each loaded as a Table or skipped with a reason."""
    overrides = overrides or load_columns(None)
    display = display or Path(path).name
    raws = read_raw(path, display)
    out: list[Table | SheetSkip] = []
    missing_errors: list[str] = []
    for raw in raws:
        if raw.skip_reason:
            out.append(SheetSkip(display, raw.sheet, raw.skip_reason, str(path)))
            continue
        item = sheet_to_table(raw, source, overrides)
        if isinstance(item, str):  # missing required columns (forced source)
            missing_errors.append(item)
            out.append(SheetSkip(display, raw.sheet, item, str(path)))
        else:
            out.append(item)
    if source is not None and not any(isinstance(x, Table) for x in out):
        sheet_names = [r.sheet for r in raws if not r.skip_reason]
        if missing_errors:
            # the first sheet that had a header but lacked columns says what to fix
            for raw, item in zip(raws, out):
                if isinstance(item, SheetSkip) and item.reason in missing_errors:
                    raise InputError(item.reason, file=display, sheet=raw.sheet or None)
        labels = "、".join(sheet_names)
        hint = f"请在 columns.toml 的 [{source}] 段指定列名，例如 name = \"学生名\""
        raise InputError(f"{NO_HEADER}；{hint}" + (f"（检查过的工作表：{labels}）" if len(sheet_names) > 1 else ""),
                         file=display, sheet=(sheet_names[0] or None) if len(sheet_names) == 1 else None)
    return out


def sheet_to_table(raw: RawSheet, source: str | None, overrides: ColumnOverrides) -> Table | SheetSkip | str:
    """One raw sheet -> Table; a SheetSkip when no header is found; with a forced source, the
    Chinese missing-columns message (str) when the header lacks required columns."""
    if source is None:
        # the built-in synonyms plus [all]; then each source's own columns.toml section, in case
        # only that section names this sheet's headers; the best-scoring header wins
        header = find_header(raw, overrides.for_source(None) or None)
        for sec, fields in overrides.by_source.items():
            if sec != "all" and fields:
                other = find_header(raw, overrides.for_source(sec))
                if other is not None and (header is None or other.score > header.score):
                    header = other
        if header is None:
            return SheetSkip(raw.file, raw.sheet, NO_HEADER, raw.path)
        kind = detect_source(header.fields, header.title, raw.file,
                             [c for line in header.lines for c in line])
        if overrides.by_source.get(kind):
            again = find_header(raw, overrides.for_source(kind))
            if again is not None:
                header = again
        return build_table(raw, _resolve_duplicates(raw, header), kind)
    header = find_header(raw, overrides.for_source(source) or None, REQUIRED.get(source))
    if header is None:
        return SheetSkip(raw.file, raw.sheet, NO_HEADER, raw.path)
    missing = missing_required(source, header.fields)
    if missing:
        return missing_columns_message(source, missing, [c for c in header.cells if c])
    return build_table(raw, _resolve_duplicates(raw, header), source)


def _resolve_duplicates(raw: RawSheet, header: HeaderMatch) -> HeaderMatch:
    """Two header cells with the same text where one is mapped to a field (``身份证号`` twice).

    A header cell merged over two columns, or a column repeated with the same content, is harmless:
    the column holding data (the first when both agree) is used.  Two such columns with different
    data leave no way to know which one is meant: InputError naming both columns."""
    start = header.row + 1
    used = set(header.fields.values())
    for fld, j in sorted(header.fields.items(), key=lambda kv: kv[1]):
        text = header.cells[j] if j < len(header.cells) else ""
        if not text:
            continue
        key = norm_header(text)[0]
        twins = [k for k, c in enumerate(header.cells)
                 if k != j and k not in used and c and norm_header(c)[0] == key]
        if not twins:
            continue
        group = sorted([j, *twins])
        filled = [k for k in group if any(raw.columns[k][start:])]
        if len(filled) <= 1:
            if filled and filled[0] != j:
                header.fields[fld] = filled[0]
                used.discard(j)
                used.add(filled[0])
            continue
        first = raw.columns[filled[0]][start:]
        if all(raw.columns[k][start:] == first for k in filled[1:]):
            continue
        letters = "、".join(xl_col_to_name(k) for k in filled)
        raise InputError(
            f"表头中有 {len(filled)} 列都叫“{text}”（第 {letters} 列），内容却不同，无法确定哪一列是"
            f"{FIELD_LABELS.get(fld, fld)}；请删除或改名多余的列，或在 columns.toml 中指定列名",
            file=raw.file, sheet=raw.sheet or None, row=raw.row_no(header.row))
    return header


# ----------------------------------------------------------------------------- rows

def _obj(values: list[str]) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


def build_table(raw: RawSheet, header: HeaderMatch, source: str) -> Table:
    start = header.row + 1
    n = max(raw.n_rows - start, 0)
    cols = [_obj(c[start:]) for c in raw.columns]
    nonempty = np.zeros(n, dtype=np.int32)
    first_col = np.full(n, -1, dtype=np.int32)
    ne_by_col: list[np.ndarray] = []
    for j, arr in enumerate(cols):
        ne = arr != ""
        ne_by_col.append(ne)
        first_col[(first_col < 0) & ne] = j
        nonempty += ne
    reason = np.full(n, None, dtype=object)
    reason[nonempty == 0] = REASON_EMPTY

    # repeated header lines (multi-page exports)
    for line in header.lines:
        hdr_cols = [(j, t) for j, t in enumerate(line) if t]
        if not hdr_cols:
            continue
        eq = np.zeros(n, dtype=np.int32)
        for j, t in hdr_cols:
            eq += cols[j] == t
        need = min(2, len(hdr_cols))
        rep = (eq >= need) & (eq * 5 >= nonempty * 4) & (nonempty > 0)
        reason[rep & _unset(reason)] = REASON_HEADER

    # totals, signatures and notes: look at the first non-empty cell
    for j, arr in enumerate(cols):
        idx = np.flatnonzero((first_col == j) & _unset(reason))
        if not len(idx):
            continue
        # once per distinct first cell (a roster's first column is often its school's name)
        codes, uniq = pd.factorize(arr[idx])
        hit = np.fromiter((s[:1] in _PREFIX_FIRST and s.startswith(_ALL_PREFIXES) for s in uniq), dtype=bool,
                          count=len(uniq))[codes]
        for i in idx[hit]:
            reason[i] = REASON_TOTAL if arr[i].startswith(TOTAL_PREFIXES) else REASON_FOOTER

    # page-number lines of a printed export ("第 2 页 共 9 页")
    single = np.flatnonzero((nonempty == 1) & _unset(reason))
    for i in single:
        text = cols[first_col[i]][i]
        if text[:1] in "第共-" and _PAGE.match(text):
            reason[i] = REASON_PAGE

    # a row of column numbers (1 2 3 …) right under the header
    if n and reason[0] is None and _is_numbering([c[0] for c in cols]):
        reason[0] = REASON_NUMBERING

    skipped_mask = ~_unset(reason)
    key_fields = ("school",) if source == "schools" else ("name", "id_number", "xueji_no")
    key_cols = [header.fields[f] for f in key_fields if f in header.fields]
    if key_cols:
        has_key = np.zeros(n, dtype=bool)
        for j in key_cols:
            has_key |= ne_by_col[j]
        rejected_mask = ~skipped_mask & ~has_key
    else:
        rejected_mask = np.zeros(n, dtype=bool)
    formula_id = _formula_id_rows(raw, header, start, n, ne_by_col) & ~skipped_mask
    rejected_mask |= formula_id
    keep = np.flatnonzero(~skipped_mask & ~rejected_mask)

    if raw.row_numbers is not None:
        row_no = np.asarray(raw.row_numbers[start:], dtype=np.int64)
    else:
        row_no = np.arange(start + 1, start + 1 + n, dtype=np.int64)

    data: dict[str, pd.Series] = {}
    for fld, j in sorted(header.fields.items(), key=lambda kv: kv[1]):
        data[fld] = pd.Series(cols[j][keep], dtype=object)
    data[ROW] = pd.Series(row_no[keep], dtype="int64")
    df = pd.DataFrame(data)

    def issues(mask: np.ndarray, why) -> list[RowIssue]:
        out = []
        for i in np.flatnonzero(mask):
            vals = [c[i] for c in cols]
            while vals and not vals[-1]:
                vals.pop()
            out.append(RowIssue(raw.file, raw.sheet, int(row_no[i]), why(i), tuple(vals)))
        return out

    no_key_reason = REASON_NO_SCHOOL if source == "schools" else REASON_NO_KEY
    skipped = issues(skipped_mask, lambda i: reason[i])
    rejected = issues(rejected_mask, lambda i: REASON_FORMULA_ID if formula_id[i] else no_key_reason)
    assert len(df) + len(skipped) + len(rejected) == n

    return Table(
        path=raw.path,
        file=raw.file,
        sheet=raw.sheet,
        source=source,
        header_row=raw.row_no(header.row),
        columns=dict(sorted(header.texts.items(), key=lambda kv: header.fields[kv[0]])),
        df=df,
        skipped=skipped,
        rejected=rejected,
        unmapped=list(header.unmapped),
        title=header.title,
    )


def _formula_id_rows(raw: RawSheet, header: HeaderMatch, start: int, n: int,
                     ne_by_col: list[np.ndarray]) -> np.ndarray:
    """Data rows whose ID cell is a formula the file holds no result for (it reads as empty) and
    that carry no 学籍号 to identify the person instead."""
    out = np.zeros(n, dtype=bool)
    j = header.fields.get("id_number")
    if j is None or not raw.formula_cells:
        return out
    for r, c in raw.formula_cells:
        if c == j and start <= r < start + n:
            out[r - start] = True
    out &= ~ne_by_col[j]
    xj = header.fields.get("xueji_no")
    if xj is not None:
        out &= ~ne_by_col[xj]
    return out


def _unset(reason: np.ndarray) -> np.ndarray:
    """Rows of an object array of reasons that have none yet (elementwise ``is None``)."""
    return np.equal(reason, None)


def _is_numbering(values: list[str]) -> bool:
    nums = [v for v in values if v]
    if len(nums) < 3 or not all(v.isdigit() and len(v) <= 3 for v in nums):
        return False
    ints = [int(v) for v in nums]
    return all(b == a + 1 for a, b in itertools.pairwise(ints))
