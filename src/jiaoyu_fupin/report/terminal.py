"""Terminal rendering with rich: plain functions, one per view.  Library code never prints;
the CLI passes results here."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable
from rich.text import Text

from jiaoyu_fupin.io.synonyms import FIELD_LABELS
from jiaoyu_fupin.model import SOURCE_LABELS

_STATUS_LABELS = {
    "valid": "有效",
    "converted_15": "15位已转18位",
    "precision_lost": "精度丢失",
    "bad_checksum": "校验位错误",
    "bad_date": "出生日期无效",
    "wrong_length": "位数不对",
    "empty": "为空",
}


def _console(console: Console | None) -> Console:
    return console if console is not None else Console()


def _status_text(status: dict[str, int], has_id: bool) -> Text:
    if not has_id:
        return Text("无证件号列", style="dim")
    t = Text()
    parts = [(k, v) for k, v in status.items() if v]
    if not parts:
        return Text("—", style="dim")
    for i, (k, v) in enumerate(parts):
        if i:
            t.append("\n")
        style = "green" if k in ("valid", "converted_15") else ("dim" if k == "empty" else "bold red")
        t.append(f"{_STATUS_LABELS.get(k, k)} {v}", style=style)
    return t


def _mapping_item(fld: str, text: str) -> str:
    label = FIELD_LABELS.get(fld, fld)
    one_line = " ".join(text.split())
    return label if one_line == label else f"{one_line}→{label}"


def print_inspection(result, console: Console | None = None) -> None:
    """One table per file: 工作表, 来源, 表头行, 列对应, 数据行, 证件号状态, 重复证件号."""
    con = _console(console)
    if not result.files:
        con.print("没有读取到文件。")
        return
    for f in result.files:
        table = RichTable(title=f"文件：{escape(f.file)}", title_justify="left", show_lines=True,
                          header_style="bold")
        table.add_column("工作表", overflow="fold")
        table.add_column("来源", overflow="fold", max_width=26)
        table.add_column("表头行", justify="right")
        table.add_column("列对应", overflow="fold", min_width=24)
        table.add_column("数据行", justify="right")
        table.add_column("证件号状态", min_width=10)
        table.add_column("重复证件号", justify="right", min_width=10)
        for s in f.sheets:
            name = s.sheet or "—"
            if s.skipped_reason:
                table.add_row(Text(name), Text("已跳过", style="yellow"), "—",
                              Text(s.skipped_reason, style="yellow"), "0", "—", "—")
                continue
            mapping = "、".join(_mapping_item(k, v) for k, v in s.columns.items()) or "—"
            if s.unmapped:
                mapping += "\n未使用：" + "、".join(s.unmapped[:12]) + \
                    ("…" if len(s.unmapped) > 12 else "")
            src = SOURCE_LABELS.get(s.source, s.source)
            src_text = Text(src, style="bold red" if s.source == "unknown" else "bold")
            if s.title:
                src_text.append(f"\n标题：{s.title[:60]}", style="dim")
            rows = f"{s.rows}"
            if s.rejected_rows or s.skipped_rows:
                extra = []
                if s.rejected_rows:
                    extra.append(f"无法识别 {s.rejected_rows}")
                if s.skipped_rows:
                    extra.append(f"跳过 {s.skipped_rows}")
                rows += "\n(" + "，".join(extra) + ")"
            dup = Text(str(s.duplicate_ids), style="bold red" if s.duplicate_ids else "")
            table.add_row(Text(name), src_text, str(s.header_row), Text(mapping), rows,
                          _status_text(s.id_status, "id_number" in s.columns), dup)
        con.print(table)
    con.print("说明：“数据行”含无法识别的行，不含空行、合计行、重复表头；"
              "精度丢失的证件号是被 Excel 存成数字的，请在原系统中按文本格式重新导出。", style="dim")
