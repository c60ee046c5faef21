"""The policy in force, as frozen objects the rest of the code trusts.

Built only by :func:`jiaoyu_fupin.policy.load.load_policy` after every check has passed. All
money is :class:`decimal.Decimal` quantized to 0.01 yuan. Value comparisons (item names,
statuses, tiers) go through :func:`norm_text`: NFKC (full-width -> half-width), Chinese and
English brackets unified, every dash turned into ``-``, all whitespace removed, casefolded.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from jiaoyu_fupin.errors import PolicyError

#: Result of :meth:`Policy.resolve_item` for a payment the policy reads and counts but does not
#: judge (``ignored_items``). A plain string so that ``series == IGNORED`` works; item codes match
#: ``[A-Z][A-Z0-9_]*`` and can never equal it.
IGNORED: Final = "<ignored>"

#: The stages the policy knows, in school order.
STAGES: Final = ("幼儿园", "小学", "初中", "高中", "中职")

#: Grades making up the whole of a stage (for "grade unknown" entitlement). 幼儿园: any.
STAGE_GRADES: Final[Mapping[str, frozenset[int] | None]] = MappingProxyType({
    "幼儿园": None,
    "小学": frozenset(range(1, 7)),
    "初中": frozenset(range(7, 10)),
    "高中": frozenset(range(1, 4)),
    "中职": frozenset(range(1, 4)),
})

#: Boarding values the policy prices (amount_by_boarding keys).
BOARDING: Final = ("住校", "走读")

_STAGE_SYNONYMS = {
    "幼儿园": "幼儿园", "学前": "幼儿园", "学前教育": "幼儿园", "幼儿": "幼儿园", "幼儿教育": "幼儿园",
    "小学": "小学", "小学阶段": "小学",
    "初中": "初中", "初级中学": "初中", "初中阶段": "初中",
    "高中": "高中", "普通高中": "高中", "普高": "高中", "高级中学": "高中",
    "中职": "中职", "中等职业": "中职", "中等职业教育": "中职", "中等职业学校": "中职", "中专": "中职",
    "职高": "中职",
}

_BOARDING_SYNONYMS = {
    "住校": "住校", "住校生": "住校", "寄宿": "住校", "寄宿生": "住校", "住宿": "住校", "住读": "住校",
    "2": "住校", "02": "住校",
    "走读": "走读", "走读生": "走读", "非寄宿": "走读", "非寄宿生": "走读", "1": "走读", "01": "走读",
}

_SEMESTER_RE = re.compile(r"^(\d{4})(?:年)?(春|秋)(?:季)?(?:学期)?$")
_SEMESTER_EN_RE = re.compile(r"^(\d{4})-(spring|autumn|fall)$")

_TRANSLATE = str.maketrans({
    **{c: "-" for c in "‐‑‒–—―−─－﹣~～"},
    **{c: "(" for c in "【〔［[（﹙"},
    **{c: ")" for c in "】〕］]）﹚"},
})
_SPACE_RE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
_MULTI_SPLIT_RE = re.compile(r"[、，,；;/／|]+")


def is_blank(value: Any) -> bool:
    """True for None, NaN, pd.NA and strings made only of whitespace."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not _SPACE_RE.sub("", value)


def norm_text(value: Any) -> str:
    """Comparison key for item names, statuses, tiers: '' for blanks."""
    if is_blank(value):
        return ""
    text = unicodedata.normalize("NFKC", str(value)).translate(_TRANSLATE)
    return _SPACE_RE.sub("", text).casefold()


def normalize_stage(value: Any) -> str | None:
    """'普通高中' -> '高中'; a canonical stage or None when blank/unknown."""
    key = norm_text(value)
    return _STAGE_SYNONYMS.get(key) if key else None


def normalize_boarding(value: Any) -> str | None:
    """'寄宿生' / '2' -> '住校', '非寄宿' / '1' -> '走读'; None when blank/unknown ('其他', '9')."""
    key = norm_text(value)
    return _BOARDING_SYNONYMS.get(key) if key else None


def parse_semester(value: str) -> tuple[str, int]:
    """'2021秋' / '2021年秋季' / '2021-autumn' -> ('2021秋', sort key). ValueError otherwise."""
    key = norm_text(value)
    m = _SEMESTER_RE.match(key)
    if m:
        year, season = int(m.group(1)), m.group(2)
    else:
        m = _SEMESTER_EN_RE.match(key)
        if not m:
            raise ValueError(f"无法识别的学期：“{value}”（应写成 2021春 或 2021秋）")
        year, season = int(m.group(1)), ("春" if m.group(2) == "spring" else "秋")
    return f"{year}{season}", year * 2 + (1 if season == "秋" else 0)


def _grade_for(stage: str, grade: Any) -> int | None:
    """Grade as the policy numbers it (初中 7-9, 高中 1-3); tolerant of 初一=1 and 高一=10."""
    if grade is None or is_blank(grade):
        return None
    try:
        g = int(str(grade).strip())
    except ValueError:
        return None
    if stage == "初中" and 1 <= g <= 3:
        return g + 6
    if stage == "高中" and 10 <= g <= 12:
        return g - 9
    return g


def yuan(amount: Decimal) -> str:
    """Decimal -> '312.50'."""
    return f"{amount:.2f}"


# --------------------------------------------------------------------------- items and amounts


@dataclass(frozen=True)
class AmountResult:
    """What the policy says a student should get for one item in one semester.

    ``amount`` is None when the policy cannot say (tier without a standard, unknown boarding,
    …); ``reason`` then says why in Chinese, and ``candidates`` lists the amounts it could be.
    """

    amount: Decimal | None
    reason: str = ""
    candidates: tuple[Decimal, ...] = ()

    @property
    def checked(self) -> bool:
        return self.amount is not None


@dataclass(frozen=True)
class Rate:
    """One amount rule: a fixed amount, or a table by boarding (住校/走读) or by school tier."""

    kind: Literal["fixed", "boarding", "tier"]
    amounts: tuple[tuple[str, Decimal], ...]   # fixed: (("", amount),)

    @property
    def table(self) -> dict[str, Decimal]:
        return dict(self.amounts)

    def lookup(self, boarding: str | None, tier: str | None) -> AmountResult:
        """Amount for a student with this (already normalised) boarding and tier."""
        table = self.table
        if self.kind == "fixed":
            return AmountResult(table[""], "", (table[""],))
        candidates = tuple(sorted(set(table.values())))
        if self.kind == "boarding":
            if boarding in table:
                return AmountResult(table[boarding], "", candidates)
            if len(candidates) == 1:
                return AmountResult(candidates[0], "", candidates)
            return AmountResult(None, "就读方式（住校/走读）不明，无法确定标准", candidates)
        if tier is None:
            return AmountResult(None, "学校等级不明，不核对金额", candidates)
        if tier in table:
            return AmountResult(table[tier], "", candidates)
        return AmountResult(None, f"学校等级“{tier}”在政策中没有标准，不核对金额", candidates)

    def to_dict(self) -> dict[str, Any]:
        if self.kind == "fixed":
            return {"amount": yuan(self.amounts[0][1])}
        key = "amount_by_boarding" if self.kind == "boarding" else "amount_by_tier"
        return {key: {k: yuan(v) for k, v in self.amounts}}


@dataclass(frozen=True)
class Period:
    """A standard in force from semester ``start`` (canonical '2021秋') on."""

    start: str
    rate: Rate
    note: str = ""

    @property
    def sort_key(self) -> int:
        return parse_semester(self.start)[1]


@dataclass(frozen=True)
class Item:
    """One aid item the policy checks."""

    code: str
    name: str
    stages: tuple[str, ...]
    grades: tuple[int, ...] | None        # None = every grade of its stages
    rate: Rate                            # the base standard
    periods: tuple[Period, ...] = ()      # sorted by start
    aliases: tuple[str, ...] = ()         # as written in the policy (name and code match too)
    note: str = ""

    def covers(self, stage: str | None, grade: Any = None) -> bool:
        """Is a student at this stage/grade entitled to the item? Unknown grade: only when the
        item covers the whole stage."""
        stage = normalize_stage(stage)
        if stage is None or stage not in self.stages:
            return False
        if self.grades is None:
            return True
        g = _grade_for(stage, grade)
        if g is None:
            full = STAGE_GRADES.get(stage)
            return full is not None and full <= set(self.grades)
        return g in self.grades

    def rate_for(self, semester: str | None) -> Rate:
        """The rate in force in ``semester`` (latest period whose start ≤ semester, else base)."""
        if semester is None or not self.periods:
            return self.rate
        key = parse_semester(semester)[1]
        rate = self.rate
        for period in self.periods:
            if period.sort_key <= key:
                rate = period.rate
        return rate

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "name": self.name, "stages": list(self.stages)}
        if self.grades is not None:
            out["grades"] = list(self.grades)
        out.update(self.rate.to_dict())
        if self.periods:
            out["periods"] = [{"from": p.start, **p.rate.to_dict(), **({"note": p.note} if p.note else {})}
                              for p in self.periods]
        out["aliases"] = list(self.aliases)
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class IgnoredName:
    """A payment name read and counted but not judged; ``stages`` None = at every stage."""

    name: str
    stages: tuple[str, ...] | None = None

    def to_dict(self) -> str | dict[str, Any]:
        return self.name if self.stages is None else {"name": self.name, "stages": list(self.stages)}


@dataclass(frozen=True)
class Tier:
    """A school tier (省示范 …) and its other spellings."""

    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class DropoutRule:
    """控辍保学 window: aged min_age..max_age on month/day of the school year's first year."""

    min_age: int = 6
    max_age: int = 15
    age_on: str = "08-31"
    compulsory_stages: tuple[str, ...] = ("小学", "初中")

    def window(self, school_year: int) -> tuple[date, date]:
        month, day = (int(x) for x in self.age_on.split("-"))
        on = date(school_year, month, day)
        latest = on.replace(year=school_year - self.min_age)          # exactly min_age on `on`
        earliest = on.replace(year=school_year - self.max_age - 1) + timedelta(days=1)
        return earliest, latest


# --------------------------------------------------------------------------- value kinds

#: check_values kinds -> (Chinese noun, where to add it in policy.toml)
VALUE_KINDS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType({
    "item": ("资助项目", "[[items]] 的 aliases 或 ignored_items"),
    "poverty_status": ("脱贫属性", "[statuses] 的 eligible 或 ineligible"),
    "enrolment_status": ("学籍状态", "[roster] 的 active 或 inactive"),
    "hardship_type": ("家庭经济困难类型", "[hardship] 的 jdlk 或 other"),
    "tier": ("学校等级", "[tiers]"),
})


def _classify_map(true_values: tuple[str, ...], false_values: tuple[str, ...]) -> dict[str, bool]:
    table = {norm_text(v): False for v in false_values}
    table.update({norm_text(v): True for v in true_values})
    return table


def _series(values: Any) -> pd.Series:
    return values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)


def _vectorised(series: pd.Series, func) -> pd.Series:
    """Apply a scalar classifier to the distinct values of a Series; nullable boolean result."""
    series = _series(series)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    values = [func(v) for v in uniques]
    mapped = np.array([pd.NA if v is None else v for v in values] + [pd.NA], dtype=object)
    return pd.Series(mapped[codes], index=series.index, dtype="boolean", name=series.name)


# --------------------------------------------------------------------------- keyword fallback
# Exports from other provinces spell items and statuses in ways no list foresees. When a value is
# not listed exactly, these words decide it if they leave no doubt; the run reports every value
# decided this way (Policy.keyword_decisions) so the officer can check it. A value the words do
# not settle still stops the run.

_KIND_LABELS: Final = {"item": "资助项目名称", "poverty_status": "脱贫属性/监测对象类别",
                       "enrolment_status": "学籍状态", "hardship_type": "困难类型"}

_ITEM_KINDS: Final = (
    ("tuition", ("免学费", "免学杂费", "学杂费", "学费")),
    ("grant", ("助学金",)),
    ("living", ("生活补助", "生活费", "生活补贴", "寄宿生补助", "寄宿生补贴", "寄宿补助", "寄宿生资助")),
    ("preschool", ("保教费", "幼儿资助", "学前资助", "学前教育资助", "幼儿园补助", "儿童资助", "幼儿补助",
                   "学前补助", "保育费")),
)
_ITEM_IGNORE_WORDS: Final = ("贷款", "奖学金", "营养", "入学资助", "新生", "雨露", "路费", "教科书", "作业本",
                             "校服", "保险", "慰问", "助学贷")
_ITEM_STAGE_WORDS: Final = (
    ("中职", ("中职", "中等职业", "职高", "技工", "职业学校", "职业中学")),
    ("幼儿园", ("学前", "幼儿", "幼儿园")),
    ("高中", ("普通高中", "普高", "高中")),
    ("小学", ("小学",)),
    ("初中", ("初中",)),
)
_POVERTY_NO: Final = ("不再享受", "不享受", "已消除", "非贫困", "普通农户", "非建档", "一般农户")
_POVERTY_YES: Final = ("未脱贫", "返贫", "享受政策", "脱贫不稳定", "边缘", "突发", "监测", "贫困户", "脱贫户",
                       "已脱贫", "建档立卡")
_ROSTER_NO: Final = ("休学", "退学", "辍学", "流失", "毕业", "结业", "肄业", "转出", "转学", "死亡", "开除",
                     "下落不明", "出国", "停学", "离校", "保留入学", "注销")
_ROSTER_YES: Final = ("在读", "在籍", "在校", "正常", "复学", "就读")
_HARDSHIP_YES: Final = ("建档立卡", "脱贫", "监测", "防返贫", "贫困户")
_HARDSHIP_NO: Final = ("低保", "特困", "残疾", "孤儿", "五保", "困难", "其他", "烈士", "优抚", "单亲",
                       "事实无人抚养", "重病", "军人", "退役", "特殊", "一般")


def _kind_of(text: str) -> str | None:
    for kind, words in _ITEM_KINDS:
        if any(w in text for w in words):
            return kind
    return None


def _stages_in(text: str) -> set[str]:
    found: set[str] = set()
    for stage, words in _ITEM_STAGE_WORDS:
        if any(w in text for w in words):
            found.add(stage)
            if stage == "中职":   # 职业高中 also contains 高中
                break
    if not found and "义务教育" in text:
        found = {"小学", "初中"}
    return found


def _words_decide(key: str, yes: tuple[str, ...], no: tuple[str, ...], no_first: bool = True) -> bool | None:
    has_no = any(w in key for w in no)
    has_yes = any(w in key for w in yes)
    if has_no and has_yes:
        return not no_first
    if has_no:
        return False
    if has_yes:
        return True
    return None


# --------------------------------------------------------------------------- the policy


@dataclass(frozen=True)
class Policy:
    """The policy in force. Construct with :func:`jiaoyu_fupin.policy.load_policy`."""

    items: tuple[Item, ...]
    ignored: tuple[IgnoredName, ...] = ()
    eligible_statuses: tuple[str, ...] = ()
    ineligible_statuses: tuple[str, ...] = ()
    active_statuses: tuple[str, ...] = ()
    inactive_statuses: tuple[str, ...] = ()
    jdlk_types: tuple[str, ...] = ()
    other_hardship_types: tuple[str, ...] = ()
    tiers: tuple[Tier, ...] = ()
    dropout: DropoutRule = DropoutRule()
    title: str = ""
    source: str = "默认政策"       # the file it came from, or 默认政策

    _by_code: Mapping[str, Item] = field(init=False, repr=False, compare=False)
    _names: Mapping[str, tuple[tuple[str, tuple[str, ...] | None], ...]] = field(
        init=False, repr=False, compare=False)
    _status: Mapping[str, bool] = field(init=False, repr=False, compare=False)
    _roster: Mapping[str, bool] = field(init=False, repr=False, compare=False)
    _hardship: Mapping[str, bool] = field(init=False, repr=False, compare=False)
    _tiers: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "_by_code", MappingProxyType({it.code: it for it in self.items}))
        names: dict[str, list[tuple[str, tuple[str, ...] | None]]] = {}
        for it in self.items:
            for alias in {norm_text(a) for a in (it.code, it.name, *it.aliases)}:
                names.setdefault(alias, []).append((it.code, it.stages))
        for ig in self.ignored:
            names.setdefault(norm_text(ig.name), []).append((IGNORED, ig.stages))
        set_(self, "_names", MappingProxyType({k: tuple(v) for k, v in names.items()}))
        set_(self, "_status", MappingProxyType(_classify_map(self.eligible_statuses,
                                                             self.ineligible_statuses)))
        set_(self, "_roster", MappingProxyType(_classify_map(self.active_statuses,
                                                             self.inactive_statuses)))
        set_(self, "_hardship", MappingProxyType(_classify_map(self.jdlk_types,
                                                               self.other_hardship_types)))
        tiers: dict[str, str] = {}
        for it in self.items:
            if it.rate.kind == "tier":
                tiers.update({norm_text(k): k for k in it.rate.table})
            for p in it.periods:
                if p.rate.kind == "tier":
                    tiers.update({norm_text(k): k for k in p.rate.table})
        for tier in self.tiers:
            tiers[norm_text(tier.name)] = tier.name
            tiers.update({norm_text(a): tier.name for a in tier.aliases})
        set_(self, "_tiers", MappingProxyType(tiers))

    # ----------------------------------------------------------------- items

    def item(self, code: str) -> Item:
        """The item with this code; KeyError if the policy has none."""
        return self._by_code[code]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(it.code for it in self.items)

    @property
    def funded_stages(self) -> tuple[str, ...]:
        """Stages at least one item covers, in school order."""
        covered = {s for it in self.items for s in it.stages}
        return tuple(s for s in STAGES if s in covered)

    def entitled_items(self, stage: str | None, grade: Any = None) -> tuple[Item, ...]:
        """Items a student at this stage and grade is entitled to (grade None = unknown)."""
        return tuple(it for it in self.items if it.covers(stage, grade))

    def _candidates(self, name: Any) -> tuple[tuple[str, tuple[str, ...] | None], ...]:
        return self._names.get(norm_text(name), ())

    def resolve_item(self, name: Any, stage: Any = None) -> str | None:
        """Item code for a payment's item name at the student's stage, :data:`IGNORED` for an
        ignored item, None when the policy cannot say (unknown name, or a shared alias whose
        stage is unknown or matches none of its items). Names not listed are tried by their words
        (:meth:`resolve_by_keywords`)."""
        code = self._resolve_listed(name, stage)
        if code is None and not self._candidates(name):
            code = self.resolve_by_keywords(name, stage)
        return code

    def resolve_by_keywords(self, name: Any, stage: Any = None) -> str | None:
        """An unlisted item name decided by its words: kind (助学金 / 学费 / 生活补助 / 学前资助) and
        stage (from the name, else the student's), when exactly one item fits; IGNORED for loans,
        scholarships, nutrition and items of a stage the policy does not fund; None otherwise."""
        key = norm_text(name)
        if not key:
            return None
        if any(w in key for w in _ITEM_IGNORE_WORDS):
            return IGNORED
        st = normalize_stage(stage)
        named = _stages_in(key)
        stages = ({st} & named or named) if named else ({st} if st else set())
        if len(stages) != 1:
            return None
        (target,) = stages
        kind = _kind_of(key)
        if kind is None and not ("困难" in key and any(w in key for w in ("资助", "补助", "补贴"))):
            return None
        fits = [it for it in self.items if target in it.stages
                and (kind is None or kind == _kind_of(norm_text(it.name))
                     or any(kind == _kind_of(norm_text(a)) for a in it.aliases))]
        if kind is None and len(fits) != 1:
            return None
        if len(fits) == 1:
            return fits[0].code
        if not fits:
            return IGNORED if kind is not None else None
        return None

    def keyword_warning(self, kind: str, values: Any, stages: Any = None, *, where: str) -> str | None:
        """The run warning listing the values of ``kind`` in ``where`` that only their words
        classified (:meth:`keyword_decisions`, worked out on the distinct values), or None."""
        if stages is None:
            frame = pd.DataFrame({"v": np.asarray(values, dtype=object)}).drop_duplicates()
            got = self.keyword_decisions(kind, frame["v"])
        else:
            frame = pd.DataFrame({"v": np.asarray(values, dtype=object),
                                  "s": np.asarray(stages, dtype=object)}).drop_duplicates()
            got = self.keyword_decisions(kind, frame["v"], frame["s"])
        if not got:
            return None
        shown = "；".join(f"“{k}”→{v}" for k, v in list(got.items())[:20])
        more = f"（共 {len(got)} 个）" if len(got) > 20 else ""
        return (f"{where}中有政策文件未列出的{_KIND_LABELS[kind]}，已按字面判断，请核对"
                f"（判断不对时请在 policy.toml 中列出）：{shown}{more}")

    def keyword_decisions(self, kind: str, values: pd.Series, stages: pd.Series | None = None) -> dict[str, str]:
        """Values of ``kind`` that only the keyword fallback classified, with the decision in
        Chinese (for the run's warnings)."""
        out: dict[str, str] = {}
        vals = _series(values)
        if kind == "item":
            st = _series(stages) if stages is not None else pd.Series([None] * len(vals), dtype=object)
            pairs = set(zip(vals.map(norm_text), st.map(lambda x: normalize_stage(x) or "")))
            raw = dict(zip(vals.map(norm_text), vals))
            for key, stage in sorted(pairs):
                if key and not self._candidates(key):
                    code = self.resolve_by_keywords(key, stage or None)
                    if code is not None:
                        label = "不核对" if code == IGNORED else f"{code}（{self.item(code).name}）"
                        out[f"{raw[key]}" + (f"（{stage}）" if stage else "")] = label
            return out
        table, yes_no = {
            "poverty_status": (self._status, ("享受政策", "不享受政策")),
            "enrolment_status": (self._roster, ("在读", "不在读")),
            "hardship_type": (self._hardship, ("建档立卡", "非建档立卡")),
        }[kind]
        classify = {"poverty_status": self.is_eligible, "enrolment_status": self.is_active,
                    "hardship_type": self.is_jdlk}[kind]
        for v in pd.unique(vals.dropna()):
            key = norm_text(v)
            if key and key not in table:
                res = classify(v)
                if res is not None:
                    out[str(v)] = yes_no[0] if res else yes_no[1]
        return out

    def _resolve_listed(self, name: Any, stage: Any = None) -> str | None:
        """Item code for a payment's item name at the student's stage, :data:`IGNORED` for an
        ignored item, None when the policy cannot say (unknown name, or a shared alias whose
        stage is unknown or matches none of its items)."""
        candidates = self._candidates(name)
        if not candidates:
            return None
        st = normalize_stage(stage)
        if st is not None:
            items = {c for c, stages in candidates if c != IGNORED and stages and st in stages}
            if len(items) == 1:
                return items.pop()
            if not items and any(c == IGNORED and (s is None or st in s) for c, s in candidates):
                return IGNORED
        targets = {c for c, _ in candidates}
        return targets.pop() if len(targets) == 1 else None

    def resolve_items(self, names: pd.Series, stages: pd.Series | None = None) -> pd.Series:
        """Vectorised :meth:`resolve_item`: object Series of code / IGNORED / None, same index.
        Work is done once per distinct (name, stage) pair."""
        names = _series(names)
        if stages is None:
            stages = pd.Series([None] * len(names), index=names.index, dtype=object)
        keys = pd.MultiIndex.from_arrays([
            pd.Series(names, dtype=object).fillna("").to_numpy(dtype=object),
            pd.Series(stages, dtype=object).fillna("").to_numpy(dtype=object),
        ])
        codes, uniques = pd.factorize(keys)
        resolved = np.array([self.resolve_item(n, s) for n, s in uniques] + [None], dtype=object)
        return pd.Series(resolved[codes], index=names.index, dtype=object, name=names.name)

    def unknown_item_names(self, names: pd.Series, stages: pd.Series | None = None) -> dict[str, int]:
        """Item names (as first written) the policy cannot resolve, with their row counts,
        most frequent first. Blank names count under ''."""
        names = _series(names)
        resolved = self.resolve_items(names, stages)
        bad = names[resolved.isna().to_numpy()]
        return _count_raw(bad)

    # ----------------------------------------------------------------- amounts

    def normalize_tier(self, tier: Any) -> str | None:
        """'省级示范高中' -> '省示范'; None when blank or not known to the policy."""
        key = norm_text(tier)
        return self._tiers.get(key) if key else None

    def amount_result(self, code: str, semester: str | None, boarding: Any = None,
                      tier: Any = None) -> AmountResult:
        """The standard for ``code`` in ``semester`` (canonical '2020秋'; None = base standard)
        for a student with this boarding (住校/走读 or a synonym/code) and school tier."""
        rate = self.item(code).rate_for(semester)
        if rate.kind == "tier" and not is_blank(tier) and self.normalize_tier(tier) is None:
            return AmountResult(None, f"学校等级“{tier}”在政策中没有说明，不核对金额",
                                tuple(sorted(set(rate.table.values()))))
        return rate.lookup(normalize_boarding(boarding), self.normalize_tier(tier))

    def amount(self, code: str, semester: str | None, boarding: Any = None,
               tier: Any = None) -> Decimal | None:
        """Amount the policy promises, or None = not checked (see :meth:`amount_result`)."""
        return self.amount_result(code, semester, boarding, tier).amount

    # ----------------------------------------------------------------- classifications

    def is_eligible(self, status: Any) -> bool | None:
        """Registry poverty status: True eligible, False ineligible, None unlisted or blank."""
        key = norm_text(status)
        found = self._status.get(key)
        if found is None and key:
            found = _words_decide(key, _POVERTY_YES, _POVERTY_NO)
        return found

    def eligibility(self, statuses: pd.Series) -> pd.Series:
        """Vectorised :meth:`is_eligible` (nullable boolean; NA = unlisted)."""
        return _vectorised(statuses, self.is_eligible)

    def is_active(self, enrolment_status: Any) -> bool | None:
        """Roster 学籍状态: True active, False inactive, None unlisted or blank."""
        key = norm_text(enrolment_status)
        found = self._roster.get(key)
        if found is None and key:
            found = _words_decide(key, _ROSTER_YES, _ROSTER_NO, no_first="复学" not in key)
        return found

    def activity(self, statuses: pd.Series) -> pd.Series:
        """Vectorised :meth:`is_active` (nullable boolean; NA = unlisted)."""
        return _vectorised(statuses, self.is_active)

    def is_jdlk(self, hardship_type: Any) -> bool | None:
        """家庭经济困难类型: True 建档立卡, False another listed type, None unlisted or blank.
        A cell holding several types ('低保、建档立卡') is 建档立卡 if any part is; otherwise
        it is False only if every part is listed."""
        key = norm_text(hardship_type)
        if key in self._hardship:
            return self._hardship[key]
        parts = [p for p in _MULTI_SPLIT_RE.split(key) if p]
        found = [self._hardship.get(p) for p in parts]
        if len(parts) > 1:
            if any(f is True for f in found):
                return True
            if all(f is not None for f in found):
                return False
        if not key:
            return None
        if "非建档" in key or "非贫困" in key:
            return False
        return _words_decide(key, _HARDSHIP_YES, _HARDSHIP_NO, no_first=False)

    def jdlk(self, hardship_types: pd.Series) -> pd.Series:
        """Vectorised :meth:`is_jdlk` (nullable boolean; NA = unlisted)."""
        return _vectorised(hardship_types, self.is_jdlk)

    def _known(self, kind: str, value: Any) -> bool:
        if kind == "item":
            return self.resolve_item(value) is not None
        if kind == "poverty_status":
            return self.is_eligible(value) is not None
        if kind == "enrolment_status":
            return self.is_active(value) is not None
        if kind == "hardship_type":
            return self.is_jdlk(value) is not None
        if kind == "tier":
            return self.normalize_tier(value) is not None
        raise ValueError(f"unknown value kind {kind!r}; expected one of {sorted(VALUE_KINDS)}")

    def unknown_values(self, kind: str, values: pd.Series,
                       stages: pd.Series | None = None) -> dict[str, int]:
        """Values of ``kind`` the policy does not classify, with row counts (most first).
        For ``item``, pass the students' stages so shared aliases resolve."""
        if kind == "item":
            return self.unknown_item_names(values, stages)
        if kind not in VALUE_KINDS:
            raise ValueError(f"unknown value kind {kind!r}")
        counts = _count_raw(values)
        return {v: n for v, n in counts.items() if not self._known(kind, v)}

    def check_values(self, kind: str, counts: Mapping[str, int], where: str | None = None) -> None:
        """Raise PolicyError naming every value in ``counts`` the policy does not classify.

        ``counts`` maps raw value -> row count; it may hold every value seen (known ones are
        dropped) or the output of :meth:`unknown_values` / :meth:`unknown_item_names` (item
        names that are known aliases but unresolvable at their rows' stage are kept and
        explained). ``where`` (e.g. a file name) prefixes the message.
        """
        if kind not in VALUE_KINDS:
            raise ValueError(f"unknown value kind {kind!r}")
        bad = [(v, n) for v, n in counts.items() if not self._known(kind, v)]
        if not bad:
            return
        bad.sort(key=lambda vn: (-vn[1], vn[0]))
        noun, place = VALUE_KINDS[kind]
        shown = bad[:12]
        listed = "、".join(self._describe(kind, v, n) for v, n in shown)
        if len(bad) > len(shown):
            rest = sum(n for _, n in bad[len(shown):])
            listed += f" 等共 {len(bad)} 种（其余 {len(bad) - len(shown)} 种 {rest} 行；如值很多，可能是列对应错了，请用 fupin inspect 查看）"
        if self.source == "默认政策":
            fix = (f"请运行 fupin init 生成 policy.toml，在其中 {place} 中补充，"
                   f"并用 --policy 指定该文件")
            head = f"默认政策未说明以下{noun}"
        else:
            fix = f"请在 policy.toml 的 {place} 中补充"
            head = f"policy.toml（{self.source}）未说明以下{noun}"
        message = f"{head}：{listed}；{fix}"
        raise PolicyError(f"{where}：{message}" if where else message)

    def _describe(self, kind: str, value: str, count: int) -> str:
        shown = "空白" if is_blank(value) else f"“{value}”"
        if kind == "item":
            found = {c for c, _ in self._candidates(value)}
            targets = [c for c in self.codes if c in found] + (["不核对"] if IGNORED in found else [])
            if len(targets) > 1:
                return f"{shown}（{count} 行；可能是 {'、'.join(targets)}，但这些行的学段无法确定是哪一个）"
        return f"{shown}（{count} 行）"

    # ----------------------------------------------------------------- dropout and export

    def dropout_window(self, school_year: int) -> tuple[date, date]:
        """Birth dates (inclusive) of the children the 控辍保学 check covers in ``school_year``
        (2019 = the 2019-2020 school year -> 2003-09-01 … 2013-08-31 by default)."""
        return self.dropout.window(school_year)

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain data (amounts as '312.50' strings) for run.json and 说明 sheets."""
        return {
            "source": self.source,
            "title": self.title,
            "items": [it.to_dict() for it in self.items],
            "ignored_items": [ig.to_dict() for ig in self.ignored],
            "tiers": {t.name: list(t.aliases) for t in self.tiers},
            "statuses": {"eligible": list(self.eligible_statuses),
                         "ineligible": list(self.ineligible_statuses)},
            "roster": {"active": list(self.active_statuses), "inactive": list(self.inactive_statuses)},
            "hardship": {"jdlk": list(self.jdlk_types), "other": list(self.other_hardship_types)},
            "dropout": {"min_age": self.dropout.min_age, "max_age": self.dropout.max_age,
                        "age_on": self.dropout.age_on,
                        "compulsory_stages": list(self.dropout.compulsory_stages)},
        }


def _count_raw(values: pd.Series) -> dict[str, int]:
    """Row counts per distinct value, keyed by the first raw spelling of each normalised value;
    blanks under ''. Most frequent first. Work is per distinct raw value."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if series.empty:
        return {}
    counts = series.value_counts(dropna=False, sort=False)
    merged: dict[str, list] = {}
    for raw, n in counts.items():
        shown = "" if is_blank(raw) else str(raw)
        entry = merged.setdefault(norm_text(shown), [shown, 0])
        entry[1] += int(n)
    ordered = sorted(merged.values(), key=lambda e: -e[1])
    return {shown: n for shown, n in ordered}
