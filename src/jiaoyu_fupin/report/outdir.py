"""The output folder, and atomic file writes into it.

Rules for ``-o/--out DIR`` (SPEC: "created if missing, never the folder of an input"):

* ``DIR`` must not be an existing file;
* ``DIR`` must not be the folder that holds an input file (outputs would mix with the officer's
  originals, and a later run pointed at that folder would read them back as input);
* ``DIR`` must not be an input folder (a ``--roster`` folder: "every spreadsheet in it") nor lie
  inside one, for the same reason;
* ``DIR`` must not hold a previous run (a ``run.json``) unless ``force``. With ``force`` the previous
  run's ``run.json`` and the output files it lists (regular files directly inside ``DIR`` only) are
  removed first, so a half-finished new run can never be mistaken for the old one plus new files.
  Commands write ``run.json`` last: its presence marks a completed run.

Every output file is written to a temporary name in the same folder and renamed into place, so an
interrupted run (Ctrl-C, a crash, a full disk) never leaves a complete-looking but truncated file.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

from jiaoyu_fupin.errors import FupinError, UsageError

RUN_JSON = "run.json"


def _key(p: Path) -> str:
    """Comparable form of a path: absolute, symlinks resolved, case-folded where the OS is."""
    return os.path.normcase(str(p.resolve()))


def _is_within(child: Path, parent: Path) -> bool:
    c, p = _key(child), _key(parent)
    return c == p or c.startswith(p.rstrip(os.sep) + os.sep)


def prepare_out_dir(out: Path, inputs: Iterable[Path], *, force: bool = False) -> Path:
    """Check ``out`` against the rules above, create it if missing and return it (as given).

    ``inputs`` are the paths exactly as the officer gave them: files, or folders for the options
    that take a folder. Raises :class:`UsageError` with a Chinese message on any refusal.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"输出位置“{out}”是一个已存在的文件，不是文件夹。请用 -o 指定一个文件夹。")
    for given in inputs:
        inp = Path(given)
        if inp.is_dir():
            if _is_within(out, inp):
                where = "就是" if _key(out) == _key(inp) else "位于"
                tail = "" if where == "就是" else "之内"
                raise UsageError(
                    f"输出文件夹“{out}”{where}输入文件夹“{inp}”{tail}：下次运行时，输出的表格会被当作输入读取。"
                    "请用 -o 指定这个文件夹之外的位置。")
        elif _key(out) == _key(inp.parent):
            raise UsageError(
                f"输出文件夹“{out}”是输入文件“{inp.name}”所在的文件夹。为免输出与原始数据混在一起、"
                f"下次被当作输入读取，请用 -o 另指定一个文件夹（例如“{out / '对账结果'}”）。")
    previous = out / RUN_JSON
    if previous.is_file():
        if not force:
            raise UsageError(
                f"输出文件夹“{out}”中已有上一次运行的结果（{RUN_JSON}）。"
                "请换一个输出文件夹，或加 --force 覆盖上一次的结果。")
        _remove_previous_run(out, previous)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"无法创建输出文件夹“{out}”：{exc.strerror or exc}") from exc
    return out


def _remove_previous_run(out: Path, run_json: Path) -> None:
    """Remove a previous run's outputs (as listed in its run.json) and then the run.json itself."""
    names: list[str] = []
    try:
        data = json.loads(run_json.read_text(encoding="utf-8"))
        for item in data.get("outputs", []) if isinstance(data, dict) else []:
            name = item.get("file") if isinstance(item, dict) else None
            if isinstance(name, str):
                names.append(name)
    except (OSError, ValueError):
        pass  # unreadable run.json: only the run.json goes
    for name in names:
        target = out / name
        # only plain file names directly inside out: a tampered run.json cannot reach elsewhere
        if Path(name).name != name or name in ("", ".", "..") or not target.is_file():
            continue
        if target.parent.resolve() != out.resolve():
            continue
        with contextlib.suppress(OSError):
            target.unlink()
    try:
        run_json.unlink()
    except OSError as exc:
        raise UsageError(f"无法删除上一次运行的“{run_json}”：{exc.strerror or exc}") from exc


# ---------------------------------------------------------------------------------------------
# atomic writes


def replace_into_place(tmp: Path, path: Path) -> None:
    """Rename a finished temporary file onto ``path`` (atomic on one filesystem)."""
    try:
        os.replace(tmp, path)
    except PermissionError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise FupinError(f"无法写入“{path}”：文件可能正被 Excel 或 WPS 打开，请关闭后重试。") from exc
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise FupinError(f"无法写入“{path}”：{exc.strerror or exc}") from exc


def temp_path_for(path: Path, suffix: str = ".tmp") -> Path:
    """A fresh temporary name next to ``path`` (``.name.<pid>.<random>.tmp``, the name cut to 60
    characters so the whole stays under 255 bytes), not yet created.

    The caller creates the file (so it gets the usual permissions, unlike ``mkstemp``'s 0600).
    """
    path = Path(path)
    return path.parent / f".{path.name[:60]}.{os.getpid()}.{secrets.token_hex(4)}{suffix}"


@contextlib.contextmanager
def atomic_target(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on normal exit rename it onto ``path``, on any
    exception (including KeyboardInterrupt) delete it and leave ``path`` untouched."""
    path = Path(path)
    tmp = temp_path_for(path)
    try:
        yield tmp
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if not tmp.exists():
        raise FupinError(f"内部错误：未能生成“{path}”。")
    replace_into_place(tmp, path)


def _open_new(tmp: Path, path: Path):
    """Open a new temporary file for binary writing, with a Chinese error naming ``path``."""
    try:
        return open(tmp, "xb")
    except OSError as exc:
        raise FupinError(f"无法写入“{path}”：{exc.strerror or exc}") from exc


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file + fsync + rename)."""
    path = Path(path)
    with atomic_target(path) as tmp, _open_new(tmp, path) as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return path


def atomic_write_text(path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; newlines are written exactly as given."""
    return atomic_write_bytes(path, text.encode(encoding))
