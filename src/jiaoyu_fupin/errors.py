"""One error family for the whole tool, caught once by the CLI.

Every error carries a Chinese message that names the file (and sheet, row, column where it
applies). The CLI prints ``错误：<message>`` and exits with ``exit_code``; no traceback unless
``--debug``.
"""

from __future__ import annotations

import click


class FupinError(click.ClickException):
    """Base class: a problem the officer can fix. Exit code 2."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)

    def format_message(self) -> str:
        return self.message

    def show(self, file=None) -> None:  # noqa: D401 - click API
        click.echo(f"错误：{self.format_message()}", err=True, file=file)


def where(file: str | None = None, sheet: str | None = None, row: int | None = None,
          column: str | None = None) -> str:
    """Chinese location string: 文件 x.xlsx，工作表 Sheet1，第 5 行，列“身份证号”."""
    parts = []
    if file:
        parts.append(f"文件 {file}")
    if sheet:
        parts.append(f"工作表“{sheet}”")
    if row is not None:
        parts.append(f"第 {row} 行")
    if column:
        parts.append(f"列“{column}”")
    return "，".join(parts)


class InputError(FupinError):
    """Bad input file: unreadable, empty, missing columns, unknown values."""

    def __init__(self, message: str, *, file: str | None = None, sheet: str | None = None,
                 row: int | None = None, column: str | None = None) -> None:
        loc = where(file, sheet, row, column)
        super().__init__(f"{loc}：{message}" if loc else message)
        self.file, self.sheet, self.row, self.column = file, sheet, row, column


class PolicyError(FupinError):
    """policy.toml / columns.toml is wrong, or the data holds values the policy does not classify."""


class UsageError(FupinError):
    """Bad combination of command-line options."""
