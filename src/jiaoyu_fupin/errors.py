"""One error family for the whole tool, caught once by the CLI.

Every error carries a Chinese message that names the file (and sheet, row, column where it
applies). The CLI prints ``错误：<message>`` and exits with ``exit_code``; no traceback unless
``--debug``.

Personal data: whatever a message was built from, what is *printed* never shows a whole ID
number. :func:`mask_id_numbers` hides the middle of every run of 14 or more digits (an 18-digit ID,
a 15-digit old ID, a 学籍号 ``G`` + ID, a disability-certificate number, a precision-lost
``3.41021200501011e+17``) the way ``--mask-ids`` does: ``341021********1234``.
"""

from __future__ import annotations

import re

import click

# a run of 14+ digits (the last may be X) that is not part of a longer run of digits
_ID_RUN = re.compile(r"(?<![0-9])(\d{6})(\d{4,})(\d{3}[\dXx]|\d{4})(?![0-9])")


def mask_id_numbers(text: str) -> str:
    """``text`` with the middle of every ID-like run of digits replaced by ``*``."""
    if not text:
        return text
    return _ID_RUN.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), text)


class FupinError(click.ClickException):
    """Base class: a problem the officer can fix. Exit code 2."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)

    def format_message(self) -> str:
        return mask_id_numbers(self.message)

    def show(self, file=None) -> None:
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
