"""`fupin dropout-check` as a library call: read, link, judge, write. Never prints.

Outputs in ``out``: ``findings.csv`` (one row per child in the window), ``links.csv``,
``控辍保学排查台账_<Y>-<Y+1>学年.xlsx``, with ``split_by="village"`` one workbook per village in
``out/村/<乡镇>_<村>.xlsx``, and ``run.json`` last.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import replace
from pathlib import Path

from jiaoyu_fupin import __version__
from jiaoyu_fupin.dropout.engine import DropoutResult, default_school_year, dropout_check
from jiaoyu_fupin.dropout.workbook import (
    CHILD_COLUMNS,
    child_rows,
    place,
    write_main_workbook,
    write_village_workbook,
)
from jiaoyu_fupin.errors import InputError, UsageError
from jiaoyu_fupin.io.columns_config import load_columns
from jiaoyu_fupin.link.prepare import prepare, schools_filled_warning
from jiaoyu_fupin.normalize.semesters import parse_school_year_arg
from jiaoyu_fupin.policy import load_policy
from jiaoyu_fupin.reconcile.run import (
    ROLE_LABELS,
    CommandOutput,
    all_rejected,
    gc_paused,
    record_inputs,
    staged,
)
from jiaoyu_fupin.report import ledgers
from jiaoyu_fupin.report.outdir import RUN_JSON, prepare_out_dir
from jiaoyu_fupin.report.runinfo import RunInfo, explanation, write_run_json
from jiaoyu_fupin.report.xlsx import Section, sanitize_filename

VILLAGE_DIR = "村"
SPLITS = (None, "village")


def workbook_name(school_year: int) -> str:
    return sanitize_filename(f"控辍保学排查台账_{school_year}-{school_year + 1}学年.xlsx")


def resolve_school_year(school_year: int | str | None) -> int:
    """``--school-year`` (2019, '2019-2020学年' …) → first calendar year; None → this school year."""
    if school_year is None or (isinstance(school_year, str) and not school_year.strip()):
        return default_school_year()
    if isinstance(school_year, int) and not isinstance(school_year, bool):
        return school_year
    return parse_school_year_arg(str(school_year))


def _check_exists(paths: list[Path]) -> None:
    for p in paths:
        if not Path(p).exists():
            raise InputError("找不到这个文件或文件夹，请检查路径是否写对", file=str(p))


def _previous_split_files(out: Path) -> list[Path]:
    """Village workbooks a previous run listed in its run.json (to remove them with --force)."""
    try:
        data = json.loads((out / RUN_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    folder = (out / VILLAGE_DIR).resolve()
    found = []
    for item in data.get("outputs", []) if isinstance(data, dict) else []:
        p = item.get("path") if isinstance(item, dict) else None
        if not isinstance(p, str) or not p.endswith(".xlsx"):
            continue
        with contextlib.suppress(OSError):
            q = Path(p).resolve()
            if q.parent == folder and q.is_file():
                found.append(q)
    return found


def run_dropout(*, registry: list[Path], roster: list[Path], school_year: int | str | None = None,
                home_education: list[Path] | None = None, elsewhere: list[Path] | None = None,
                previous_roster: list[Path] | None = None, split_by: str | None = None,
                policy_path: Path | None = None, columns_path: Path | None = None, out: Path,
                mask_ids: bool = False, force: bool = False, argv: list[str] | None = None,
                on_progress=None) -> CommandOutput:
    """Run dropout-check end to end; returns CommandOutput(result=DropoutResult, outputs, run, prep)."""
    with gc_paused():
        return _run_dropout(registry=registry, roster=roster, school_year=school_year,
                            home_education=home_education, elsewhere=elsewhere, previous_roster=previous_roster,
                            split_by=split_by, policy_path=policy_path, columns_path=columns_path, out=out,
                            mask_ids=mask_ids, force=force, argv=argv, on_progress=on_progress)


def _run_dropout(*, registry, roster, school_year, home_education, elsewhere, previous_roster, split_by,
                 policy_path, columns_path, out, mask_ids, force, argv, on_progress) -> CommandOutput:
    t0 = time.time()
    out = Path(out)
    if split_by not in SPLITS:
        raise UsageError(f"--split-by 只能是 village（按村），不能是“{split_by}”")
    year = resolve_school_year(school_year)
    roles = {"registry": list(registry), "roster": list(roster),
             "previous_roster": list(previous_roster or []), "home_education": list(home_education or []),
             "elsewhere": list(elsewhere or [])}
    if not roles["registry"]:
        raise UsageError("请用 --registry 指定建档立卡人口库导出文件")
    if not roles["roster"]:
        raise UsageError("请用 --roster 指定学生名册（文件或文件夹）")
    inputs = [Path(p) for ps in roles.values() for p in ps]
    extras = [Path(p) for p in (policy_path, columns_path) if p]
    _check_exists(inputs + extras)
    if split_by == "village" and (out / VILLAGE_DIR).exists() and not (out / VILLAGE_DIR).is_dir():
        raise UsageError(f"“{out / VILLAGE_DIR}”是一个文件，按村台账需要把它作为文件夹：请换一个输出文件夹")
    stale = _previous_split_files(out) if force and out.is_dir() else []
    prepare_out_dir(out, inputs + extras, force=force)
    for p in stale:
        with contextlib.suppress(OSError):
            p.unlink()
    policy = load_policy(policy_path)
    columns = load_columns(columns_path)
    info = RunInfo("dropout-check", argv)
    stage = staged(info)
    prep = prepare(roles, columns=columns, on_progress=on_progress, stage=stage)
    if on_progress:
        on_progress("judge", 0, 1)
    with stage("judge", len(prep.rec) + len(prep.reg_rows)):
        result: DropoutResult = dropout_check(prep, policy, year)
        if prep.schools_filled:
            result.warnings.append(schools_filled_warning(prep.schools_filled))
    if on_progress:
        on_progress("judge", 1, 1)
    with stage("inputs", len(prep.table_list)):
        record_inputs(info, prep)
    info.accounting = result.accounting
    for w in result.warnings:
        info.warn(w)

    outputs: list[Path] = []
    if on_progress:
        on_progress("write", 0, 1)
    with stage("write", len(prep.rec) + len(result.children)):
        outputs.append(ledgers.write_findings_csv(out / "findings.csv", result.findings))
        outputs.append(ledgers.write_links_csv(out / "links.csv", prep.rec))
        lo, hi = result.window
        meta = [("命令", "fupin dropout-check"), ("学年", result.label),
                ("适龄儿童出生日期", f"{lo.isoformat()} 至 {hi.isoformat()}"),
                ("适龄儿童人数", result.stats["in_window"]), ("政策", policy.source), ("程序版本", __version__)]
        pairs, sections = explanation(info)
        sections = [_role_labels(s) for s in sections if s.heading != "输出文件"]
        main_meta = meta + [p for p in pairs if p[0] not in ("命令", "程序版本")]
        rejected = all_rejected(prep)
        wb_path = out / workbook_name(year)
        # a ledger too long to work with in Excel is also written as CSV (ledgers.LEDGER_CSV_ROWS)
        long_sheets = [("适龄儿童排查台账", CHILD_COLUMNS, child_rows(result.children), len(result.children)),
                       ("无法识别", ledgers.REJECTED_COLUMNS, ledgers.rejected_rows(rejected), len(rejected))]
        big = [f"{wb_path.stem}_{name}.csv" for name, _, _, n in long_sheets if n > ledgers.LEDGER_CSV_ROWS]
        if big:
            main_meta.append((f"超过 {ledgers.LEDGER_CSV_ROWS:,} 行的台账另存为 CSV", "、".join(big)))
        outputs.append(write_main_workbook(wb_path, result, meta=main_meta, sections=sections,
                                           rejected=rejected, mask_ids=mask_ids))
        outputs.extend(ledgers.large_ledger_csvs(out, wb_path.stem, long_sheets, mask_ids=mask_ids))
        if split_by == "village":
            outputs.extend(_write_villages(out / VILLAGE_DIR, result, meta, mask_ids))
    if on_progress:
        on_progress("write", 1, 1)

    info.policy = policy.to_dict()
    info.extra.update({"school_year": year, "school_year_label": result.label,
                       "window": [lo.isoformat(), hi.isoformat()], "counts": result.counts,
                       "children": result.stats, "split_by": split_by})
    for p in outputs:
        info.add_output(p)
    info.finish(duration=time.time() - t0)
    write_run_json(out / RUN_JSON, info)
    return CommandOutput(result, outputs + [out / RUN_JSON], info, prep)


def _role_labels(section: Section) -> Section:
    """The input list of the 说明 sheet names roles in Chinese (runinfo knows no previous_roster)."""
    if section.heading != "输入文件":
        return section
    rows = [[ROLE_LABELS.get(r[0], r[0]), *r[1:]] if r else r for r in section.rows]
    return replace(section, rows=rows)


def _write_villages(folder: Path, result: DropoutResult, meta: list, mask_ids: bool) -> list[Path]:
    folder.mkdir(exist_ok=True)
    children = result.children
    if not len(children):
        return []
    keys = [place(t, v) for t, v in zip(children["township"], children["village"])]
    groups: dict[tuple[str, str], list[int]] = {}
    for n, k in enumerate(keys):
        groups.setdefault(k, []).append(n)
    written: list[Path] = []
    used: set[str] = set()
    for (town, village), idx in sorted(groups.items()):
        stem = sanitize_filename(f"{town}_{village}")
        name, n = f"{stem}.xlsx", 1
        while name.casefold() in used:
            n += 1
            name = f"{stem}({n}).xlsx"
        used.add(name.casefold())
        written.append(write_village_workbook(folder / name, result, children.iloc[idx], town, village,
                                              meta=meta, mask_ids=mask_ids))
    return written
