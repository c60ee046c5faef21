"""``fupin payout`` / ``summary`` / ``notify`` as library calls: read, compute, write, run.json.

Each ``run_*`` checks the output folder first, loads the policy and column mapping, reads and
links the inputs, computes a result object, writes the outputs (each atomically), then writes
``run.json`` last (its presence marks a completed run). The CLI only parses options and renders
the returned :class:`CommandOutput`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from jiaoyu_fupin.io.columns_config import load_columns
from jiaoyu_fupin.link.prepare import Prepared, link_frames, prepare, records_frame, schools_filled_warning
from jiaoyu_fupin.model import RowIssue
from jiaoyu_fupin.normalize.semesters import parse_semester_arg
from jiaoyu_fupin.payout.engine import PENDING_ORDER, PayoutResult, compute_payout
from jiaoyu_fupin.payout.payfile import payout_frame, read_payout_files
from jiaoyu_fupin.payout.workbook import policy_rows, semester_label, write_payout_csv, write_payout_workbook
from jiaoyu_fupin.policy import load_policy
from jiaoyu_fupin.report.outdir import prepare_out_dir
from jiaoyu_fupin.report.runinfo import RunInfo, explanation, write_run_json
from jiaoyu_fupin.report.xlsx import Section

ROLE_LABELS = {"registry": "建档立卡人口库", "roster": "学生名册", "schools": "学校名单",
               "previous_payout": "上期发放名单", "payout": "发放名单", "national": "全国学生资助系统",
               "policy": "政策文件", "columns": "列名映射文件", "template": "告知书模板"}


@dataclass
class CommandOutput:
    """What a command produced: the result object, the files written (run.json last), the run record."""

    result: Any
    outputs: list[Path]
    run: RunInfo
    prep: Prepared | None = None


def all_rejected(prep: Prepared) -> list[RowIssue]:
    out = list(prep.reg_rejected)
    for _, t in prep.table_list:
        out.extend(t.rejected)
    return out


def record_inputs(info: RunInfo, table_list, extra: dict[str, Path | None] | None = None) -> None:
    for role, t in table_list:
        info.add_input(role, t.path, sheets=[{"sheet": t.sheet, "rows": t.rows_read, "header_row": t.header_row,
                                              "source": t.source}])
    for role, p in (extra or {}).items():
        if p:
            info.add_input(role, p)


def _sections(info: RunInfo, extra: list[Section]) -> tuple[list[tuple[str, Any]], list[Section]]:
    pairs, sections = explanation(info)
    sections = [s for s in sections if s.heading not in ("执行的政策参数", "输出文件")]
    return pairs, extra + sections


def attach_previous(prep: Prepared, paths: list[Path], columns, policy) -> pd.DataFrame:
    """Read last semester's payout, link its rows to the registry (separately from the rosters,
    so they cannot sway the rosters' links), add them to ``prep`` for the row accounting and
    return their :func:`payout_frame` with link columns."""
    files = read_payout_files(paths, columns)
    base = len(prep.table_list)
    items = [("previous_payout", t, base + i) for i, t in enumerate(files.tables)]
    rec = link_frames(records_frame(items), prep.reg)
    prep.table_list.extend(("previous_payout", t) for t in files.tables)
    prep.loaded.tables["previous_payout"] = list(files.tables)
    prep.loaded.skipped_sheets.extend(files.skipped_sheets)
    prep.rec = pd.concat([prep.rec, rec], ignore_index=True)
    frame = payout_frame(files.tables, policy)
    frame["registry_id"] = rec["registry_id"].to_numpy(dtype=object)
    frame["link_status"] = rec["link_status"].to_numpy(dtype=object)
    frame["id"] = np.where(rec["id_status"].isin(["valid", "converted_15"]), rec["id"], "").astype(object)
    return frame


def run_payout(*, registry: list[Path], roster: list[Path], semester: str, schools: list[Path] | None = None,
               policy_path: Path | None = None, columns_path: Path | None = None,
               previous: list[Path] | None = None, out: Path, mask_ids: bool = False, force: bool = False,
               argv: list[str] | None = None, on_progress=None) -> CommandOutput:
    t0 = time.time()
    sem = parse_semester_arg(semester)
    roles = {"registry": list(registry), "roster": list(roster), "schools": list(schools or [])}
    inputs = [p for ps in roles.values() for p in ps] + list(previous or [])
    inputs += [p for p in (policy_path, columns_path) if p]
    prepare_out_dir(out, inputs, force=force)
    policy = load_policy(policy_path)
    columns = load_columns(columns_path)
    info = RunInfo("payout", argv)
    with info.stage("read+link") as st:
        prep = prepare(roles, columns=columns, on_progress=on_progress)
        n_filled = prep.schools_filled
        prev = attach_previous(prep, list(previous), columns, policy) if previous else None
        st.rows = len(prep.rec) + len(prep.reg_rows)
    if on_progress:
        on_progress("judge", 0, 1)
    with info.stage("judge"):
        result = compute_payout(prep, policy, sem, prev)
    if on_progress:
        on_progress("judge", 1, 1)
    record_inputs(info, prep.table_list, {"policy": policy_path, "columns": columns_path})
    info.policy = policy.to_dict()
    info.accounting = result.accounting
    if n_filled:
        info.warn(schools_filled_warning(n_filled))
    for w in result.warnings:
        info.warn(w)
    info.extra.update({"semester": result.semester, "previous_semester": result.previous_semester,
                       "counts": result.counts})
    outputs: list[Path] = []
    if on_progress:
        on_progress("write", 0, 2)
    with info.stage("write", rows=len(result.lines)):
        outputs.append(write_payout_csv(out / "payout.csv", result.lines))
        if on_progress:
            on_progress("write", 1, 2)
        meta, sections = _sections(info, _payout_sections(result, policy))
        meta = [("学期", semester_label(result.semester)), ("政策", policy.source),
                ("发放人数", result.persons), ("发放人次", len(result.lines)),
                ("发放金额合计（元）", result.total), ("待核实（未发放）", f"{len(result.pending)} 条"),
                *meta]
        outputs.append(write_payout_workbook(out / f"发放花名册_{result.semester}.xlsx", result, meta=meta,
                                             sections=sections, rejected=all_rejected(prep), mask_ids=mask_ids))
    if on_progress:
        on_progress("write", 2, 2)
    for p in outputs:
        info.add_output(p)
    info.finish(duration=time.time() - t0)
    write_run_json(out / "run.json", info)
    return CommandOutput(result, outputs + [out / "run.json"], info, prep)


def _payout_sections(result: PayoutResult, policy) -> list[Section]:
    c = result.counts
    names = result.item_names
    pairs: list[tuple[str, Any]] = [
        ("建档立卡人员", c.get("registry_persons", 0)),
        ("其中享受政策的", c.get("eligible", 0)),
        ("其中本学期在读的", c.get("eligible_enrolled", 0)),
        ("列入发放人数", result.persons),
        ("列入发放人次", len(result.lines)),
        ("发放金额合计（元）", result.total),
    ]
    for code, e in c.get("by_item", {}).items():
        pairs.append((f"  {names.get(code, code)}", f"{e['persons']} 人，{e['amount']} 元"))
    for k in PENDING_ORDER:
        pairs.append((f"待核实：{k}", f"{c.get('pending_by_kind', {}).get(k, 0)} 条"))
    for reason, n in c.get("not_paid_by_reason", {}).items():
        pairs.append((f"未列入发放：{reason}", f"{n} 人"))
    if result.changes is not None:
        for k, n in c.get("changes", {}).items():
            pairs.append((f"与上期（{result.previous_semester}）相比：{k}", f"{n} 人"))
    return [Section("发放统计", pairs=pairs),
            Section(f"政策标准（{result.semester}，每学期，元）", columns=["代码", "项目", "学段", "年级", "金额"],
                    rows=policy_rows(policy, result.semester))]


# ---------------------------------------------------------------------------------------------
# summary


def run_summary(*, payout: list[Path] | None = None, national: list[Path] | None = None,
                registry: list[Path] | None = None, policy_path: Path | None = None,
                columns_path: Path | None = None, out: Path, force: bool = False,
                argv: list[str] | None = None, on_progress=None) -> CommandOutput:
    from jiaoyu_fupin.errors import UsageError
    from jiaoyu_fupin.payout.summary import (
        SUMMARY_CSV_COLUMNS,
        compute_summary,
        prepare_summary,
        summary_csv_rows,
        write_summary_workbook,
    )
    from jiaoyu_fupin.report.csvout import write_csv

    payout, national, registry = list(payout or []), list(national or []), list(registry or [])
    if bool(payout) == bool(national):
        raise UsageError("请指定 --payout（发放名单 payout.csv 或发放花名册）或 --national（全国学生资助系统导出），"
                         "二者选一。")
    t0 = time.time()
    inputs = payout + national + registry + [p for p in (policy_path, columns_path) if p]
    prepare_out_dir(out, inputs, force=force)
    policy = load_policy(policy_path)
    columns = load_columns(columns_path)
    info = RunInfo("summary", argv)
    with info.stage("read+link") as st:
        prep, source = prepare_summary(payout=payout, national=national, registry=registry, columns=columns,
                                       on_progress=on_progress)
        st.rows = len(prep.rec)
    with info.stage("judge"):
        result = compute_summary(prep, policy, source)
    record_inputs(info, prep.table_list, {"policy": policy_path, "columns": columns_path})
    info.policy = policy.to_dict()
    info.accounting = result.accounting
    for w in result.warnings:
        info.warn(w)
    info.extra.update({"source": source, "summary": result.to_dict()})
    outputs: list[Path] = []
    with info.stage("write"):
        outputs.append(write_csv(out / "summary.csv", list(SUMMARY_CSV_COLUMNS), summary_csv_rows(result),
                                 raw_columns=set(range(len(SUMMARY_CSV_COLUMNS))) - {2}))
        excluded = [(k, n, a) for k, (n, a) in result.excluded_items.items()]
        extra_sections = []
        if excluded:
            extra_sections.append(Section("未计入统计的项目（政策不核对）", columns=["项目", "行数", "金额（元）"],
                                          rows=excluded))
        meta, sections = _sections(info, extra_sections)
        src = "发放名单（payout）" if source == "payout" else "全国学生资助系统（仅建档立卡学生）"
        for y in result.years:
            pairs = [("统计年度", f"{y.year}年（{'、'.join(f'{y.year}{t}' for t in y.terms)}）"),
                     ("数据来源", src),
                     ("户数", "按建档立卡库户编号去重" if result.has_registry else "未提供建档立卡库，无法统计户数"),
                     ("年报表述", y.sentence), *meta]
            outputs.append(write_summary_workbook(out / f"资助统计_{y.year}.xlsx", y, result, meta=pairs,
                                                  sections=sections))
    for p in outputs:
        info.add_output(p)
    info.finish(duration=time.time() - t0)
    write_run_json(out / "run.json", info)
    return CommandOutput(result, outputs + [out / "run.json"], info, prep)


# ---------------------------------------------------------------------------------------------
# notify

TEMPLATE_COPY = "告知书模板.txt"


def run_notify(*, payout: list[Path], template_path: Path | None = None, policy_path: Path | None = None,
               columns_path: Path | None = None, out: Path, mask_ids: bool = False, force: bool = False,
               argv: list[str] | None = None, on_progress=None) -> CommandOutput:
    from jiaoyu_fupin.payout.notify import (
        NotifyResult,
        build_notices,
        group_by_file,
        load_template,
        write_notices_docx,
    )
    from jiaoyu_fupin.report.xlsx import sanitize_filename

    t0 = time.time()
    payout = list(payout)
    inputs = payout + [p for p in (template_path, policy_path, columns_path) if p]
    prepare_out_dir(out, inputs, force=force)
    policy = load_policy(policy_path)
    columns = load_columns(columns_path)
    tpl = load_template(template_path)
    info = RunInfo("notify", argv)
    with info.stage("read") as st:
        files = read_payout_files(payout, columns, on_progress=on_progress)
        frame = payout_frame(files.tables, policy)
        st.rows = len(frame)
    notices, skip = build_notices(frame, policy)
    warnings: list[str] = []
    phone = tpl.setting("资助中心电话")
    if not phone or "请在模板" in phone:
        where = f"输出文件夹中的“{TEMPLATE_COPY}”" if template_path is None else f"模板“{tpl.source}”"
        warnings.append(f"告知书中的资助中心联系电话尚未设置：请在{where}中填写“资助中心电话”等，"
                        "另存后用 --template 指定，再重新生成")
    if (skip != "").any():
        for reason, n in skip[skip != ""].value_counts().items():
            warnings.append(f"{n} 行{reason}，未写入告知书")
    if len(frame):
        from jiaoyu_fupin.normalize.ids import normalize_ids
        lost = int((normalize_ids(frame["id_number"].astype(object))["id_status"] == "precision_lost").sum())
        if lost:
            warnings.append(f"{lost} 行身份证号已被 Excel 转成数字、后几位丢失（文件可能被另存过），告知书中的身份证号"
                            "不可信：请使用 fupin payout 直接生成的 payout.csv")
    unknown = frame.loc[frame["item_status"] == "unknown", "item"]
    if len(unknown):
        warnings.append(f"{len(unknown)} 行资助项目不在政策中（如“{unknown.iloc[0]}”），告知书中按原文印出")
    for t in files.tables:
        acc = info.add_table(t, role="payout")
        rows = frame["table"] == files.tables.index(t)
        sk = skip[rows]
        acc.other["used"] = int((sk == "").sum())
        for reason, n in sk[sk != ""].value_counts().items():
            acc.skipped[str(reason)] += int(n)
    for role, p in {"template": template_path, "policy": policy_path, "columns": columns_path}.items():
        if p:
            info.add_input(role, p)
    groups = group_by_file(notices)
    outputs: list[Path] = []
    if template_path is None:     # a copy the county can edit and pass back with --template
        from jiaoyu_fupin.payout.notify import default_template_text
        from jiaoyu_fupin.report.outdir import atomic_write_text
        text = default_template_text().replace("\r\n", "\n").replace("\n", "\r\n")   # Notepad-friendly
        outputs.append(atomic_write_text(out / TEMPLATE_COPY, text, encoding="utf-8-sig"))
    written: dict[tuple[str, str], Path] = {}
    used_names: set[str] = set()
    with info.stage("write", rows=len(notices)):
        for k, ((school, sem), ns) in enumerate(sorted(groups.items())):
            if on_progress:
                on_progress("write", k, len(groups))
            stem = sanitize_filename(f"资助结果告知书_{school}_{sem}")
            name, n = stem, 1
            while name.casefold() in used_names:
                n += 1
                name = f"{stem}({n})"
            used_names.add(name.casefold())
            p = write_notices_docx(out / f"{name}.docx", ns, tpl, mask_ids=mask_ids)
            written[(school, sem)] = p
            outputs.append(p)
        if on_progress:
            on_progress("write", len(groups), len(groups))
    result = NotifyResult(notices, written, warnings, {str(k): int(v) for k, v in skip[skip != ""].value_counts().items()},
                          tpl.source)
    for w in warnings:
        info.warn(w)
    info.policy = policy.to_dict()
    info.extra.update({"notify": result.to_dict(), "template_settings": dict(tpl.settings)})
    for p in outputs:
        info.add_output(p)
    info.finish(duration=time.time() - t0)
    write_run_json(out / "run.json", info)
    return CommandOutput(result, outputs + [out / "run.json"], info, None)
