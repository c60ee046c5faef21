"""What was run: ``run.json`` and the 说明 sheet.

A :class:`RunInfo` collects, while a command runs: the command and its arguments, the version,
start/end time, every input file (role, path, SHA-256, size, the sheets read with their header row
and row counts), the policy in force (a plain dict the caller gives), the row accounting of every
input table, stage timings, the outputs written and warnings (Chinese). It records hashes and
counts, never file contents.

Row accounting (SPEC: "every input row is read, linked, rejected-with-reason, or
skipped-with-reason; the counts add up"). Per input table (one sheet of one file)::

    read == linked + unlinked_legitimate + Σ other buckets + Σ rejected + Σ skipped

* ``read``: data rows below the header (``model.Table.rows_read``);
* ``skipped`` / ``rejected``: by reason, from ``Table.skipped`` / ``Table.rejected``;
* ``linked``: records linked to a registry person;
* ``unlinked_legitimate``: records that legitimately belong to nobody in the registry
  (e.g. a 低保 payment to a child outside the registry);
* further named buckets (``TableAccount.other``) for whatever else a command distinguishes:
  ``unlinked_reported`` (linked to nobody, reported as a finding), ``needs_review``,
  ``invalid_id``, ``registry_persons`` (rows of the registry itself), ``used`` (a schools list).
  The brief's fixed four buckets had no place for those rows.

``accounting_ok`` is true when every table adds up. Reasons are counted by their exact text, so
they should be category-like ("证件号无效"), not carry values.

``write_run_json`` writes it atomically (UTF-8, ``ensure_ascii=False``, indent 2). Decimal values
(policy amounts) are written as strings (``"312.50"``) to stay exact; datetimes in ISO 8601 with
the local UTC offset. :func:`explanation` turns a RunInfo into the pairs and sections of the 说明
sheet (:meth:`.xlsx.WorkbookWriter.add_key_value_sheet`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from jiaoyu_fupin import __version__
from jiaoyu_fupin.model import SOURCE_LABELS, Table
from jiaoyu_fupin.report.outdir import atomic_write_text
from jiaoyu_fupin.report.xlsx import Section


def file_sha256(path: Path | str, *, chunk_size: int = 1 << 20) -> str:
    """SHA-256 of a file, read in 1 MiB chunks (hex digest)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            h.update(chunk)
    return h.hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone().replace(microsecond=0)


@dataclass
class SheetInfo:
    """One sheet (or CSV / HTML table) read from an input file."""

    sheet: str
    source: str
    header_row: int | None
    rows_read: int

    def to_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "source": self.source, "header_row": self.header_row,
                "rows_read": self.rows_read}


@dataclass
class InputInfo:
    """One input file as given on the command line."""

    role: str
    path: str
    file: str
    sha256: str
    size: int
    sheets: list[SheetInfo] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(s.rows_read for s in self.sheets)

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "path": self.path, "file": self.file, "sha256": self.sha256,
                "size": self.size, "rows_read": self.rows_read,
                "sheets": [s.to_dict() for s in self.sheets]}


_ACCOUNT_META = ("role", "file", "sheet", "source", "path", "header_row", "accounted", "ok")


@dataclass
class TableAccount:
    """Row accounting of one input table (see module docs)."""

    file: str
    sheet: str
    source: str
    read: int = 0
    linked: int = 0
    unlinked_legitimate: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    #: further named buckets, e.g. ``unlinked_reported``, ``needs_review``, ``invalid_id``,
    #: ``registry_persons``, ``used`` (a schools list): every row in exactly one bucket
    other: dict[str, int] = field(default_factory=dict)
    role: str = ""

    @property
    def table(self) -> str:
        return f"{self.file}:{self.sheet}"

    @property
    def accounted(self) -> int:
        return (self.linked + self.unlinked_legitimate + sum(self.other.values())
                + sum(self.rejected.values()) + sum(self.skipped.values()))

    @property
    def ok(self) -> bool:
        counts = [self.read, self.linked, self.unlinked_legitimate, *self.other.values(),
                  *self.rejected.values(), *self.skipped.values()]
        return all(n >= 0 for n in counts) and self.accounted == self.read

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TableAccount:
        """Build from a plain dict: ``read``, ``linked``, ``unlinked_legitimate``, ``rejected`` /
        ``skipped`` (reason → count); any other integer key is a further bucket; ``role``, ``file``,
        ``sheet``, ``source``, ``path``, ``header_row`` describe the table; ``accounted`` and ``ok``
        are recomputed, never trusted."""
        other = {k: int(v) for k, v in d.items()
                 if k not in _ACCOUNT_META and k not in ("read", "linked", "unlinked_legitimate",
                                                         "rejected", "skipped")
                 and isinstance(v, int) and not isinstance(v, bool)}
        return cls(file=str(d.get("file", "")), sheet=str(d.get("sheet", "")),
                   source=str(d.get("source", d.get("role", ""))), role=str(d.get("role", "")),
                   read=int(d.get("read", 0)), linked=int(d.get("linked", 0)),
                   unlinked_legitimate=int(d.get("unlinked_legitimate", 0)),
                   rejected=Counter({str(k): int(v) for k, v in dict(d.get("rejected") or {}).items()}),
                   skipped=Counter({str(k): int(v) for k, v in dict(d.get("skipped") or {}).items()}),
                   other=other)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "sheet": self.sheet, "source": self.source}
        if self.role:
            out["role"] = self.role
        out.update({"read": self.read, "linked": self.linked,
                    "unlinked_legitimate": self.unlinked_legitimate})
        out.update(self.other)
        out.update({"rejected": dict(sorted(self.rejected.items())),
                    "skipped": dict(sorted(self.skipped.items())),
                    "accounted": self.accounted, "ok": self.ok})
        return out


@dataclass
class StageInfo:
    """Timing of one stage (read, link, write, …) for speed reports."""

    name: str
    seconds: float = 0.0
    rows: int = 0

    def to_dict(self) -> dict[str, Any]:
        rate = round(self.rows / self.seconds) if self.seconds > 0 and self.rows else None
        return {"name": self.name, "seconds": round(self.seconds, 3), "rows": self.rows,
                "rows_per_second": rate}


@dataclass
class OutputInfo:
    path: str
    file: str
    size: int
    sha256: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "file": self.file, "size": self.size, "sha256": self.sha256}


def _sheet_info(s: SheetInfo | Mapping[str, Any], role: str) -> SheetInfo:
    if isinstance(s, SheetInfo):
        return s
    rows = s.get("rows_read", s.get("rows", 0))
    return SheetInfo(sheet=str(s.get("sheet", "")), source=str(s.get("source", role)),
                     header_row=s.get("header_row"), rows_read=int(rows or 0))


class RunInfo:
    """Everything ``run.json`` records; create with ``RunInfo(command, argv)`` or :meth:`start`,
    fill as the command runs, then :func:`write_run_json`.

    ``accounting`` is a list of :class:`TableAccount`; assigning a list of plain dicts, or a dict
    ``{"tables": [...]}``, converts them (:meth:`TableAccount.from_dict`). ``extra`` holds further
    command-specific facts (semester, counts) written under ``"extra"``.
    """

    def __init__(self, command: str, argv: Iterable[str] | None = None, *,
                 version: str = __version__) -> None:
        self.command = command
        self.argv: list[str] = list(sys.argv[1:] if argv is None else argv)
        self.version = version
        self.started_at: dt.datetime = _now()
        self.finished_at: dt.datetime | None = None
        self.duration_seconds: float | None = None
        self.inputs: list[InputInfo] = []
        self.policy: dict[str, Any] = {}
        self._accounting: list[TableAccount] = []
        self.stages: list[StageInfo] = []
        self.outputs: list[OutputInfo] = []
        self.warnings: list[str] = []
        self.extra: dict[str, Any] = {}
        self._t0 = time.perf_counter()
        self._hashes: dict[str, tuple[str, int]] = {}

    @classmethod
    def start(cls, command: str, argv: Iterable[str] | None = None,
              version: str = __version__) -> RunInfo:
        """Begin recording a run (``argv`` defaults to ``sys.argv[1:]``)."""
        return cls(command, argv, version=version)

    # -- inputs ----------------------------------------------------------------------------------

    def add_input(self, role: str, path: Path | str, *,
                  sheets: Iterable[SheetInfo | Mapping[str, Any]] = ()) -> InputInfo:
        """Record an input file with its role, hashing each file once. Calling again for the same
        role and file adds the given sheets to the same entry. A sheet may be a :class:`SheetInfo`
        or a dict with ``sheet``, ``rows`` (or ``rows_read``), ``header_row``, ``source``."""
        p = Path(path)
        key = os.path.normcase(str(p.resolve()))
        if key not in self._hashes:
            self._hashes[key] = (file_sha256(p), p.stat().st_size)
        info = next((i for i in self.inputs
                     if i.role == role and os.path.normcase(str(Path(i.path).resolve())) == key), None)
        if info is None:
            sha, size = self._hashes[key]
            info = InputInfo(role=role, path=str(path), file=p.name, sha256=sha, size=size)
            self.inputs.append(info)
        info.sheets.extend(_sheet_info(s, role) for s in sheets)
        return info

    def add_table(self, table: Table, role: str | None = None) -> TableAccount:
        """Record one table read from an input: the sheet under its file, and an accounting entry
        with ``read``, ``rejected`` and ``skipped`` filled from the table. The caller sets
        ``linked`` / ``unlinked_legitimate`` / other buckets on the returned entry (or via
        :meth:`account`) later."""
        role = role or table.source
        self.add_input(role, table.path, sheets=[SheetInfo(
            sheet=table.sheet, source=table.source, header_row=table.header_row,
            rows_read=table.rows_read)])
        account = TableAccount(file=table.file, sheet=table.sheet, source=table.source, role=role,
                               read=table.rows_read,
                               rejected=Counter(i.reason for i in table.rejected),
                               skipped=Counter(i.reason for i in table.skipped))
        self._accounting.append(account)
        return account

    def account(self, file: str, sheet: str, *, linked: int | None = None,
                unlinked_legitimate: int | None = None, **buckets: int) -> TableAccount:
        """Set link counts of the table ``file``/``sheet`` recorded by :meth:`add_table`;
        keyword ``buckets`` set further named buckets (``unlinked_reported=3``)."""
        for acc in self._accounting:
            if acc.file == file and acc.sheet == sheet:
                if linked is not None:
                    acc.linked = linked
                if unlinked_legitimate is not None:
                    acc.unlinked_legitimate = unlinked_legitimate
                acc.other.update(buckets)
                return acc
        raise KeyError(f"no table {file}:{sheet} recorded")

    @property
    def accounting(self) -> list[TableAccount]:
        return self._accounting

    @accounting.setter
    def accounting(self, value: Any) -> None:
        if isinstance(value, Mapping):
            value = value.get("tables", [])
        self._accounting = [v if isinstance(v, TableAccount) else TableAccount.from_dict(v)
                            for v in value]

    @property
    def accounting_ok(self) -> bool:
        return all(a.ok for a in self._accounting)

    # -- progress, outputs, warnings -------------------------------------------------------------

    @contextlib.contextmanager
    def stage(self, name: str, rows: int = 0) -> Iterator[StageInfo]:
        """Time a stage: ``with info.stage("read") as st: …; st.rows = n``. Repeated names add up."""
        st = next((s for s in self.stages if s.name == name), None)
        if st is None:
            st = StageInfo(name)
            self.stages.append(st)
        st.rows += rows
        t0 = time.perf_counter()
        try:
            yield st
        finally:
            st.seconds += time.perf_counter() - t0

    def add_output(self, path: Path | str, *, hash_file: bool = True) -> OutputInfo:
        """Record an output file written (size, and SHA-256 unless ``hash_file=False``)."""
        p = Path(path)
        info = OutputInfo(path=str(path), file=p.name, size=p.stat().st_size,
                          sha256=file_sha256(p) if hash_file else None)
        self.outputs = [o for o in self.outputs if o.path != info.path] + [info]
        return info

    def warn(self, message: str) -> None:
        """Record a warning (Chinese, for the officer); duplicates are kept once."""
        if message not in self.warnings:
            self.warnings.append(message)

    def finish(self, duration: float | None = None) -> None:
        """Stamp the end time and duration (measured since creation unless ``duration`` is
        given). Idempotent: the first call counts."""
        if self.finished_at is None:
            self.finished_at = _now()
            seconds = time.perf_counter() - self._t0 if duration is None else duration
            self.duration_seconds = round(seconds, 3)

    # -- export ----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        acc = self._accounting
        buckets = sorted({k for a in acc for k in a.other})
        totals: dict[str, int] = {
            "read": sum(a.read for a in acc),
            "linked": sum(a.linked for a in acc),
            "unlinked_legitimate": sum(a.unlinked_legitimate for a in acc),
            **{k: sum(a.other.get(k, 0) for a in acc) for k in buckets},
            "rejected": sum(sum(a.rejected.values()) for a in acc),
            "skipped": sum(sum(a.skipped.values()) for a in acc),
        }
        return {
            "tool": "fupin",
            "version": self.version,
            "command": self.command,
            "argv": list(self.argv),
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_seconds": self.duration_seconds,
            "inputs": [i.to_dict() for i in self.inputs],
            "policy": self.policy,
            "accounting": {"ok": self.accounting_ok, "totals": totals,
                           "tables": [a.to_dict() for a in acc]},
            "stages": [s.to_dict() for s in self.stages],
            "outputs": [o.to_dict() for o in self.outputs],
            "warnings": list(self.warnings),
            "extra": self.extra,
        }


def _json_default(o: Any) -> Any:
    if isinstance(o, Decimal):
        return str(o)
    if isinstance(o, (dt.datetime, dt.date, dt.time)):
        return o.isoformat()
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, (set, frozenset)):
        return sorted(o, key=str)
    if hasattr(o, "to_dict"):
        return o.to_dict()
    if hasattr(o, "__dataclass_fields__"):
        from dataclasses import asdict
        return asdict(o)
    if hasattr(o, "item"):          # numpy scalars
        return o.item()
    return str(o)


def run_json_text(info: RunInfo) -> str:
    return json.dumps(info.to_dict(), ensure_ascii=False, indent=2, default=_json_default) + "\n"


def write_run_json(path: Path | str, info: RunInfo) -> Path:
    """Finish ``info`` (if not yet) and write it to ``path`` atomically."""
    info.finish()
    return atomic_write_text(Path(path), run_json_text(info))


# ---------------------------------------------------------------------------------------------
# the 说明 sheet


#: Chinese column labels of the usual further accounting buckets.
BUCKET_LABELS = {
    "unlinked_reported": "未匹配（已列入问题）",
    "needs_review": "待人工核对",
    "invalid_id": "证件号无效",
    "registry_persons": "建档立卡人员",
    "used": "已使用",
}


def _role_label(role: str) -> str:
    return SOURCE_LABELS.get(role, role)


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(value, (list, tuple)) and any(isinstance(v, (Mapping, list, tuple)) for v in value):
        for i, v in enumerate(value):
            yield from _flatten(v, f"{prefix}[{i}]")
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        yield prefix, "、".join(str(v) for v in items)
    else:
        yield prefix, value


def explanation(info: RunInfo) -> tuple[list[tuple[str, Any]], list[Section]]:
    """The pairs and sections of a 说明 sheet describing ``info`` (in Chinese)."""
    if info.finished_at is not None:
        end, seconds, end_label = info.finished_at, info.duration_seconds, "结束时间"
    else:   # the 说明 sheet is usually written before the run ends
        end, seconds = _now(), round(time.perf_counter() - info._t0, 3)
        end_label = "生成本表时间"
    pairs: list[tuple[str, Any]] = [
        ("命令", info.command),
        ("运行参数", " ".join(info.argv)),
        ("程序版本", f"fupin {info.version}"),
        ("开始时间", info.started_at.strftime("%Y-%m-%d %H:%M:%S")),
        (end_label, end.strftime("%Y-%m-%d %H:%M:%S")),
        ("用时（秒）", seconds),
        ("行数核对", "全部输入行均已计入（每一行或已匹配、或无需匹配、或列入问题、或无法识别、或跳过）"
         if info.accounting_ok else "未通过：有输入表的行数对不上，请查看“行数核对”"),
    ]
    sections: list[Section] = []
    sections.append(Section(
        "输入文件",
        [(_role_label(i.role), i.file, s.sheet, _role_label(s.source), s.header_row, s.rows_read,
          i.size, i.sha256)
         for i in info.inputs for s in (i.sheets or [SheetInfo("", i.role, None, 0)])],
        columns=["用途", "文件", "工作表", "识别为", "表头所在行", "读取行数", "大小（字节）", "SHA-256"]))
    if info.accounting:
        bucket_names = sorted({k for a in info.accounting for k in a.other})
        sections.append(Section(
            "行数核对",
            [(a.file, a.sheet, a.read, a.linked, a.unlinked_legitimate,
              *(a.other.get(k, 0) for k in bucket_names),
              sum(a.rejected.values()), sum(a.skipped.values()), "相符" if a.ok else "不相符")
             for a in info.accounting],
            columns=["文件", "工作表", "读取", "已匹配", "无需匹配（合规）",
                     *(BUCKET_LABELS.get(k, k) for k in bucket_names), "无法识别", "跳过", "核对"]))
        reasons = [(a.file, a.sheet, kind, reason, n)
                   for a in info.accounting
                   for kind, counter in (("无法识别", a.rejected), ("跳过", a.skipped))
                   for reason, n in sorted(counter.items())]
        if reasons:
            sections.append(Section("无法识别与跳过的原因", reasons,
                                    columns=["文件", "工作表", "类别", "原因", "行数"]))
    if info.policy:
        sections.append(Section("执行的政策参数", list(_flatten(info.policy)),
                                columns=["参数", "值"]))
    if info.outputs:
        sections.append(Section("输出文件", [(o.file, o.size) for o in info.outputs],
                                columns=["文件", "大小（字节）"]))
    if info.warnings:
        sections.append(Section("提示", [(f"{n}.", w) for n, w in enumerate(info.warnings, 1)]))
    return pairs, sections
