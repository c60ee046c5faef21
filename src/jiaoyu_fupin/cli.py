"""Command-line interface: parses options, calls one library function, hands the result to a
renderer. No reading, matching or workbook code lives here."""

from __future__ import annotations

import contextlib
import functools
import sys
from pathlib import Path

import click

from jiaoyu_fupin import __version__
from jiaoyu_fupin.errors import FupinError, mask_id_numbers

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class FupinGroup(click.Group):
    """Turns every unexpected exception into a one-line Chinese message (traceback only with --debug).

    Exit codes: 2 bad input or usage (FupinError), 3 an unexpected error (a bug: the message says
    so), 130 Ctrl-C.  The message of an unexpected error is cut short and has ID numbers masked:
    it may quote data."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (FupinError, click.exceptions.Exit, click.exceptions.Abort, click.UsageError):
            raise
        except KeyboardInterrupt:
            click.echo("已中断。", err=True)
            sys.exit(130)
        except (SystemExit, GeneratorExit):
            raise
        except BaseException as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            if isinstance(exc, MemoryError):
                click.echo("错误：内存不足，无法完成。请关闭其他程序，或把输入文件按学校、乡镇拆分后分批处理。", err=True)
                sys.exit(3)
            detail = " ".join(mask_id_numbers(str(exc)).split())
            if len(detail) > 200:
                detail = detail[:200] + "…"
            click.echo(f"错误：程序内部错误（{type(exc).__name__}: {detail}）。加 --debug 可查看详细信息。",
                       err=True)
            sys.exit(3)


def out_option(f):
    """-o/--out, and: a run that fails leaves no output folder behind that it created itself."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        out = kwargs.get("out")
        existed = out is None or Path(out).exists()
        try:
            return f(*args, **kwargs)
        except BaseException:
            if not existed:
                with contextlib.suppress(OSError):
                    Path(out).rmdir()     # only when still empty
            raise

    return click.option("-o", "--out", "out", required=True, type=click.Path(path_type=Path),
                        help="输出文件夹（不存在则新建；不能是输入文件所在的文件夹）。")(wrapper)


def mask_option(f):
    return click.option("--mask-ids", is_flag=True, help="在台账、屏幕输出中隐藏身份证号中间 8 位。")(f)


def paths(name: str, help_: str, required: bool = True):
    return click.option(name, multiple=True, required=required, type=click.Path(path_type=Path),
                        help=help_)


@click.group(cls=FupinGroup, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", message="fupin %(version)s")
@click.option("--debug", is_flag=True, help="出错时显示完整的程序调用栈（供开发人员排查）。")
@click.option("-q", "--quiet", is_flag=True, help="不显示进度条。")
@click.pass_context
def main(ctx: click.Context, debug: bool, quiet: bool) -> None:
    """fupin：教育扶贫学生资助对账工具。

    读取扶贫部门建档立卡人口库、全国学生资助管理信息系统、省建档立卡学生资助系统和
    各校学生名册的导出文件，把同一个孩子在各系统中对应起来，按政策核对，输出
    应享未享、不该享受而享受、控辍保学等台账。

    \b
    第一次使用建议先运行：
      fupin inspect 数据文件夹/
      fupin init 配置/
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    ctx.obj["quiet"] = quiet


@main.command("inspect", context_settings=CONTEXT)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 格式输出（供脚本使用）。")
@click.option("--columns", type=click.Path(path_type=Path), help="列名映射文件 columns.toml。")
@click.pass_context
def inspect_cmd(ctx: click.Context, files: tuple[Path, ...], as_json: bool, columns: Path | None) -> None:
    """查看工具如何识别文件：来源系统、表头所在行、列对应关系、行数、无效证件号等。

    \b
    示例：
      fupin inspect 名册/ 国办系统导出.xlsx
      fupin inspect --json 全国资助系统.xlsx
    """
    from jiaoyu_fupin.inspect import inspect_paths
    from jiaoyu_fupin.report.terminal import print_inspection

    result = inspect_paths(list(files), columns=columns)
    _mask_inspection(result)
    if as_json:
        click.echo(result.to_json())
    else:
        print_inspection(result)


def _mask_inspection(result) -> None:
    """Header texts, title rows and sheet names come from the file: when one holds an ID number
    (a title such as "张三 341021… 的名册", a data row taken for a header), show it masked."""
    for f in result.files:
        f.file = mask_id_numbers(f.file)
        for s in f.sheets:
            s.sheet = mask_id_numbers(s.sheet)
            s.title = mask_id_numbers(s.title)
            s.columns = {k: mask_id_numbers(v) for k, v in s.columns.items()}
            s.unmapped = [mask_id_numbers(u) for u in s.unmapped]
            if s.skipped_reason:
                s.skipped_reason = mask_id_numbers(s.skipped_reason)


@main.command("init", context_settings=CONTEXT)
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="覆盖已存在的 policy.toml / columns.toml。")
def init_cmd(directory: Path, force: bool) -> None:
    """生成可编辑的默认政策文件 policy.toml 和列名映射文件 columns.toml。

    \b
    示例：
      fupin init 配置/
    """
    from jiaoyu_fupin.policy.init import write_defaults

    for p in write_defaults(directory, force=force):
        click.echo(f"已写入 {p}")


def run() -> None:  # pragma: no cover - console entry for python -m
    main()


def _progress(ctx: click.Context):
    """A rich progress display for the library's on_progress callback (no-op when quiet)."""
    from jiaoyu_fupin.report.console import progress_callback

    return progress_callback(quiet=bool(ctx.obj and ctx.obj.get("quiet")))


@main.command("reconcile", context_settings=CONTEXT)
@paths("--registry", "扶贫部门建档立卡人口库导出文件（可重复）。")
@paths("--national", "全国学生资助管理信息系统导出的发放明细（可重复）。")
@paths("--provincial", "省建档立卡学生资助系统导出的发放明细（可重复，可省略）。", required=False)
@paths("--roster", "学生名册：文件或文件夹（文件夹中所有表格都会读取；可重复）。")
@click.option("--semester", required=True, help="对账学期，如 2020春、2020秋、2020-spring。")
@paths("--schools", "学校名单（学校名称、学段、收费等级）。", required=False)
@click.option("--policy", "policy_path", type=click.Path(path_type=Path), help="政策文件 policy.toml（默认为内置政策）。")
@click.option("--columns", "columns_path", type=click.Path(path_type=Path), help="列名映射文件 columns.toml。")
@click.option("--split-by", type=click.Choice(["school", "township"]), help="另按学校或乡镇分别输出台账。")
@click.option("--force", is_flag=True, help="输出文件夹中已有上次的结果时，覆盖它。")
@mask_option
@out_option
@click.pass_context
def reconcile_cmd(ctx, registry, national, provincial, roster, semester, schools, policy_path, columns_path,
                  split_by, force, mask_ids, out):
    """跨系统对账：找出应享未享、少发、多发、重复享受、不该享受而享受等问题。

    \b
    示例：
      fupin reconcile --registry 建档立卡.xlsx --national 全国资助系统.xlsx \\
          --provincial 省系统.xls --roster 名册/ --semester 2020秋 -o 结果/
    """
    from jiaoyu_fupin.reconcile.run import run_reconcile
    from jiaoyu_fupin.report.console import print_reconcile

    with _progress(ctx) as cb:
        output = run_reconcile(registry=list(registry), national=list(national), provincial=list(provincial),
                               roster=list(roster), semester=semester, schools=list(schools),
                               policy_path=policy_path, columns_path=columns_path, out=out, mask_ids=mask_ids,
                               force=force, split_by=split_by, argv=sys.argv[1:], on_progress=cb)
    print_reconcile(output, mask_ids=mask_ids)


@main.command("dropout-check", context_settings=CONTEXT)
@paths("--registry", "扶贫部门建档立卡人口库导出文件（可重复）。")
@paths("--roster", "本学年学生名册：文件或文件夹（文件夹中所有表格都会读取；可重复）。")
@click.option("--school-year", "school_year", default=None,
              help="排查学年，如 2019 或 2019-2020（都表示 2019 年秋季开学的学年）；默认为当前学年。")
@paths("--home-education", "送教上门名单（可省略）。", required=False)
@paths("--elsewhere", "外地就读证明名单（可省略）。", required=False)
@paths("--previous-roster", "上学期学生名册：文件或文件夹（可省略；上学期在读、本学年不见的列为疑似辍学）。",
       required=False)
@click.option("--split-by", type=click.Choice(["village"]), help="另按村分别输出台账（放在输出文件夹的“村”子文件夹中）。")
@click.option("--policy", "policy_path", type=click.Path(path_type=Path), help="政策文件 policy.toml（默认为内置政策）。")
@click.option("--columns", "columns_path", type=click.Path(path_type=Path), help="列名映射文件 columns.toml。")
@click.option("--force", is_flag=True, help="输出文件夹中已有上次的结果时，覆盖它。")
@mask_option
@out_option
@click.pass_context
def dropout_check_cmd(ctx, registry, roster, school_year, home_education, elsewhere, previous_roster, split_by,
                      policy_path, columns_path, force, mask_ids, out):
    """控辍保学排查：逐村列出义务教育适龄的建档立卡儿童在校、送教、外地就读、疑似辍学、未入学情况。

    \b
    示例：
      fupin dropout-check --registry 建档立卡.xlsx --roster 名册/ \\
          --previous-roster 上学期名册/ --home-education 送教上门.xlsx \\
          --elsewhere 外地就读证明.xlsx --school-year 2019 --split-by village -o 控辍保学/
    """
    from jiaoyu_fupin.dropout.run import run_dropout
    from jiaoyu_fupin.report.console import print_dropout

    with _progress(ctx) as cb:
        output = run_dropout(registry=list(registry), roster=list(roster), school_year=school_year,
                             home_education=list(home_education), elsewhere=list(elsewhere),
                             previous_roster=list(previous_roster), split_by=split_by, policy_path=policy_path,
                             columns_path=columns_path, out=out, mask_ids=mask_ids, force=force,
                             argv=sys.argv[1:], on_progress=cb)
    print_dropout(output, mask_ids=mask_ids)


@main.command("payout", context_settings=CONTEXT)
@paths("--registry", "扶贫部门建档立卡人口库导出文件（可重复）。")
@paths("--roster", "本学期学生名册：文件或文件夹（文件夹中所有表格都会读取；可重复）。")
@click.option("--semester", required=True, help="发放学期，如 2020秋、2021春、2020-autumn。")
@paths("--schools", "学校名单（学校名称、学段、学校等级；普通高中免学杂费按学校等级定标准）。", required=False)
@click.option("--policy", "policy_path", type=click.Path(path_type=Path), help="政策文件 policy.toml（默认为内置政策）。")
@click.option("--columns", "columns_path", type=click.Path(path_type=Path), help="列名映射文件 columns.toml。")
@paths("--previous", "上学期的发放名单 payout.csv 或发放花名册（可省略；给出时生成“变动”表）。", required=False)
@click.option("--force", is_flag=True, help="输出文件夹中已有上次的结果时，覆盖它。")
@mask_option
@out_option
@click.pass_context
def payout_cmd(ctx, registry, roster, semester, schools, policy_path, columns_path, previous, force, mask_ids, out):
    """生成本学期学生资助发放花名册：享受政策且在读的建档立卡学生，逐人逐项列出应发金额。

    输出 payout.csv（供脚本使用）和“发放花名册_学期.xlsx”（说明、汇总、变动、待核实、
    发放明细，以及每所学校一张可直接打印、签字的花名册）。身份或金额无法确定的学生
    列入“待核实”表，核实前不发放、不计入合计。

    \b
    示例：
      fupin payout --registry 建档立卡.xlsx --roster 名册/ --schools 学校名单.xlsx \\
          --semester 2020秋 --previous 上学期/payout.csv -o 发放/
    """
    from jiaoyu_fupin.payout.run import run_payout
    from jiaoyu_fupin.report.console import print_payout

    with _progress(ctx) as cb:
        output = run_payout(registry=list(registry), roster=list(roster), semester=semester, schools=list(schools),
                            policy_path=policy_path, columns_path=columns_path, previous=list(previous), out=out,
                            mask_ids=mask_ids, force=force, argv=sys.argv[1:], on_progress=cb)
    print_payout(output, mask_ids=mask_ids)


@main.command("summary", context_settings=CONTEXT)
@paths("--payout", "发放名单 payout.csv 或发放花名册（可重复，例如春季、秋季各一份）。", required=False)
@paths("--national", "全国学生资助管理信息系统导出的发放明细（可重复；只统计建档立卡学生）。", required=False)
@paths("--registry", "建档立卡人口库（统计户数、按乡镇统计时需要；可重复）。", required=False)
@click.option("--policy", "policy_path", type=click.Path(path_type=Path), help="政策文件 policy.toml（默认为内置政策）。")
@click.option("--columns", "columns_path", type=click.Path(path_type=Path), help="列名映射文件 columns.toml。")
@click.option("--force", is_flag=True, help="输出文件夹中已有上次的结果时，覆盖它。")
@out_option
@click.pass_context
def summary_cmd(ctx, payout, national, registry, policy_path, columns_path, force, out):
    """按年度统计资助户数、人数、金额（按学期、学段、资助项目、乡镇、学校），附图表和年报表述。

    每个自然年度（春季 + 秋季学期）输出一个“资助统计_年度.xlsx”，另有 summary.csv。
    户数按建档立卡库的户编号统计，需要 --registry。

    \b
    示例：
      fupin summary --payout 春季/payout.csv --payout 秋季/payout.csv \\
          --registry 建档立卡.xlsx -o 统计/
      fupin summary --national 全国资助系统2020.xlsx --registry 建档立卡.xlsx -o 统计/
    """
    from jiaoyu_fupin.payout.run import run_summary
    from jiaoyu_fupin.report.console import print_summary

    with _progress(ctx) as cb:
        output = run_summary(payout=list(payout), national=list(national), registry=list(registry),
                             policy_path=policy_path, columns_path=columns_path, out=out, force=force,
                             argv=sys.argv[1:], on_progress=cb)
    print_summary(output)


@main.command("notify", context_settings=CONTEXT)
@paths("--payout", "发放名单 payout.csv 或发放花名册（可重复）。")
@click.option("--template", "template_path", type=click.Path(path_type=Path),
              help="告知书模板（文本文件，可修改措辞和资助中心电话；默认为内置模板）。")
@click.option("--policy", "policy_path", type=click.Path(path_type=Path), help="政策文件 policy.toml（用于资助项目名称）。")
@click.option("--columns", "columns_path", type=click.Path(path_type=Path), help="列名映射文件 columns.toml。")
@click.option("--force", is_flag=True, help="输出文件夹中已有上次的结果时，覆盖它。")
@mask_option
@out_option
@click.pass_context
def notify_cmd(ctx, payout, template_path, policy_path, columns_path, force, mask_ids, out):
    """生成资助结果告知书（致家长的一封信）：每个学生一页，每所学校一个 Word 文件。

    \b
    示例：
      fupin notify --payout 发放/payout.csv --template 告知书模板.txt -o 告知书/
    """
    from jiaoyu_fupin.payout.run import run_notify
    from jiaoyu_fupin.report.console import print_notify

    with _progress(ctx) as cb:
        output = run_notify(payout=list(payout), template_path=template_path, policy_path=policy_path,
                            columns_path=columns_path, out=out, mask_ids=mask_ids, force=force,
                            argv=sys.argv[1:], on_progress=cb)
    print_notify(output, mask_ids=mask_ids)
