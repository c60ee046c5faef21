"""Load policy.toml in two steps: check all of it and report every problem together, then build
the frozen :class:`~jiaoyu_fupin.policy.model.Policy` the rest of the code trusts."""

from __future__ import annotations

import functools
import math
import re
import tomllib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from jiaoyu_fupin.errors import PolicyError
from jiaoyu_fupin.policy.model import (
    BOARDING,
    IGNORED,
    STAGES,
    DropoutRule,
    IgnoredName,
    Item,
    Period,
    Policy,
    Rate,
    Tier,
    norm_text,
    normalize_stage,
    parse_semester,
)

DEFAULT_POLICY = "default_policy.toml"
DEFAULT_COLUMNS = "default_columns.toml"
DEFAULT_SOURCE = "默认政策"

_CENT = Decimal("0.01")
_CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_AGE_ON_RE = re.compile(r"^(\d{1,2})-(\d{1,2})$")
_TOML_POS_RE = re.compile(r"\(at line (\d+), column (\d+)\)")

_TOP_KEYS = ("title", "items", "ignored_items", "tiers", "statuses", "roster", "hardship", "dropout")
_REQUIRED_TOP = ("items", "statuses", "roster", "hardship")
_ITEM_KEYS = ("code", "name", "stages", "grades", "amount", "amount_by_boarding", "amount_by_tier",
              "aliases", "periods", "note")
_RATE_KEYS = ("amount", "amount_by_boarding", "amount_by_tier")
_PERIOD_KEYS = ("from", *_RATE_KEYS, "note")
_LISTS = {  # section -> (true list, false list)
    "statuses": ("eligible", "ineligible"),
    "roster": ("active", "inactive"),
    "hardship": ("jdlk", "other"),
}
_DROPOUT_KEYS = ("min_age", "max_age", "age_on", "compulsory_stages")


def data_bytes(name: str) -> bytes:
    """A file shipped in ``jiaoyu_fupin/data`` (default_policy.toml, default_columns.toml)."""
    return resources.files("jiaoyu_fupin").joinpath("data", name).read_bytes()


def load_policy(path: Path | str | None = None) -> Policy:
    """Read, check and build the policy. ``None`` = the packaged default policy.

    Raises :class:`PolicyError` (in Chinese) for an unreadable file, a TOML syntax error (with
    line and column), or — all listed together — every problem in the content."""
    if path is None:
        return _default_policy()
    path = Path(path)
    label = f"policy.toml（{path}）"
    if not path.exists():
        raise PolicyError(f"找不到政策文件 {path}。可运行 fupin init 文件夹/ 生成一份默认的 policy.toml。")
    if path.is_dir():
        raise PolicyError(f"{path} 是文件夹，不是政策文件；请指定其中的 policy.toml。")
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"无法读取政策文件 {path}：{exc.strerror or exc}") from exc
    return _load_bytes(raw_bytes, label, str(path))


@functools.lru_cache(maxsize=1)
def _default_policy() -> Policy:
    return _load_bytes(data_bytes(DEFAULT_POLICY), f"默认政策（{DEFAULT_POLICY}）", DEFAULT_SOURCE)


def _load_bytes(raw_bytes: bytes, label: str, source: str) -> Policy:
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw_bytes[:exc.start].count(b"\n") + 1
        raise PolicyError(f"{label} 不是 UTF-8 编码的文本文件（第 {line} 行附近）。"
                          f"请用记事本打开后“另存为”，编码选择 UTF-8。") from exc
    data = parse_toml(text, label)
    return policy_from_mapping(data, source=source, label=label)


def parse_toml(text: str, label: str) -> dict[str, Any]:
    """tomllib.loads with a Chinese message naming the line (and showing it) on a syntax error."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _TOML_POS_RE.search(msg)
        where = ""
        shown = ""
        if m:
            line, col = int(m.group(1)), int(m.group(2))
            where = f"第 {line} 行第 {col} 列"
            lines = text.splitlines()
            if 1 <= line <= len(lines):
                shown = f"\n  该行内容：{lines[line - 1].strip()}"
            msg = _TOML_POS_RE.sub("", msg).strip()
        raise PolicyError(
            f"{label} {where}格式错误（{msg}）。常见原因：文字或金额没有加英文双引号、用了中文引号“”、"
            f"等号左边的中文名称没有加英文双引号（应写成 \"住校\" = \"500\"）、方括号或花括号不成对、同一设置写了两次、用了中文逗号。{shown}") from exc


def policy_from_mapping(data: Mapping[str, Any], source: str = DEFAULT_SOURCE,
                        label: str = "policy.toml") -> Policy:
    """Step 1 (check everything) and step 2 (build) on already-parsed TOML data."""
    problems = check_policy_data(data)
    if problems:
        listed = "\n".join(f"  {i}. {p}" for i, p in enumerate(problems, 1))
        raise PolicyError(f"{label} 有 {len(problems)} 处错误，请改正后重试：\n{listed}")
    return build_policy(data, source)


# =========================================================================== step 1: check


def parse_amount(value: Any) -> tuple[Decimal | None, str]:
    """A policy amount -> (Decimal quantized to 0.01, '') or (None, Chinese problem)."""
    if isinstance(value, bool):
        return None, f"不是金额：{value!r}"
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            return None, f"不是有效金额：{value!r}"
        amount = Decimal(repr(value))
        if Decimal(value) != amount:
            return None, (f"金额 {value!r} 写成了小数，计算机无法精确表示；"
                          f"请加英文双引号写成文字：\"{value!r}\"")
    elif isinstance(value, str):
        text = value.strip()
        try:
            amount = Decimal(text)
        except InvalidOperation:
            return None, f"不是有效金额：“{value}”（应写成 \"400\" 或 \"312.50\" 这样的数字，不带“元”字）"
        if not amount.is_finite():
            return None, f"不是有效金额：“{value}”"
    else:
        return None, f"不是金额：{value!r}"
    if amount < 0:
        return None, f"金额不能为负数：{value}"
    if amount != amount.quantize(_CENT):
        return None, f"金额最多两位小数：{value}"
    return amount.quantize(_CENT), ""


def _is_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _names(values: Any) -> str:
    return "、".join(str(v) for v in values)


class _Checker:
    """Walks the parsed TOML and collects every problem as a Chinese sentence."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{where}：{message}" if where else message)

    # ------------------------------------------------------------------ helpers

    def unknown_keys(self, where: str, table: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        for key in table:
            if key in allowed:
                continue
            if where and key in _TOP_KEYS:
                self.add(where, f"“{key}”应写在文件开头、所有 [方括号] 段落之前，"
                                f"写在这里会被当成 {where} 的内容")
            else:
                self.add(where, f"不认识的设置项“{key}”（这里可写：{_names(allowed)}）")

    def str_list(self, where: str, value: Any, key: str, *, required: bool = True,
                 non_empty: bool = True) -> list[str]:
        if value is None:
            if required:
                self.add(where, f"缺少 {key}")
            return []
        if not isinstance(value, list):
            self.add(where, f"{key} 应是用方括号写的列表，例如 {key} = [\"…\", \"…\"]")
            return []
        out = []
        for i, v in enumerate(value, 1):
            if _is_str(v):
                out.append(v)
            else:
                self.add(where, f"{key} 的第 {i} 个值不是非空文字：{v!r}")
        if non_empty and not value:
            self.add(where, f"{key} 不能为空")
        return out

    def stages(self, where: str, value: Any, key: str = "stages", *, required: bool = True) -> list[str]:
        names = self.str_list(where, value, key, required=required)
        good = []
        for s in names:
            if s in STAGES:
                good.append(s)
                continue
            hint = normalize_stage(s)
            suggest = f"；是否指“{hint}”？" if hint else ""
            self.add(where, f"{key} 中的学段“{s}”不认识（只能是 {_names(STAGES)}）{suggest}")
        return good

    def rate(self, where: str, table: Mapping[str, Any]) -> None:
        given = [k for k in _RATE_KEYS if k in table]
        if not given:
            self.add(where, "缺少金额（amount、amount_by_boarding、amount_by_tier 三种写法选一种）")
            return
        if len(given) > 1:
            self.add(where, f"{_names(given)} 只能写一个")
        for key in given:
            value = table[key]
            if key == "amount":
                _, problem = parse_amount(value)
                if problem:
                    self.add(where, f"amount {problem}")
                continue
            if not isinstance(value, dict):
                self.add(where, f"{key} 应写成 {{ 名称 = \"金额\", … }} 的形式")
                continue
            if key == "amount_by_boarding":
                for k in value:
                    if k not in BOARDING:
                        self.add(where, f"amount_by_boarding 只能有 住校、走读 两项，不认识“{k}”")
                for k in BOARDING:
                    if k not in value:
                        self.add(where, f"amount_by_boarding 缺少“{k}”的金额")
            elif not value:
                self.add(where, "amount_by_tier 不能为空")
            for k, v in value.items():
                if not k.strip():
                    self.add(where, f"{key} 中有空白的名称")
                _, problem = parse_amount(v)
                if problem:
                    self.add(where, f"{key} 中“{k}”的{problem}")

    # ------------------------------------------------------------------ sections

    def run(self) -> list[str]:
        data = self.data
        self.unknown_keys("", data, _TOP_KEYS)
        for key in _REQUIRED_TOP:
            if key not in data:
                self.add("", f"缺少 {'[[items]]' if key == 'items' else f'[{key}]'} 部分")
        if "title" in data and not isinstance(data["title"], str):
            self.add("title", "应是文字")
        items = self.items(data.get("items"))
        self.ignored(data.get("ignored_items"), items)
        self.tiers(data.get("tiers"), data.get("items"))
        for section, (yes, no) in _LISTS.items():
            self.two_lists(section, data.get(section), yes, no)
        self.dropout(data.get("dropout"))
        return self.problems

    def items(self, value: Any) -> list[tuple[str, list[str], set[str]]]:
        """Checks [[items]]; returns (code, stages, normalised aliases) of every item for the
        cross checks."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.add("items", "每个资助项目应写成一段 [[items]]（两层方括号）")
            return []
        if not value:
            self.add("items", "至少要有一个 [[items]] 资助项目")
        seen_codes: dict[str, int] = {}
        out = []
        for i, item in enumerate(value, 1):
            where = f"[[items]] 第 {i} 项"
            if not isinstance(item, dict):
                self.add(where, "应是一段 [[items]]")
                continue
            code = item.get("code")
            if isinstance(code, str) and code.strip():
                where += f"（{code}）"
            self.unknown_keys(where, item, _ITEM_KEYS)
            if code is None:
                self.add(where, "缺少 code（项目代码，例如 code = \"PRESCHOOL\"）")
            elif not isinstance(code, str) or not _CODE_RE.match(code):
                self.add(where, f"code {code!r} 只能由大写英文字母、数字和下划线组成，并以字母开头")
            elif code in seen_codes:
                self.add(where, f"code“{code}”与第 {seen_codes[code]} 项重复")
            else:
                seen_codes[code] = i
            name = item.get("name")
            if name is None:
                self.add(where, "缺少 name（项目中文名称）")
            elif not _is_str(name):
                self.add(where, "name 应是非空文字")
            stages = self.stages(where, item.get("stages"))
            grades = item.get("grades")
            if grades is not None:
                if not isinstance(grades, list) or not grades:
                    self.add(where, "grades 应是年级数字的列表，例如 grades = [1, 2]；不写表示全部年级")
                else:
                    for g in grades:
                        if isinstance(g, bool) or not isinstance(g, int) or not 0 <= g <= 12:
                            self.add(where, f"grades 中的 {g!r} 不是 0-12 的年级数字")
                    dup = sorted({g for g in grades if isinstance(g, int) and grades.count(g) > 1})
                    if dup:
                        self.add(where, f"grades 中的年级重复：{_names(dup)}")
            self.rate(where, item)
            aliases = self.str_list(where, item.get("aliases"), "aliases", required=False, non_empty=False)
            if "note" in item and not isinstance(item["note"], str):
                self.add(where, "note 应是文字")
            self.periods(where, item.get("periods"))
            if isinstance(code, str):
                keys = {norm_text(a) for a in (code, name if isinstance(name, str) else "", *aliases)}
                out.append((code, stages, keys - {""}))
        self.alias_conflicts(out)
        return out

    def periods(self, where: str, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            self.add(where, "periods 应写成紧跟在该项目后面的 [[items.periods]] 段")
            return
        starts: dict[str, int] = {}
        for j, period in enumerate(value, 1):
            pwhere = f"{where} 的第 {j} 段 [[items.periods]]"
            if not isinstance(period, dict):
                self.add(pwhere, "应是一段 [[items.periods]]")
                continue
            self.unknown_keys(pwhere, period, _PERIOD_KEYS)
            start = period.get("from")
            if start is None:
                self.add(pwhere, "缺少 from（从哪个学期起执行，例如 from = \"2021秋\"）")
            elif not isinstance(start, str):
                self.add(pwhere, f"from 应写成带引号的学期，例如 \"2021秋\"，而不是 {start!r}")
            else:
                try:
                    canonical = parse_semester(start)[0]
                except ValueError:
                    self.add(pwhere, f"from“{start}”不是学期（应写成 2021春 或 2021秋）")
                else:
                    if canonical in starts:
                        self.add(pwhere, f"from“{start}”与第 {starts[canonical]} 段重复")
                    starts[canonical] = j
            self.rate(pwhere, period)
            if "note" in period and not isinstance(period["note"], str):
                self.add(pwhere, "note 应是文字")

    def alias_conflicts(self, items: list[tuple[str, list[str], set[str]]]) -> None:
        reported: set[tuple[str, str, str]] = set()
        for a in range(len(items)):
            for b in range(a + 1, len(items)):
                code_a, stages_a, keys_a = items[a]
                code_b, stages_b, keys_b = items[b]
                overlap = [s for s in STAGES if s in stages_a and s in stages_b]
                if not overlap:
                    continue
                for key in sorted(keys_a & keys_b):
                    if (key, code_a, code_b) in reported:
                        continue
                    reported.add((key, code_a, code_b))
                    self.add("aliases", f"“{key}”同时是 {code_a} 和 {code_b} 的名称或别名，而两者的学段重叠"
                                        f"（{_names(overlap)}），无法区分；同一写法只能用于学段不重叠的项目")

    def ignored(self, value: Any, items: list[tuple[str, list[str], set[str]]]) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            self.add("ignored_items", "应是用方括号写的列表")
            return
        for i, entry in enumerate(value, 1):
            where = f"ignored_items 第 {i} 个"
            if isinstance(entry, str):
                name, stages = entry, None
                if not entry.strip():
                    self.add(where, "是空白")
                    continue
            elif isinstance(entry, dict):
                self.unknown_keys(where, entry, ("name", "stages"))
                name = entry.get("name")
                if not _is_str(name):
                    self.add(where, "缺少 name（项目名称）")
                    continue
                stages = self.stages(where, entry["stages"]) if "stages" in entry else None
            else:
                self.add(where, f"应是文字或 {{ name = \"…\", stages = [\"…\"] }}，而不是 {entry!r}")
                continue
            key = norm_text(name)
            for code, item_stages, keys in items:
                if key not in keys:
                    continue
                if stages is None:
                    self.add(where, f"“{name}”也是 {code} 的名称或别名；如果只在其他学段不核对，请写成 "
                                    f"{{ name = \"{name}\", stages = [\"…\"] }}，列出不核对的学段")
                else:
                    overlap = [s for s in STAGES if s in stages and s in item_stages]
                    if overlap:
                        self.add(where, f"“{name}”在 {_names(overlap)} 学段是 {code} 的别名，"
                                        f"不能同时列为不核对")

    def tiers(self, value: Any, items: Any) -> None:
        if value is None:
            return
        if not isinstance(value, dict):
            self.add("[tiers]", "应写成 等级 = [\"其他写法\", …] 的形式")
            return
        owner: dict[str, str] = {}
        for tier, aliases in value.items():
            names = self.str_list(f"[tiers] 的“{tier}”", aliases, tier, non_empty=False)
            for alias in (tier, *names):
                key = norm_text(alias)
                if key in owner and owner[key] != tier:
                    self.add("[tiers]", f"“{alias}”同时出现在“{owner[key]}”和“{tier}”中")
                owner.setdefault(key, tier)
        if isinstance(items, list):
            for item in items:
                tables = [item] + list(item.get("periods") or []) if isinstance(item, dict) else []
                for t in tables:
                    by_tier = t.get("amount_by_tier") if isinstance(t, dict) else None
                    if isinstance(by_tier, dict):
                        for name in by_tier:
                            other = owner.get(norm_text(name))
                            if other is not None and other != name:
                                self.add(f"[[items]]（{item.get('code')}）",
                                         f"amount_by_tier 中的“{name}”在 [tiers] 中是“{other}”的别名；"
                                         f"请直接写“{other}”")

    def two_lists(self, section: str, value: Any, yes: str, no: str) -> None:
        where = f"[{section}]"
        if value is None:
            return
        if not isinstance(value, dict):
            self.add(where, f"应写成 [{section}] 段，其中有 {yes} 和 {no} 两个列表")
            return
        self.unknown_keys(where, value, (yes, no))
        first = self.str_list(where, value.get(yes), yes)
        second = self.str_list(where, value.get(no), no, required=False, non_empty=False)
        both = {norm_text(v): v for v in first}
        clash = [v for v in second if norm_text(v) in both]
        for v in clash:
            self.add(where, f"“{v}”同时列在 {yes} 和 {no} 中")

    def dropout(self, value: Any) -> None:
        if value is None:
            return
        where = "[dropout]"
        if not isinstance(value, dict):
            self.add(where, "应写成 [dropout] 段")
            return
        self.unknown_keys(where, value, _DROPOUT_KEYS)
        ages = {}
        for key, default in (("min_age", 6), ("max_age", 15)):
            age = value.get(key, default)
            if isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= 30:
                self.add(where, f"{key} 应是 0-30 的整数（周岁），而不是 {age!r}")
            else:
                ages[key] = age
        if len(ages) == 2 and ages["min_age"] > ages["max_age"]:
            self.add(where, f"min_age（{ages['min_age']}）不能大于 max_age（{ages['max_age']}）")
        age_on = value.get("age_on", "08-31")
        m = _AGE_ON_RE.match(age_on) if isinstance(age_on, str) else None
        if not m:
            self.add(where, f"age_on 应写成 \"月-日\"，例如 \"08-31\"，而不是 {age_on!r}")
        else:
            try:
                date(2001, int(m.group(1)), int(m.group(2)))
            except ValueError:
                self.add(where, f"age_on“{age_on}”不是有效日期（也不能用 2 月 29 日）")
        if "compulsory_stages" in value:
            self.stages(where, value["compulsory_stages"], "compulsory_stages")


def check_policy_data(data: Mapping[str, Any]) -> list[str]:
    """Step 1: every problem in parsed policy data, as Chinese sentences (empty = fine)."""
    return _Checker(data).run()


# =========================================================================== step 2: build


def _rate(table: Mapping[str, Any]) -> Rate:
    if "amount" in table:
        return Rate("fixed", (("", parse_amount(table["amount"])[0]),))
    if "amount_by_boarding" in table:
        by = table["amount_by_boarding"]
        return Rate("boarding", tuple((k, parse_amount(by[k])[0]) for k in BOARDING))
    return Rate("tier", tuple((k, parse_amount(v)[0]) for k, v in table["amount_by_tier"].items()))


def _dedupe(values: Any) -> tuple[str, ...]:
    seen: set[str] = set()
    out = []
    for v in values or ():
        key = norm_text(v)
        if key not in seen:
            seen.add(key)
            out.append(v.strip())
    return tuple(out)


def build_policy(data: Mapping[str, Any], source: str = DEFAULT_SOURCE) -> Policy:
    """Step 2: frozen Policy from data :func:`check_policy_data` found no problem in."""
    items = []
    for raw in data["items"]:
        periods = sorted(
            (Period(parse_semester(p["from"])[0], _rate(p), p.get("note", "")) for p in raw.get("periods", ())),
            key=lambda p: p.sort_key)
        grades = raw.get("grades")
        items.append(Item(
            code=raw["code"],
            name=raw["name"].strip(),
            stages=tuple(s for s in STAGES if s in raw["stages"]),
            grades=tuple(sorted(grades)) if grades is not None else None,
            rate=_rate(raw),
            periods=tuple(periods),
            aliases=_dedupe(raw.get("aliases")),
            note=raw.get("note", ""),
        ))
    ignored = []
    for entry in data.get("ignored_items", ()):
        if isinstance(entry, str):
            ignored.append(IgnoredName(entry.strip()))
        else:
            stages = entry.get("stages")
            ignored.append(IgnoredName(entry["name"].strip(),
                                       None if stages is None else tuple(s for s in STAGES if s in stages)))
    tiers = tuple(Tier(name, _dedupe(aliases)) for name, aliases in data.get("tiers", {}).items())
    dropout_raw = data.get("dropout", {})
    dropout = DropoutRule(
        min_age=dropout_raw.get("min_age", 6),
        max_age=dropout_raw.get("max_age", 15),
        age_on="{:02d}-{:02d}".format(*(int(x) for x in dropout_raw.get("age_on", "08-31").split("-"))),
        compulsory_stages=tuple(s for s in STAGES if s in dropout_raw.get("compulsory_stages", ("小学", "初中"))),
    )
    return Policy(
        items=tuple(items),
        ignored=tuple(ignored),
        eligible_statuses=_dedupe(data["statuses"]["eligible"]),
        ineligible_statuses=_dedupe(data["statuses"].get("ineligible")),
        active_statuses=_dedupe(data["roster"]["active"]),
        inactive_statuses=_dedupe(data["roster"].get("inactive")),
        jdlk_types=_dedupe(data["hardship"]["jdlk"]),
        other_hardship_types=_dedupe(data["hardship"].get("other")),
        tiers=tiers,
        dropout=dropout,
        title=data.get("title", ""),
        source=source,
    )


__all__ = [
    "DEFAULT_COLUMNS",
    "DEFAULT_POLICY",
    "IGNORED",
    "build_policy",
    "check_policy_data",
    "data_bytes",
    "load_policy",
    "parse_amount",
    "parse_toml",
    "policy_from_mapping",
]
