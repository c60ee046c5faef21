"""Read any spreadsheet export into sheets of text.

The real format is sniffed from the bytes, never from the extension (the provincial system
writes HTML tables named ``.xls``; officers rename files):

- zip (``PK``)            -> .xlsx / .xlsm / .xlsb / .ods through python-calamine
- OLE2 (``D0 CF 11 E0``)  -> .xls through python-calamine (xlrd as a fallback); an OLE2 file that
                            holds ``EncryptedPackage`` is a password-protected .xlsx
- text starting with ``<`` -> HTML tables (a small regex tokenizer, stdlib only) or Excel 2003
                            XML (SpreadsheetML, through defusedxml)
- other text              -> CSV / TSV (encoding and delimiter detected)

Every cell becomes text (``cells.py``).  A sheet is stored column-wise (``RawSheet.columns``);
``RawSheet.rows`` gives the row-wise view.  Row ``i`` (0-based) is the officer's row ``i + 1``
except for a CSV with line breaks inside quoted fields, where ``row_numbers`` holds the line on
which each record starts.  Trailing empty rows and columns are trimmed.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import html
import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import numpy as np

from jiaoyu_fupin.errors import InputError
from jiaoyu_fupin.io import guard
from jiaoyu_fupin.io.cells import cell_text, column_text, str_column_text

SPREADSHEET_EXTS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv", ".tsv", ".txt", ".htm", ".html",
                    ".xml")
FOLDER_EXTS = (".xlsx", ".xlsm", ".xls", ".csv", ".txt", ".htm", ".html")

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAGIC = (
    (b"%PDF", "PDF 文件"),
    (b"\x89PNG", "PNG 图片"),
    (b"\xff\xd8\xff", "JPG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf", "7z 压缩包"),
    (b"\x1f\x8b", "gz 压缩包"),
    (b"{\\rtf", "RTF 文档"),
)
ENCRYPTED_MSG = "文件已加密（设置了打开密码），请在 Excel 中取消密码后另存再试"
CORRUPT_MSG = "文件已损坏或不完整（可能下载、复制或导出时中断），请重新导出或重新复制后再试"
XLSB_MSG = "不支持 Excel 二进制工作簿（.xlsb），请在 Excel 中“另存为” .xlsx 后再试"

#: A text file (CSV, HTML, XML) larger than this is refused before it is read into memory.
MAX_TEXT_FILE_BYTES = 1_000_000_000
#: Widest table accepted from a text file (Excel's column limit).
MAX_COLUMNS = guard.EXCEL_MAX_COLS
#: Most cells (rows × columns) one sheet of any format may expand to.
MAX_SHEET_CELLS = guard.MAX_SHEET_CELLS

# the csv module refuses fields over 128 KiB by default; a long cell is cut later (cells.py)
csv.field_size_limit(max(csv.field_size_limit(), MAX_TEXT_FILE_BYTES))


class NotSpreadsheetError(InputError):
    """The file is not a spreadsheet at all (PDF, picture, Word, prose text…).  A file met while
    walking a folder is then skipped with this reason instead of stopping the run."""


class FoundFile(NamedTuple):
    path: Path
    display: str         # name shown to the officer
    in_folder: bool      # found by walking a folder (not named on the command line)


@dataclass
class RawSheet:
    """One sheet as text. ``columns[j][i]`` is the cell in column j, row i (0-based)."""

    file: str
    sheet: str
    columns: list[list[str]]
    path: str = ""
    row_numbers: list[int] | None = None   # officer row of each record when not i + 1
    skip_reason: str | None = None         # set when the sheet holds nothing usable
    fmt: str = ""                          # xlsx / xls / html / xml / csv
    #: (row, column) indices of formula cells the file saved without a result (they read as "")
    formula_cells: frozenset[tuple[int, int]] = frozenset()

    @classmethod
    def from_rows(cls, file: str, sheet: str, rows: list[list[str]], **kw) -> RawSheet:
        width = max((len(r) for r in rows), default=0)
        cols = [[r[j] if j < len(r) else "" for r in rows] for j in range(width)]
        return cls(file, sheet, cols, **kw)

    @property
    def n_rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    @property
    def n_cols(self) -> int:
        return len(self.columns)

    @cached_property
    def rows(self) -> list[list[str]]:
        """Row-wise view (built on first use; the loader works on ``columns``)."""
        return [list(r) for r in zip(*self.columns)]

    def row(self, i: int) -> list[str]:
        return [c[i] for c in self.columns]

    def row_no(self, i: int) -> int:
        """Officer-visible row number (1-based) of row index ``i``."""
        return self.row_numbers[i] if self.row_numbers is not None else i + 1


# ----------------------------------------------------------------------------- finding files

def expand_paths(paths: list[Path | str]) -> list[FoundFile]:
    """Files to read, each with the name shown to the officer.

    A folder contributes every spreadsheet in it, recursively, sorted, shown by its path relative
    to the folder (two schools may both send ``名册.xlsx``); ``~$`` lock files and hidden files are
    skipped.  A file given directly is shown by its base name.
    """
    out: list[FoundFile] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = []
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                if any(part.startswith((".", "~$")) for part in rel.parts):
                    continue
                if f.is_file() and f.suffix.lower() in FOLDER_EXTS:
                    found.append(FoundFile(f, rel.as_posix(), True))
            if not found:
                raise InputError("文件夹中没有表格文件（.xlsx、.xls、.csv、.txt、.html）", file=str(p))
            out.extend(found)
        elif p.is_file():
            out.append(FoundFile(p, p.name, False))
        else:
            raise InputError("找不到这个文件或文件夹，请检查路径是否写对", file=str(p))
    return out


# ----------------------------------------------------------------------------- entry point

def read_raw(path: Path | str, display: str | None = None) -> list[RawSheet]:
    """Every sheet of a file as text; sheets without data carry ``skip_reason``.

    Raises InputError (Chinese, names the file) for a missing, empty, non-spreadsheet, corrupt or
    encrypted file, or one whose sheets are all empty.
    """
    p = Path(path)
    name = display or p.name
    if not p.exists():
        raise InputError("找不到这个文件，请检查路径是否写对", file=name)
    if p.is_dir():
        raise InputError("这是一个文件夹，不是表格文件", file=name)
    try:
        size = p.stat().st_size
        with open(p, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise InputError(f"无法打开文件（{_os_reason(exc)}）", file=name) from None
    if size == 0:
        raise InputError("文件是空的（0 字节），请重新导出", file=name)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        sheets = _read_zip(p, name)
    elif head.startswith(_OLE):
        sheets = _read_ole(p, name)
    else:
        for magic, what in _MAGIC:
            if head.startswith(magic):
                raise NotSpreadsheetError(f"不是表格文件（内容是{what}），请提供从系统导出的 Excel 或 CSV 文件", file=name)
        sheets = _read_text(p, name)
    for s in sheets:
        s.path = str(p)
    if not any(s.skip_reason is None for s in sheets):
        reasons = "；".join(f"{s.sheet or '（无名）'}：{s.skip_reason}" for s in sheets) or "没有工作表"
        raise InputError(f"所有工作表都没有数据（{reasons}）", file=name)
    return sheets


def _os_reason(exc: OSError) -> str:
    import errno

    if isinstance(exc, PermissionError):
        return "没有读取权限，或文件正被其他程序占用"
    if exc.errno == errno.ENOENT:
        return "文件不存在"
    if exc.errno == errno.EISDIR:
        return "这是一个文件夹"
    return "读取出错"


# ----------------------------------------------------------------------------- Excel

#: zipfile / zlib / struct failures of a damaged zip (besides zipfile.BadZipFile)
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError,
               IndexError, OverflowError, NotImplementedError, RuntimeError, UnicodeError, zlib.error,
               struct.error)


def _read_zip(p: Path, name: str) -> list[RawSheet]:
    """A zip: .xlsx/.xlsm/.ods (checked by ``guard`` before calamine sees it), or a refusal."""
    try:
        with zipfile.ZipFile(p) as zf:
            names = set(zf.namelist())
            if "xl/workbook.bin" in names:
                raise InputError(XLSB_MSG, file=name)
            is_xlsx = "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names)
            mimetype = b""
            if "mimetype" in names and zf.getinfo("mimetype").file_size < 1000:
                mimetype = zf.read("mimetype")[:100]
            is_ods = not is_xlsx and b"opendocument.spreadsheet" in mimetype
            # the fast .xlsx path reuses the worksheet XML the check inflates
            keep = is_xlsx and p.suffix.lower() in (".xlsx", ".xlsm")
            check = guard.check_zip(zf, name, scan_sheets=is_xlsx, keep_xml=keep) if (is_xlsx or is_ods) else None
    except InputError:
        raise
    except _ZIP_ERRORS:
        raise InputError(CORRUPT_MSG, file=name) from None
    if check is not None:
        formulas = {sheet: frozenset(check.sheets[part].formula_refs)
                    for sheet, part in check.sheet_parts.items()
                    if part in check.sheets and check.sheets[part].formula_refs}
        return _read_calamine(p, name, "xlsx" if is_xlsx else "ods", formulas, check.xml)
    if any(n.startswith("word/") for n in names):
        raise NotSpreadsheetError("不是表格文件（这是 Word 文档），请提供 Excel 或 CSV 文件", file=name)
    if any(n.startswith("ppt/") for n in names):
        raise NotSpreadsheetError("不是表格文件（这是 PowerPoint 文档），请提供 Excel 或 CSV 文件", file=name)
    raise NotSpreadsheetError("不是表格文件（这是一个压缩包），请先解压，再对里面的表格文件运行", file=name)


def _read_ole(p: Path, name: str) -> list[RawSheet]:
    data = p.read_bytes()
    if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
        raise InputError(ENCRYPTED_MSG, file=name)
    # calamine trusts the compound-file structure: a damaged one (a few bytes inserted or lost)
    # can make it allocate gigabytes and abort the process.  xlrd's pure-Python reader of the
    # structure checks it first (the cells are still read by calamine).
    try:
        from xlrd import compdoc

        compdoc.CompDoc(data, logfile=io.StringIO())
    except Exception:  # noqa: BLE001 - CompDocError, struct.error, IndexError …
        if "WordDocument".encode("utf-16-le") in data:
            raise NotSpreadsheetError("不是表格文件（这是 Word 文档），请提供 Excel 或 CSV 文件", file=name) from None
        raise InputError(CORRUPT_MSG, file=name) from None
    try:
        return _read_calamine(p, name, "xls")
    except InputError as exc:
        if ENCRYPTED_MSG in exc.message:
            raise
        first = exc
    try:
        return _read_xlrd(data, name)
    except InputError:
        raise
    except Exception:  # noqa: BLE001, S110 - xlrd raises many kinds; the calamine message is the useful one
        pass
    if "WordDocument".encode("utf-16-le") in data:
        raise NotSpreadsheetError("不是表格文件（这是 Word 文档），请提供 Excel 或 CSV 文件", file=name)
    raise first


def _calamine_error(exc: BaseException, name: str) -> InputError:
    import python_calamine as pc

    text = str(exc).lower()
    if isinstance(exc, pc.PasswordError) or "password" in text or "encrypt" in text:
        return InputError(ENCRYPTED_MSG, file=name)
    if isinstance(exc, MemoryError):
        return InputError("文件内容过多，内存不足，无法读取；请按学校或乡镇拆分后再试", file=name)
    if "cell limit" in text:
        return InputError(f"工作表的数据范围过大，超过本工具的上限 {MAX_SHEET_CELLS:,} 个单元格；"
                          "请删除多余的行列或拆分文件后再试", file=name)
    return InputError(CORRUPT_MSG, file=name)


def _library_failure(exc: BaseException) -> bool:
    """True for an exception raised by a reading library on a bad file (a Rust panic arrives
    as ``pyo3_runtime.PanicException``, a BaseException); False for Ctrl-C and friends."""
    return not isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit))


_CALAMINE_EXTS = {"xlsx": (".xlsx", ".xlsm"), "xls": (".xls", ".xla"), "ods": (".ods",)}


def _read_calamine(p: Path, name: str, fmt: str,
                   formulas: dict[str, frozenset[tuple[int, int]]] | None = None,
                   sheet_xml: dict[str, bytes] | None = None) -> list[RawSheet]:
    import python_calamine as pc

    if fmt == "xlsx" and p.suffix.lower() in (".xlsx", ".xlsm"):
        # fastexcel, same text (xlsx_fast.py); None: anything unusual, read the exact way below
        from jiaoyu_fupin.io.xlsx_fast import read_xlsx_fast

        fast = read_xlsx_fast(p, name, sheet_xml)
        sheet_xml = None
        if fast is not None:
            for sheet in fast:
                if formulas and sheet.sheet in formulas:
                    sheet.formula_cells = formulas[sheet.sheet]
            return fast
    wb = None
    if p.suffix.lower() in _CALAMINE_EXTS[fmt]:
        try:
            wb = pc.CalamineWorkbook.from_path(str(p))  # fastest; dispatches on the extension
            metas = list(wb.sheets_metadata)
        except BaseException as exc:
            if not _library_failure(exc):
                raise
            if "cell limit" in str(exc).lower():
                raise _calamine_error(exc, name) from None
            wb = None
    if wb is None:  # misnamed file (or from_path failed): let calamine sniff the bytes
        try:
            with open(p, "rb") as fh:
                wb = pc.CalamineWorkbook.from_filelike(fh)
            metas = list(wb.sheets_metadata)
        except BaseException as exc:
            if not _library_failure(exc):
                raise
            raise _calamine_error(exc, name) from None
    out: list[RawSheet] = []
    for meta in metas:
        sheet_name = meta.name
        typ = str(getattr(meta, "typ", "")).lower()
        if "chart" in typ or "dialog" in typ or "macro" in typ:
            out.append(RawSheet(name, sheet_name, [], skip_reason="图表或宏工作表，不含数据", fmt=fmt))
            continue
        try:
            sh = wb.get_sheet_by_name(sheet_name)
            if sh.height * sh.width > MAX_SHEET_CELLS:
                raise InputError(f"工作表的数据范围过大（约 {sh.height} 行 × {sh.width} 列），"
                                 f"超过本工具的上限 {MAX_SHEET_CELLS:,} 个单元格；请删除多余的行列或拆分文件后再试",
                                 file=name, sheet=sheet_name)
            rows = sh.to_python(skip_empty_area=False)
            merges = sh.merged_cell_ranges or []
        except InputError:
            raise
        except BaseException as exc:
            if not _library_failure(exc):
                raise
            raise _calamine_error(exc, name) from None
        sheet = _sheet_from_values(name, sheet_name, rows, fmt, merges)
        if formulas and sheet_name in formulas:
            sheet.formula_cells = formulas[sheet_name]
        out.append(sheet)
    with contextlib.suppress(Exception):  # closing is best effort
        wb.close()
    return out


def _read_xlrd(data: bytes, name: str) -> list[RawSheet]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower() or "password" in str(exc).lower():
            raise InputError(ENCRYPTED_MSG, file=name) from None
        raise
    out = []
    for idx in range(book.nsheets):
        sh = book.sheet_by_index(idx)
        rows = []
        for r in range(sh.nrows):
            vals = []
            for c in sh.row(r):
                t = c.ctype
                if t == xlrd.XL_CELL_DATE:
                    try:
                        v = xlrd.xldate_as_datetime(c.value, book.datemode)
                        vals.append(v.date() if v.time() == _dt.time() else v)
                    except (ValueError, OverflowError):
                        vals.append(c.value)
                elif t == xlrd.XL_CELL_BOOLEAN:
                    vals.append(bool(c.value))
                elif t in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                    vals.append("")
                else:
                    vals.append(c.value)
            rows.append(vals)
        out.append(_sheet_from_values(name, sh.name, rows, "xls"))
    return out


def _sheet_from_values(file: str, sheet: str, rows: list[list], fmt: str,
                       merges: list | None = None) -> RawSheet:
    """Mixed cell values (row-wise) -> a trimmed text sheet (column-wise).

    ``merges``: ((first_row, first_col), (last_row, last_col)) 0-based, inclusive.  A merged cell
    holds its value only in the top-left cell; the officer sees it on every row it spans (乡镇 and
    村 merged over a household's members), so the value is copied into the whole range, the way
    an HTML rowspan/colspan is read."""
    if not rows:
        return RawSheet(file, sheet, [], skip_reason="工作表是空的", fmt=fmt)
    width = max(len(r) for r in rows)
    if any(len(r) != width for r in rows):
        rows = [list(r) + [""] * (width - len(r)) if len(r) < width else r for r in rows]
    if width == 0:
        return RawSheet(file, sheet, [], skip_reason="工作表是空的", fmt=fmt)
    # a 2-D object array is the cheapest transpose of a list of rows
    grid = np.empty((len(rows), width), dtype=object)
    grid[:] = rows
    if isinstance(rows, list):
        rows.clear()  # the row lists are no longer needed (the caller's reference stays valid)
    cols = [column_text(grid[:, j]) for j in range(width)]
    del grid
    if merges:
        _fill_merged(cols, merges)
    return _trimmed(RawSheet(file, sheet, cols, fmt=fmt))


def _fill_merged(cols: list[list[str]], merges) -> None:
    n_cols = len(cols)
    n_rows = len(cols[0]) if cols else 0
    for (r0, c0), (r1, c1) in merges:
        if r0 >= n_rows or c0 >= n_cols:
            continue
        value = cols[c0][r0]
        if not value:
            continue
        r1, c1 = min(r1, n_rows - 1), min(c1, n_cols - 1)
        for c in range(c0, c1 + 1):
            col = cols[c]
            col[r0:r1 + 1] = [value] * (r1 - r0 + 1)


def _trimmed(s: RawSheet) -> RawSheet:
    cols = [c for c in s.columns]
    while cols and not any(cols[-1]):
        cols.pop()
    if not cols:
        s.columns = []
        s.skip_reason = "工作表是空的"
        return s
    n = len(cols[0])
    last = n - 1
    while last >= 0 and not any(c[last] for c in cols):
        last -= 1
    if last < n - 1:
        cols = [c[: last + 1] for c in cols]
        if s.row_numbers is not None:
            s.row_numbers = s.row_numbers[: last + 1]
    s.columns = cols
    return s


# ----------------------------------------------------------------------------- text formats

_META_CHARSET = re.compile(rb"""<meta[^>]*charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_GB = ("gb2312", "gbk", "gb18030", "cp936", "ms936", "x-gbk", "euc-cn", "hz-gb-2312")


#: encodings accepted from charset detection (after UTF-8 and GB18030 failed)
_DETECTABLE = frozenset({"big5", "big5hkscs", "cp950", "utf-16", "utf-16-le", "utf-16-be", "utf-32",
                         "utf-32-le", "utf-32-be"})


def _norm_encoding(enc: str) -> str:
    e = enc.lower().replace("_", "-")
    if e in _GB or e.startswith("gb"):
        return "gb18030"
    if e in ("utf8", "utf-8"):
        return "utf-8"
    return e


def decode_text(data: bytes, name: str, declared: str | None = None) -> tuple[str, str]:
    """Bytes -> (text, encoding).  BOMs first, then a declared charset, then UTF-8, then GB18030
    (the Chinese superset: never gbk, which fails on characters like 𠮷), then charset-normalizer
    on a sample cut at the last newline."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _decode(data[3:], "utf-8", name), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode(data, "utf-16", name), "utf-16"
    tried = []
    if declared:
        enc = _norm_encoding(declared)
        try:
            return data.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            tried.append(enc)
    for enc in ("utf-8", "gb18030"):
        if enc in tried:
            continue
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            tried.append(enc)
    sample = data[:65536]
    if len(data) > len(sample) and b"\n" in sample:
        sample = sample[: sample.rfind(b"\n") + 1]
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(sample).best()
        enc = _norm_encoding(best.encoding) if best is not None else None
    except Exception:  # noqa: BLE001 - detection is best effort
        enc = None
    # only encodings a Chinese export can really be in: anything else (cp1252, koi8…) would
    # "decode" random bytes into nonsense that then reads as a table
    if enc not in _DETECTABLE:
        enc = None
    if enc and enc not in tried:
        try:
            return data.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            pass
    raise InputError("无法识别文件的文字编码（既不是 UTF-8 也不是 GB18030），"
                     "请用 Excel 打开后另存为 .xlsx 再试", file=name)


def _decode(data: bytes, enc: str, name: str) -> str:
    try:
        return data.decode(enc)
    except UnicodeDecodeError as exc:
        raise InputError(f"文件声明为 {enc} 编码，但第 {exc.start} 字节处的内容不符合该编码，"
                         "请重新导出", file=name) from None


def _read_text(p: Path, name: str) -> list[RawSheet]:
    if p.stat().st_size > MAX_TEXT_FILE_BYTES:
        raise InputError(f"文件过大（{guard.human_size(p.stat().st_size)}），超过本工具一次可读取的上限 "
                         f"{guard.human_size(MAX_TEXT_FILE_BYTES)}；请按学校或乡镇拆分后再试", file=name)
    data = p.read_bytes()
    probe = data[:4096]
    if not probe.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" in probe:
        raise NotSpreadsheetError("不是表格文件（内容是二进制数据），请提供从系统导出的 Excel 或 CSV 文件", file=name)
    start = probe.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"<") or (probe.startswith((b"\xff\xfe", b"\xfe\xff"))
                                  and probe.decode("utf-16", "ignore").lstrip("\ufeff \t\r\n").startswith("<")):
        low = data[:200000].lower()
        if b"urn:schemas-microsoft-com:office:spreadsheet" in low and b"<workbook" in low \
                and b"<html" not in low[:2000]:
            return _read_spreadsheetml(data, name)
        m = _META_CHARSET.search(data[:4096]) or _XML_ENCODING.search(data[:200])
        text, _ = decode_text(data, name, m.group(1).decode("ascii") if m else None)
        if "<table" not in text.lower():
            raise NotSpreadsheetError("不是表格文件（是网页或 XML 文件，但里面没有表格），请提供 Excel 或 CSV 文件",
                             file=name)
        return _read_html(text, name)
    text, _ = decode_text(data, name)
    return [_read_csv(text, name)]


def detect_delimiter(text: str) -> str | None:
    """The delimiter whose per-line count is most consistent over the first lines (, \\t ; |)."""
    lines = [ln for ln in text[:200000].splitlines()[:60] if ln.strip()]
    best, best_score = None, 0
    for d in (",", "\t", ";", "|"):
        counts = [ln.count(d) for ln in lines]
        nz = [c for c in counts if c > 0]
        if not nz:
            continue
        mode = max(set(nz), key=nz.count)
        score = sum(1 for c in nz if c >= mode) * 1000 + mode
        if score > best_score:
            best, best_score = d, score
    return best


def _check_size(name: str, sheet: str, n_rows: int, width: int, row_no: int | None = None) -> None:
    """Refuse a table wider than Excel allows or larger than MAX_SHEET_CELLS (rows × columns)."""
    if width > MAX_COLUMNS:
        where = f"（第 {row_no} 行）" if row_no is not None else ""
        raise InputError(f"有一行多达 {width} 列{where}，超过 Excel 的上限 {MAX_COLUMNS} 列："
                         "多半不是正常导出的表格，或分隔符、引号有误", file=name, sheet=sheet or None)
    if n_rows * width > MAX_SHEET_CELLS:
        raise InputError(f"表格过大（{n_rows} 行 × {width} 列），超过本工具的上限 {MAX_SHEET_CELLS:,} 个单元格；"
                         "请按学校或乡镇拆分后再试", file=name, sheet=sheet or None)


def _read_csv(text: str, name: str) -> RawSheet:
    text = text.removeprefix("\ufeff")
    delim = detect_delimiter(text)
    if delim is None:
        if not text.strip():
            return RawSheet(name, "", [], skip_reason="文件中没有内容", fmt="csv")
        raise NotSpreadsheetError("不是表格文件（普通文本，没有逗号或制表符分隔的列），"
                         "请提供从系统导出的 Excel 或 CSV 文件", file=name)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    rows: list[list[str]] = []
    starts: list[int] = []
    prev = 0
    multiline = False
    cells = 0
    try:
        for rec in reader:
            rows.append(rec)
            starts.append(prev + 1)
            if reader.line_num != prev + 1:
                multiline = True
            prev = reader.line_num
            cells += len(rec)
            if len(rec) > MAX_COLUMNS or cells > MAX_SHEET_CELLS:
                _check_size(name, "", len(rows), max(len(rec), cells // len(rows) + 1), starts[-1])
    except csv.Error:
        raise InputError(f"第 {reader.line_num} 行无法按 CSV 读取，多半是引号不配对或含有异常字符", file=name) from None
    width = max((len(r) for r in rows), default=0)
    _check_size(name, "", len(rows), width)
    cols = [str_column_text([r[j] if j < len(r) else "" for r in rows]) for j in range(width)]
    sheet = RawSheet(name, "", cols, row_numbers=starts if multiline else None, fmt="csv")
    return _trimmed(sheet)


# ----------------------------------------------------------------------------- HTML tables

_WS = re.compile(r"[ \t\r\n\f\v\u00a0]+")
_BR = "\x00"


class _TableTooBig(Exception):
    """An HTML table whose row/col spans expand beyond the size caps."""

    def __init__(self, n_rows: int, width: int) -> None:
        super().__init__(n_rows, width)
        self.n_rows, self.width = n_rows, width


class _Table:
    __slots__ = ("cell", "cells", "in_row", "index", "row", "rows", "span")

    def __init__(self, index: int) -> None:
        self.cells = 0
        self.rows: list[list[str]] = []
        self.row: list[str] | None = None
        self.cell: tuple[list[str], int, int] | None = None  # (text parts, colspan, rowspan)
        self.span: dict[int, list] = {}  # column -> [rows left, text]
        self.index = index


_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)"                                   # comment
    r"|<!\[CDATA\[.*?(?:\]\]>|\Z)"                          # CDATA
    r"|<[!?][^>]*>"                                         # doctype, <?xml …?>
    r"|<(/?)([A-Za-z][A-Za-z0-9:]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"  # tag
    r"|([^<]+)"                                             # text
    r"|<",                                                  # a lone '<'
    re.DOTALL,
)
_SPAN_ATTR = {
    "colspan": re.compile(r"colspan\s*=\s*[\"']?\s*(\d{1,9})", re.IGNORECASE),
    "rowspan": re.compile(r"rowspan\s*=\s*[\"']?\s*(\d{1,9})", re.IGNORECASE),
}
_RAW_TEXT_END = {"script": re.compile(r"</script\s*>", re.IGNORECASE), "style": re.compile(r"</style\s*>", re.IGNORECASE)}


class _HtmlTables:
    """Collects every <table> (nested ones separately) as rows of text with spans expanded.

    Driven by a small regex tokenizer (``feed``): the stdlib ``html.parser`` gives the same
    result but reads only ~5k rows/s, too slow for a 200k-row provincial export.  Entities are
    decoded with ``html.unescape``; ``<br>`` (and block tags inside a cell) become line breaks."""

    def __init__(self) -> None:
        self.stack: list[_Table] = []
        self.done: list[_Table] = []
        self.count = 0

    # -- helpers
    @staticmethod
    def _int(attrs: str, key: str) -> int:
        if "span" not in attrs:
            return 1
        m = _SPAN_ATTR[key].search(attrs)
        return max(1, min(int(m.group(1)), 1000)) if m else 1

    def _close_cell(self, t: _Table) -> None:
        if t.cell is None:
            return
        parts, colspan, rowspan = t.cell
        t.cell = None
        if t.row is None:
            self._open_row(t)
        text = "".join(parts)
        if "&" in text:
            text = html.unescape(text)
        text = _WS.sub(" ", text)
        if _BR in text:
            text = "\n".join(ln.strip() for ln in text.split(_BR))
        text = text.strip()
        row = t.row
        self._fill_spans(t, len(row))
        col = len(row)
        if col + colspan > MAX_COLUMNS:
            raise _TableTooBig(len(t.rows) + 1, col + colspan)
        for k in range(colspan):
            row.append(text)
            if rowspan > 1:
                t.span[col + k] = [rowspan - 1, text]
            self._fill_spans(t, len(row))

    def _fill_spans(self, t: _Table, col: int) -> None:
        if not t.span:
            return
        row = t.row
        while col in t.span and len(row) == col:
            left = t.span[col]
            row.append(left[1])
            left[0] -= 1
            if left[0] <= 0:
                del t.span[col]
            col += 1

    def _open_row(self, t: _Table) -> None:
        t.row = []
        self._fill_spans(t, 0)

    def _close_row(self, t: _Table) -> None:
        self._close_cell(t)
        if t.row is None:
            return
        row = t.row
        # spans from above to the right of the last cell
        if t.span:
            for col in sorted(t.span):
                if col < len(row):
                    continue
                while len(row) < col:
                    row.append("")
                self._fill_spans(t, col)
        t.cells += len(row)
        if len(row) > MAX_COLUMNS or t.cells > MAX_SHEET_CELLS:
            raise _TableTooBig(len(t.rows) + 1, len(row))
        t.rows.append(row)
        t.row = None

    # -- events
    def start(self, tag: str, attrs: str) -> None:
        if tag == "table":
            self.count += 1
            if self.stack and self.stack[-1].cell is not None:
                self.stack[-1].cell[0].append(" ")
            self.stack.append(_Table(self.count))
            return
        if not self.stack:
            return
        t = self.stack[-1]
        if tag == "td" or tag == "th":
            self._close_cell(t)
            if t.row is None:
                self._open_row(t)
            t.cell = ([], self._int(attrs, "colspan"), self._int(attrs, "rowspan"))
        elif tag == "tr":
            self._close_row(t)
            self._open_row(t)
        elif tag == "br":
            if t.cell is not None:
                t.cell[0].append(_BR)
        elif tag in ("p", "div", "li") and t.cell is not None and t.cell[0]:
            t.cell[0].append(_BR)

    def end(self, tag: str) -> None:
        if not self.stack:
            return
        t = self.stack[-1]
        if tag == "td" or tag == "th":
            self._close_cell(t)
        elif tag == "tr":
            self._close_row(t)
        elif tag == "table":
            self._close_row(t)
            self.done.append(self.stack.pop())

    def feed(self, text: str) -> None:
        match = _TOKEN.match
        pos, n = 0, len(text)
        while pos < n:
            m = match(text, pos)
            pos = m.end()
            data = m.group(4)
            if data is not None:
                if self.stack:
                    cell = self.stack[-1].cell
                    if cell is not None:
                        cell[0].append(data)
                continue
            tag = m.group(2)
            if tag is None:
                continue  # comment, doctype, lone '<'
            tag = tag.lower()
            if m.group(1):
                self.end(tag)
                continue
            attrs = m.group(3)
            if tag in _RAW_TEXT_END:
                e = _RAW_TEXT_END[tag].search(text, pos)
                pos = e.end() if e else n
                continue
            self.start(tag, attrs)
            if attrs.endswith("/") and tag in ("td", "th"):
                self.end(tag)

    def finish(self) -> list[_Table]:
        while self.stack:
            t = self.stack.pop()
            self._close_row(t)
            self.done.append(t)
        return sorted(self.done, key=lambda t: t.index)


_STRIP_BLOCKS = re.compile(r"<!--.*?(?:-->|\Z)|<(script|style)\b.*?(?:</\1\s*>|\Z)", re.DOTALL | re.IGNORECASE)
_LINE_TAGS = re.compile(r"<br\b[^>]*>|</(?:p|div|li)\s*>", re.IGNORECASE)
_TABLE_BLOCK = re.compile(r"<table\b[^>]*>(.*?)</table\s*>", re.DOTALL | re.IGNORECASE)
_TABLE_OPEN = re.compile(r"<table\b", re.IGNORECASE)
_TR_SPLIT = re.compile(r"<tr\b[^>]*>", re.IGNORECASE)
_CELL = re.compile(r"<t[dh]\b([^>]*)>([^<]*(?:<(?!/?t[dh]\b)[^<]*)*)(?:</t[dh]\s*>)?", re.IGNORECASE)
_SPAN = re.compile("span", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^>]*>")


def _fast_tables(text: str) -> list[list[list[str]]] | None:
    """Regular (non-nested) tables parsed with a few whole-document regexes: ~10x faster than
    a tag-by-tag parser.  None when a table is nested (the tokenizer handles those)."""
    text = _STRIP_BLOCKS.sub("", text)
    blocks = _TABLE_BLOCK.findall(text)
    if len(blocks) != len(_TABLE_OPEN.findall(text)) or any(_TABLE_OPEN.search(b) for b in blocks):
        return None
    out = []
    for block in blocks:
        block = _WS.sub(" ", _LINE_TAGS.sub(_BR, block))
        parsed: list[list[tuple[str, str]]] = []
        for seg in _TR_SPLIT.split(block)[1:]:
            parsed.append(_CELL.findall(seg))
        rows = [[_cell_clean(t) for _a, t in cells] for cells in parsed]
        if _SPAN.search(block):
            rows = _apply_spans(parsed, rows)
        out.append(rows)
    return out


def _cell_clean(t: str) -> str:
    if "<" in t:
        t = _ANY_TAG.sub("", t)
    if "&" in t:
        t = html.unescape(t).replace("\u00a0", " ")
    if _BR in t:
        t = "\n".join(ln.strip() for ln in t.strip(_BR + " ").split(_BR))
        t = re.sub(r"\n+", "\n", t)
    return t.strip()


def _apply_spans(parsed: list[list[tuple[str, str]]], rows: list[list[str]]) -> list[list[str]]:
    t = _Table(0)
    helper = _HtmlTables()
    for cells, texts in zip(parsed, rows):
        helper._open_row(t)
        for (attrs, _raw), text in zip(cells, texts):
            colspan, rowspan = helper._int(attrs, "colspan"), helper._int(attrs, "rowspan")
            row = t.row
            helper._fill_spans(t, len(row))
            col = len(row)
            if col + colspan > MAX_COLUMNS:
                raise _TableTooBig(len(t.rows) + 1, col + colspan)
            for k in range(colspan):
                row.append(text)
                if rowspan > 1:
                    t.span[col + k] = [rowspan - 1, text]
                helper._fill_spans(t, len(row))
        helper._close_row(t)
    return t.rows


def _read_html(text: str, name: str) -> list[RawSheet]:
    try:
        fast = _fast_tables(text)
        if fast is not None:
            tables = [(k + 1, rows) for k, rows in enumerate(fast)]
        else:
            parser = _HtmlTables()
            parser.feed(text)
            tables = [(t.index, t.rows) for t in parser.finish()]
    except _TableTooBig as exc:
        raise InputError(f"网页表格按合并单元格（rowspan/colspan）展开后过大（第 {exc.n_rows} 行已达 {exc.width} 列，"
                         f"或总单元格超过 {MAX_SHEET_CELLS:,} 个），多半是文件已损坏或被篡改", file=name) from None
    for index, rows in tables:
        _check_size(name, f"表{index}", len(rows), max((len(r) for r in rows), default=0))
    out = []
    for index, rows in tables:
        sheet = RawSheet.from_rows(name, f"表{index}", rows, fmt="html")
        sheet.columns = [str_column_text(c) for c in sheet.columns]
        out.append(_trimmed(sheet) if sheet.columns else
                   RawSheet(name, sheet.sheet, [], skip_reason="表格是空的", fmt="html"))
    if not out:
        raise InputError("网页文件中没有表格", file=name)
    return out


# ----------------------------------------------------------------------------- Excel 2003 XML

_SS = "{urn:schemas-microsoft-com:office:spreadsheet}"


class _BadXmlIndex(Exception):
    pass


def _xml_int(value: str | None, lo: int, hi: int) -> int | None:
    """An ss:Index / ss:MergeAcross value within [lo, hi]; None when absent."""
    if value is None or value == "":
        return None
    v = value.strip()
    if not v.isdigit() or len(v) > 9 or not lo <= int(v) <= hi:
        raise _BadXmlIndex(value[:20])
    return int(v)


def _read_spreadsheetml(data: bytes, name: str) -> list[RawSheet]:
    from defusedxml import DefusedXmlException
    from defusedxml import ElementTree as ET

    try:
        root = ET.fromstring(data)
    except DefusedXmlException:
        raise InputError(guard.DOCTYPE_MSG, file=name) from None
    except Exception:  # noqa: BLE001 - any XML damage
        raise InputError(CORRUPT_MSG, file=name) from None
    out = []
    for k, ws in enumerate(root.iter(f"{_SS}Worksheet"), 1):
        sheet_name = ws.get(f"{_SS}Name") or f"Sheet{k}"
        try:
            out.append(_spreadsheetml_sheet(ws, name, sheet_name))
        except _BadXmlIndex as exc:
            raise InputError(f"单元格位置或合并范围“{exc}”不合法（超出 Excel 的范围），文件可能已损坏",
                             file=name, sheet=sheet_name) from None
    if not out:
        raise NotSpreadsheetError("不是表格文件（XML 文件中没有工作表）", file=name)
    return out


def _spreadsheetml_sheet(ws, name: str, sheet_name: str) -> RawSheet:
    max_r, max_c = guard.EXCEL_MAX_ROWS, guard.EXCEL_MAX_COLS
    rows: dict[int, dict[int, object]] = {}
    pending: set[tuple[int, int]] = set()
    merges: list = []
    r = 0
    for table in ws.iter(f"{_SS}Table"):
        for row in table.iter(f"{_SS}Row"):
            idx = _xml_int(row.get(f"{_SS}Index"), 1, max_r)
            r = idx - 1 if idx else r
            if r >= max_r:
                raise _BadXmlIndex(str(r + 1))
            cells = rows.setdefault(r, {})
            c = 0
            for cell in row.iter(f"{_SS}Cell"):
                cidx = _xml_int(cell.get(f"{_SS}Index"), 1, max_c)
                c = cidx - 1 if cidx else c
                while (r, c) in pending:
                    c += 1
                if c >= max_c:
                    raise _BadXmlIndex(str(c + 1))
                d = cell.find(f"{_SS}Data")
                value: object = ""
                if d is not None:
                    txt = "".join(d.itertext())
                    typ = d.get(f"{_SS}Type", "String")
                    value = _xml_value(txt, typ)
                cells[c] = value
                across = _xml_int(cell.get(f"{_SS}MergeAcross"), 0, max_c - 1 - c) or 0
                down = _xml_int(cell.get(f"{_SS}MergeDown"), 0, max_r - 1 - r) or 0
                if across or down:
                    merges.append(((r, c), (r + down, c + across)))
                    if (down + 1) * (across + 1) + len(pending) > 1_000_000:
                        raise _BadXmlIndex(f"{across + 1}×{down + 1}")
                    for dr in range(down + 1):
                        for dc in range(across + 1):
                            if dr or dc:
                                pending.add((r + dr, c + dc))
                c += across + 1
            r += 1
    if not rows:
        return RawSheet(name, sheet_name, [], skip_reason="工作表是空的", fmt="xml")
    n = max(rows) + 1
    width = max((max(cs) + 1 for cs in rows.values() if cs), default=0)
    _check_size(name, sheet_name, n, width)
    grid = [[rows.get(i, {}).get(j, "") for j in range(width)] for i in range(n)]
    return _sheet_from_values(name, sheet_name, grid, "xml", merges)


def _xml_value(txt: str, typ: str) -> object:
    if typ == "Number":
        try:
            return float(txt)
        except ValueError:
            return txt
    if typ == "Boolean":
        return txt.strip() in ("1", "true", "TRUE")
    if typ == "DateTime":
        try:
            v = _dt.datetime.fromisoformat(txt.strip()[:19])
        except ValueError:
            return txt
        return v.date() if v.time() == _dt.time() else v
    return txt


__all__ = [
    "CORRUPT_MSG",
    "ENCRYPTED_MSG",
    "FOLDER_EXTS",
    "SPREADSHEET_EXTS",
    "FoundFile",
    "NotSpreadsheetError",
    "RawSheet",
    "cell_text",
    "decode_text",
    "detect_delimiter",
    "expand_paths",
    "read_raw",
]
