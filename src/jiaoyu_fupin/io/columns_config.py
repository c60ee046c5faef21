"""``columns.toml``: the officer's own header names, per source.

Format::

    [roster]
    id_number = "学生证件号"
    name = ["学生名", "幼儿名"]

    [all]                 # applies to every source (a source's own table wins)
    township = "所属乡镇"

Sources: registry, national, provincial, roster, schools, home_education, elsewhere, payout, all.
A header named here is matched exactly (after removing spaces and full-width forms) and wins
over the built-in synonyms; for a field that has an entry, the synonyms are still used when none
of the named headers is present in a sheet (one columns.toml serves many schools' files).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from jiaoyu_fupin.errors import PolicyError
from jiaoyu_fupin.io.synonyms import norm_header
from jiaoyu_fupin.model import CANONICAL_FIELDS, SOURCES

SECTIONS = tuple(s for s in SOURCES if s != "unknown") + ("all",)


@dataclass(frozen=True)
class ColumnOverrides:
    """Per source: canonical field -> header texts as written in columns.toml."""

    by_source: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    path: str = ""

    def for_source(self, source: str | None) -> dict[str, str]:
        """Normalised header text -> field, for one source ([all] merged under the source's own)."""
        out: dict[str, str] = {}
        for sec in ("all", source):
            if not sec:
                continue
            for fld, texts in self.by_source.get(sec, {}).items():
                for t in texts:
                    out[norm_header(t)[0]] = fld
        return out

    def fields_for(self, source: str | None) -> set[str]:
        return set(self.by_source.get("all", {})) | set(self.by_source.get(source or "", {}))

    def __bool__(self) -> bool:
        return any(self.by_source.values())


EMPTY = ColumnOverrides()


def load_columns(path: str | Path | ColumnOverrides | None) -> ColumnOverrides:
    """Read and check columns.toml; all problems are reported together in one PolicyError."""
    if path is None:
        return EMPTY
    if isinstance(path, ColumnOverrides):
        return path
    p = Path(path)
    name = p.name
    if not p.is_file():
        raise PolicyError(f"找不到列名映射文件 {p}（可用 fupin init 生成一份）。")
    try:
        data = tomllib.loads(p.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise PolicyError(f"{name}：文件不是 UTF-8 编码，请用记事本“另存为 UTF-8”后再试。") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{name}：格式错误（{exc}）。文本值要加英文双引号，例如 name = \"学生姓名\"。") from None
    return parse_columns(data, name=name, path=str(p))


def parse_columns(data: dict, *, name: str = "columns.toml", path: str = "") -> ColumnOverrides:
    problems: list[str] = []
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for sec, table in data.items():
        if sec not in SECTIONS:
            problems.append(f"未知的段 [{sec}]（可用：{'、'.join(SECTIONS)}）")
            continue
        if not isinstance(table, dict):
            problems.append(f"[{sec}] 应当是一个段（写成 [{sec}] 再在下面逐行写 字段 = \"表头\"）")
            continue
        fields: dict[str, tuple[str, ...]] = {}
        seen: dict[str, str] = {}
        for fld, value in table.items():
            if fld not in CANONICAL_FIELDS:
                problems.append(f"[{sec}] 中未知的字段名 {fld}（可用：{', '.join(CANONICAL_FIELDS)}）")
                continue
            texts = [value] if isinstance(value, str) else value
            if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
                problems.append(f"[{sec}] {fld} 的值应当是表头文字或表头文字的列表，例如 {fld} = \"表头\"")
                continue
            clean = []
            for t in texts:
                key = norm_header(t)[0]
                if not key:
                    problems.append(f"[{sec}] {fld} 的表头文字为空")
                    continue
                if key in seen and seen[key] != fld:
                    problems.append(f"[{sec}] 表头“{t}”同时指定给了 {seen[key]} 和 {fld}")
                    continue
                seen[key] = fld
                clean.append(t.strip())
            if clean:
                fields[fld] = tuple(clean)
        out[sec] = fields
    if problems:
        raise PolicyError(f"{name} 有 {len(problems)} 处错误：" + "；".join(problems) + "。")
    return ColumnOverrides(out, path)
