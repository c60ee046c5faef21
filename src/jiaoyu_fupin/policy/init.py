"""``fupin init DIR``: write editable copies of the packaged policy.toml and columns.toml."""

from __future__ import annotations

from pathlib import Path

from jiaoyu_fupin.errors import UsageError
from jiaoyu_fupin.policy.load import DEFAULT_COLUMNS, DEFAULT_POLICY, data_bytes

#: file written -> packaged default it copies
FILES = (("policy.toml", DEFAULT_POLICY), ("columns.toml", DEFAULT_COLUMNS))


def write_defaults(directory: Path, force: bool = False) -> list[Path]:
    """Write ``policy.toml`` and ``columns.toml`` into ``directory`` (created if missing).

    Refuses, before writing anything, when either file already exists, unless ``force``.
    Returns the paths written."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} 已存在且不是文件夹；请指定一个文件夹，例如 fupin init 配置/")
    targets = [(directory / name, source) for name, source in FILES]
    existing = [p for p, _ in targets if p.exists()]
    if existing and not force:
        names = "、".join(str(p) for p in existing)
        raise UsageError(f"{names} 已存在，未改动任何文件。如确要用默认设置覆盖（您的修改会丢失），"
                         f"请加 --force；或换一个文件夹。")
    for path, _ in targets:
        if path.is_dir():
            raise UsageError(f"{path} 是一个文件夹，无法写入；请换一个文件夹。")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for path, source in targets:
            path.write_bytes(data_bytes(source))
            written.append(path)
    except OSError as exc:
        raise UsageError(f"无法写入 {directory}：{exc.strerror or exc}") from exc
    return written
