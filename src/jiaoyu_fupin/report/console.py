"""Terminal output for the commands that write ledgers: progress bars and summary tables (rich).

The library reports progress through ``on_progress(stage, done, total)``; this module is the
only place that turns it into bars. Output goes to stderr for progress, stdout for summaries.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from jiaoyu_fupin.reconcile.findings import (
    CATEGORY_LABELS,
    CATEGORY_ORDER,
    DROPOUT_LABELS,
    DROPOUT_ORDER,
    money,
)
from jiaoyu_fupin.report.mask import mask_id

STAGE_LABELS = {"read": "读取文件", "load": "读取文件", "link": "匹配人员", "judge": "按政策核对",
                "write": "写出台账", "normalize": "规范化"}


@contextlib.contextmanager
def progress_callback(quiet: bool = False) -> Iterator:
    if quiet:
        yield lambda *a, **k: None
        return
    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda *a, **k: None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        tasks: dict[str, int] = {}

        def cb(stage: str, done: int, total: int) -> None:
            label = STAGE_LABELS.get(stage, stage)
            if stage not in tasks:
                tasks[stage] = progress.add_task(label, total=max(total, 1))
            progress.update(tasks[stage], completed=min(done, max(total, 1)), total=max(total, 1))

        yield cb


def _console() -> Console:
    return Console(soft_wrap=False)


def print_reconcile(output, mask_ids: bool = False) -> None:
    res = output.result
    con = _console()
    t = Table(title=f"对账结果 {res.semester}", show_lines=False)
    t.add_column("问题类别")
    t.add_column("代码")
    t.add_column("条数", justify="right")
    t.add_column("涉及金额（实发）", justify="right")
    for c in CATEGORY_ORDER:
        fs = [f for f in res.findings if f.category == c]
        paid = sum((f.paid_amount for f in fs if f.paid_amount is not None), start=0)
        t.add_row(CATEGORY_LABELS[c], c, str(len(fs)), money(paid) if fs and paid else "")
    con.print(t)
    acc = res.accounting
    con.print(f"读取数据行 {acc['rows_read']} 行；" + ("全部计入（匹配、未匹配、跳过或无法识别）。" if acc["ok"]
                                                   else "[red]有数据行未计入，请联系开发人员[/red]"))
    for w in res.warnings:
        con.print(f"[yellow]提示：{w}[/yellow]")
    con.print("输出文件：")
    for p in output.outputs:
        con.print(f"  {p}")


def print_dropout(output, mask_ids: bool = False) -> None:
    res = output.result
    con = _console()
    t = Table(title=f"控辍保学排查 {res.school_year}-{res.school_year + 1}学年（{res.window[0]} 至 {res.window[1]} 出生）")
    t.add_column("核查结果")
    t.add_column("代码")
    t.add_column("人数", justify="right")
    for c in DROPOUT_ORDER:
        t.add_row(DROPOUT_LABELS[c], c, str(res.counts.get(c, 0)))
    total = sum(res.counts.values())
    t.add_row("适龄儿童合计", "", str(total))
    con.print(t)
    if total:
        covered = sum(res.counts.get(c, 0) for c in ("ENROLLED", "HOME_EDUCATION", "ENROLLED_ELSEWHERE"))
        con.print(f"入学率（在校+送教+外地就读）：{covered / total:.2%}；"
                  f"需村里处理（疑似辍学、未入学、外出未核实）{total - covered} 人。")
    acc = getattr(res, "accounting", None)
    if acc:
        con.print(f"读取数据行 {acc['rows_read']} 行；" + ("全部计入（匹配、未匹配、跳过或无法识别）。" if acc["ok"]
                                                       else "[red]有数据行未计入，请联系开发人员[/red]"))
    for w in res.warnings:
        con.print(f"[yellow]提示：{w}[/yellow]")
    con.print("输出文件：")
    groups: dict = {}
    for p in output.outputs:
        groups.setdefault(p.parent, []).append(p)
    top = output.outputs[-1].parent if output.outputs else None
    for folder, ps in groups.items():
        if folder != top and len(ps) > 3:
            con.print(f"  {folder}{'/'}（按村台账 {len(ps)} 个）")
        else:
            for p in ps:
                con.print(f"  {p}")


def show_id(s: str, mask_ids: bool) -> str:
    return mask_id(s) if mask_ids else s


def _print_tail(con: Console, warnings, outputs) -> None:
    from rich.markup import escape

    for w in warnings:
        con.print(f"[yellow]提示：{escape(w)}[/yellow]")
    con.print("输出文件：")
    for p in outputs:
        con.print(f"  {escape(str(p))}")


def print_payout(output, mask_ids: bool = False) -> None:
    """Terminal summary of ``fupin payout``: persons and yuan per item, 待核实, 变动."""
    from rich.markup import escape

    res = output.result
    con = _console()
    t = Table(title=f"发放花名册 {res.semester}")
    t.add_column("资助项目")
    t.add_column("人数", justify="right")
    t.add_column("金额（元）", justify="right")
    for code, e in res.counts.get("by_item", {}).items():
        t.add_row(escape(res.item_names.get(code, code)), str(e["persons"]), e["amount"])
    t.add_row("[bold]合计[/bold]", f"[bold]{res.persons}[/bold]", f"[bold]{money(res.total)}[/bold]")
    con.print(t)
    pend = res.counts.get("pending_by_kind", {})
    if res.pending:
        detail = "、".join(f"{k} {n} 条" for k, n in pend.items() if n)
        con.print(f"[yellow]待核实 {len(res.pending)} 条（{detail}；涉及 {res.counts.get('pending_persons', 0)} 人）："
                  "核实前不发放，未计入合计，见花名册“待核实”表。[/yellow]")
    else:
        con.print("待核实：0 人。")
    reasons = res.counts.get("not_paid_by_reason", {})
    if reasons:
        con.print("建档立卡人员中未列入发放：" + "，".join(f"{k} {n} 人" for k, n in reasons.items()) + "。")
    if res.changes is not None:
        ch = res.counts.get("changes", {})
        con.print(f"与上期（{res.previous_semester or '上期'}）相比：" + "，".join(f"{k} {n} 人" for k, n in ch.items())
                  + "（见“变动”表）。")
    acc = res.accounting
    con.print(f"读取数据行 {acc['rows_read']} 行；" + ("全部计入。" if acc["ok"] else "[red]有数据行未计入，请联系开发人员[/red]"))
    _print_tail(con, res.warnings, output.outputs)


def print_summary(output, mask_ids: bool = False) -> None:
    """Terminal summary of ``fupin summary``: one table per year and the annual-report sentence."""
    from rich.markup import escape

    res = output.result
    con = _console()
    labels = {"春": "春季学期", "秋": "秋季学期"}
    for y in res.years:
        t = Table(title=f"{y.year}年学生资助统计")
        t.add_column("口径")
        if res.has_registry:
            t.add_column("户数", justify="right")
        t.add_column("学生人数", justify="right")
        t.add_column("人次", justify="right")
        t.add_column("金额（元）", justify="right")
        rows = [("全年（学生去重）", y.total)] + [(labels[k], s) for k, s in y.by_term.items()]
        for label, s in rows:
            cells = [label] + ([str(s.households)] if res.has_registry else []) + \
                [str(s.students), str(s.person_times), money(s.amount)]
            t.add_row(*cells)
        con.print(t)
        for dim, title in (("stage", "学段"), ("item", "资助项目"), ("township", "乡镇")):
            st = Table(title=f"{y.year}年 按{title}")
            st.add_column(title)
            for k in y.terms:
                st.add_column(f"{labels[k][:2]}人数", justify="right")
            st.add_column("全年人数", justify="right")
            st.add_column("全年金额（元）", justify="right")
            for r in y.breakdowns[dim]:
                st.add_row(escape(r.key), *[str(r.students[k]) for k in y.terms], str(r.students[""]), money(r.amounts[""]))
            con.print(st)
        con.print(f"[bold]年报表述：[/bold]{escape(y.sentence)}")
    if not res.has_registry:
        con.print("户数需提供建档立卡库（--registry）。")
    _print_tail(con, res.warnings, output.outputs)


def print_notify(output, mask_ids: bool = False) -> None:
    """Terminal summary of ``fupin notify``: notices per school."""
    from rich.markup import escape

    res = output.result
    con = _console()
    t = Table(title="资助结果告知书")
    t.add_column("学校")
    t.add_column("学期")
    t.add_column("告知书（份）", justify="right")
    t.add_column("金额合计（元）", justify="right")
    per: dict[tuple[str, str], list] = {}
    for n in res.notices:
        per.setdefault((n.school or "未填写学校", n.semester), []).append(n)
    for (school, sem), ns in sorted(per.items()):
        t.add_row(escape(school), sem, str(len(ns)), money(sum((n.total for n in ns), start=0)))
    t.add_row("[bold]合计[/bold]", "", f"[bold]{len(res.notices)}[/bold]",
              f"[bold]{money(sum((n.total for n in res.notices), start=0))}[/bold]")
    con.print(t)
    _print_tail(con, res.warnings, output.outputs)
