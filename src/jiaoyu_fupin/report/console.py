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

from jiaoyu_fupin.reconcile.findings import CATEGORY_LABELS, CATEGORY_ORDER, DROPOUT_LABELS, DROPOUT_ORDER, money
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
    t.add_row("合计", "", str(sum(res.counts.values())))
    con.print(t)
    for w in res.warnings:
        con.print(f"[yellow]提示：{w}[/yellow]")
    con.print("输出文件：")
    for p in output.outputs:
        con.print(f"  {p}")


def show_id(s: str, mask_ids: bool) -> str:
    return mask_id(s) if mask_ids else s
