"""`fupin reconcile` as a library call: read, link, judge, write. Returns the result object."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from jiaoyu_fupin import __version__
from jiaoyu_fupin.io.columns_config import load_columns
from jiaoyu_fupin.link.prepare import Prepared, prepare, schools_filled_warning
from jiaoyu_fupin.normalize.semesters import parse_semester_arg
from jiaoyu_fupin.policy import load_policy
from jiaoyu_fupin.reconcile.engine import ReconcileResult, reconcile
from jiaoyu_fupin.report import ledgers
from jiaoyu_fupin.report.outdir import prepare_out_dir, replace_into_place, temp_path_for
from jiaoyu_fupin.report.runinfo import InputInfo, RunInfo, SheetInfo, file_sha256, write_run_json
from jiaoyu_fupin.report.xlsx import Section, sanitize_filename

ROLE_LABELS = {"registry": "建档立卡人口库", "national": "全国学生资助系统", "provincial": "省建档立卡资助系统",
               "roster": "学生名册", "schools": "学校名单", "home_education": "送教上门名单",
               "elsewhere": "外地就读证明名单", "previous_roster": "上学期名册"}


@dataclass
class CommandOutput:
    result: object
    outputs: list[Path]
    run: RunInfo
    prep: Prepared


def all_rejected(prep: Prepared) -> list:
    out = list(prep.reg_rejected)
    for _, t in prep.table_list:
        out.extend(t.rejected)
    return out


def input_section(prep: Prepared, hashes: dict[str, str]) -> tuple[Section, list[dict]]:
    entries = []
    for role, t in prep.table_list:
        entries.append({"role": role, "role_label": ROLE_LABELS.get(role, role), "file": t.file,
                        "sheet": t.sheet, "rows": t.rows_read, "sha256": hashes.get(t.path, "")})
    return ledgers.describe_inputs(entries), entries


def start_run(command: str, argv: list[str] | None, roles: dict[str, list[Path]]) -> RunInfo:
    info = RunInfo(command=command, argv=list(argv or []))
    return info


def peak_rss_mb() -> float | None:
    """The process's peak resident memory so far, in MB (None where the OS does not say)."""
    try:
        import resource
    except ImportError:   # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


@contextlib.contextmanager
def gc_paused():
    """Settings for a command that builds million-row frames, restored when the block ends.

    * Automatic cyclic garbage collection is paused: a bench-size run creates tens of millions of
      objects (text cells, lists, tuples, findings) and next to no reference cycles; the
      collector's repeated passes over the growing heap cost about a tenth of the run and free
      nothing (reference counting still frees everything as usual).
    * numpy's advice to back large arrays with transparent huge pages is switched off: where the
      kernel's THP ``defrag`` setting is ``madvise`` (the usual default), that advice makes it
      compact memory synchronously on the first touch of every large array — measured at 0.6 s
      per 168 MB on the 2-core bench machine, about 12% of a bench-size reconcile.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    set_hugepage = None
    try:
        from numpy._core.multiarray import _set_madvise_hugepage as set_hugepage
    except ImportError:   # older numpy
        try:
            from numpy.core.multiarray import _set_madvise_hugepage as set_hugepage
        except ImportError:
            set_hugepage = None
    previous = set_hugepage(False) if set_hugepage is not None else None
    try:
        yield
    finally:
        if set_hugepage is not None and previous is not None:
            set_hugepage(previous)
        if was_enabled:
            gc.enable()


def staged(info: RunInfo):
    """``info.stage`` that also notes, per stage, the process's peak memory by the end of it
    (run.json ``extra.peak_rss_mb``; ``make bench`` reads both)."""
    @contextlib.contextmanager
    def stage(name: str, rows: int = 0):
        with info.stage(name, rows) as st:
            yield st
        info.extra.setdefault("peak_rss_mb", {})[name] = peak_rss_mb()
    return stage


def record_inputs(info: RunInfo, prep: Prepared) -> dict[str, str]:
    """Every table read, under its file in ``info.inputs`` (what ``RunInfo.add_input`` records,
    one entry per role and file, each file hashed once). Built here in one pass: ``add_input``
    resolves the path of every earlier input of the role on each call, which with a folder of 300
    rosters cost seconds."""
    hashes: dict[str, str] = {}
    entries: dict[tuple[str, str], InputInfo] = {}
    for i in info.inputs:
        entries.setdefault((i.role, os.path.normcase(str(Path(i.path).resolve()))), i)
    digests: dict[str, tuple[str, int]] = {}
    for role, t in prep.table_list:
        p = Path(t.path)
        key = os.path.normcase(str(p.resolve()))
        entry = entries.get((role, key))
        if entry is None:
            if key not in digests:
                digests[key] = (file_sha256(p), p.stat().st_size)
            sha, size = digests[key]
            entry = entries[(role, key)] = InputInfo(role=role, path=str(t.path), file=p.name, sha256=sha, size=size)
            info.inputs.append(entry)
        entry.sheets.append(SheetInfo(sheet=str(t.sheet), source=str(t.source), header_row=t.header_row,
                                      rows_read=int(t.rows_read)))
        hashes[t.path] = entry.sha256
    return hashes


def run_reconcile(*, registry: list[Path], national: list[Path], provincial: list[Path], roster: list[Path],
                  semester: str, schools: list[Path] | None = None, policy_path: Path | None = None,
                  columns_path: Path | None = None, out: Path, mask_ids: bool = False, force: bool = False,
                  split_by: str | None = None, argv: list[str] | None = None,
                  on_progress=None) -> CommandOutput:
    with gc_paused():
        return _run_reconcile(registry=registry, national=national, provincial=provincial, roster=roster,
                              semester=semester, schools=schools, policy_path=policy_path,
                              columns_path=columns_path, out=out, mask_ids=mask_ids, force=force,
                              split_by=split_by, argv=argv, on_progress=on_progress)


def _run_reconcile(*, registry, national, provincial, roster, semester, schools, policy_path, columns_path,
                   out, mask_ids, force, split_by, argv, on_progress) -> CommandOutput:
    t0 = time.time()
    sem = parse_semester_arg(semester)
    roles = {"registry": list(registry), "roster": list(roster), "national": list(national),
             "provincial": list(provincial or []), "schools": list(schools or [])}
    inputs = [p for ps in roles.values() for p in ps]
    for extra in (policy_path, columns_path):
        if extra:
            inputs.append(extra)
    prepare_out_dir(out, inputs, force=force)
    policy = load_policy(policy_path)
    columns = load_columns(columns_path)
    info = start_run("reconcile", argv, roles)
    stage = staged(info)
    prep = prepare(roles, columns=columns, on_progress=on_progress, stage=stage)
    # links.csv (a row per record) depends on the linking only: it is written on a second thread,
    # to a temporary name, while the records are judged and the workbooks built (most of its work
    # is Arrow's and the file's, which run without the GIL), and renamed into place at the end
    # (its SHA-256 for run.json is taken from the bytes as they are written)
    links_tmp, links_sha = temp_path_for(out / "links.csv"), hashlib.sha256()
    with _removed_at_exit(links_tmp), ThreadPoolExecutor(max_workers=1) as pool:
        links = pool.submit(ledgers.write_links_csv, links_tmp, ledgers.links_columns(prep.rec), links_sha)

        def finish_links() -> tuple[Path, str]:
            links.result()
            replace_into_place(links_tmp, out / "links.csv")
            return out / "links.csv", links_sha.hexdigest()

        return _judge_and_write(prep=prep, policy=policy, sem=sem, out=out, info=info, stage=stage,
                                mask_ids=mask_ids, split_by=split_by, on_progress=on_progress, t0=t0,
                                finish_links=finish_links)


@contextlib.contextmanager
def _removed_at_exit(path: Path):
    """Remove ``path`` (if it is there) when the block ends."""
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _judge_and_write(*, prep, policy, sem, out, info, stage, mask_ids, split_by, on_progress, t0,
                     finish_links) -> CommandOutput:
    """Judge the records and write the outputs; ``finish_links()`` puts links.csv in place and
    gives its path and SHA-256."""
    if on_progress:
        on_progress("judge", 0, 1)
    result: ReconcileResult = reconcile(prep, policy, sem, stage=stage)
    if prep.schools_filled:
        result.warnings.append(schools_filled_warning(prep.schools_filled))
    if on_progress:
        on_progress("judge", 1, 1)
    with stage("inputs", len(prep.table_list)):
        hashes = record_inputs(info, prep)
    section, _ = input_section(prep, hashes)
    item_names = {it.code: it.name for it in policy.items}
    outputs: list[Path] = []
    if on_progress:
        on_progress("write", 0, 1)
    with stage("write", len(prep.rec) + len(result.findings)):
        outputs.append(ledgers.write_findings_csv(out / "findings.csv", result.findings))
        outputs.append(out / "links.csv")
        meta = [("命令", "fupin reconcile"), ("学期", result.semester), ("政策", policy.source),
                ("程序版本", __version__), ("运行时间", time.strftime("%Y-%m-%d %H:%M:%S")),
                ("问题总数", len(result.findings)), ("数据行合计", result.accounting["rows_read"]),
                ("行数核对", "全部数据行均已计入" if result.accounting["ok"] else "存在未计入的数据行，请联系开发人员")]
        rejected = all_rejected(prep)
        wb_path = out / f"对账台账_{result.semester}.xlsx"
        # a ledger too long to work with in Excel is also written as CSV (ledgers.LEDGER_CSV_ROWS)
        long_sheets = ledgers.reconcile_ledger_sheets(result, item_names, rejected)
        big = [f"{wb_path.stem}_{name}.csv" for name, _, _, n in long_sheets if n > ledgers.LEDGER_CSV_ROWS]
        if big:
            meta.append((f"超过 {ledgers.LEDGER_CSV_ROWS:,} 行的台账另存为 CSV", "、".join(big)))
        outputs.append(ledgers.write_reconcile_workbook(wb_path, result, policy=policy, item_names=item_names,
                                                        inputs_section=section, rejected=rejected, meta=meta,
                                                        mask_ids=mask_ids))
        outputs.extend(ledgers.large_ledger_csvs(out, wb_path.stem, long_sheets, mask_ids=mask_ids))
        if split_by in ("school", "township"):
            from dataclasses import replace as dc_replace
            sub = out / ("按学校" if split_by == "school" else "按乡镇")
            sub.mkdir(exist_ok=True)
            groups: dict[str, list] = {}
            for f in result.findings:
                groups.setdefault((f.school if split_by == "school" else f.township) or "未填写", []).append(f)
            for key, fs in sorted(groups.items()):
                part = dc_replace(result, findings=fs)
                p = sub / f"{sanitize_filename(key)}_对账台账_{result.semester}.xlsx"
                outputs.append(ledgers.write_reconcile_workbook(p, part, policy=policy, item_names=item_names,
                                                                inputs_section=section, rejected=[], meta=meta,
                                                                mask_ids=mask_ids, title_prefix=f"{key} "))
        links_path, links_sha = finish_links()
    if on_progress:
        on_progress("write", 1, 1)
    info.policy = policy.to_dict()
    info.accounting = result.accounting
    info.warnings.extend(result.warnings)
    info.extra["semester"] = result.semester
    info.extra["counts"] = result.counts
    for p in outputs:
        if p == links_path:
            info.add_output(p, hash_file=False).sha256 = links_sha
        else:
            info.add_output(p)
    info.finish(duration=time.time() - t0)
    write_run_json(out / "run.json", info)
    return CommandOutput(result, outputs + [out / "run.json"], info, prep)
