"""Synthetic name pools (no real people), homophones, traditional forms and name keys."""

from __future__ import annotations

import random
import unicodedata
from functools import cache

# Surnames with rough weights (common ones heavier). Polyphonic and compound surnames included.
SURNAMES = (
    ("王", 9), ("李", 9), ("张", 8), ("刘", 6), ("陈", 6), ("杨", 4), ("黄", 3), ("赵", 3), ("吴", 3),
    ("周", 3), ("徐", 2), ("孙", 2), ("马", 2), ("朱", 2), ("胡", 2), ("郭", 2), ("何", 2), ("高", 2),
    ("林", 2), ("罗", 2), ("郑", 2), ("梁", 1), ("谢", 1), ("宋", 1), ("唐", 1), ("许", 1), ("韩", 1),
    ("冯", 1), ("邓", 1), ("曹", 1), ("彭", 1), ("肖", 1), ("田", 1), ("董", 1), ("袁", 1), ("潘", 1),
    ("蒋", 1), ("蔡", 1), ("余", 1), ("杜", 1), ("叶", 1), ("程", 1), ("苏", 1), ("魏", 1), ("吕", 1),
    ("丁", 1), ("任", 1), ("沈", 1), ("姚", 1), ("卢", 1), ("姜", 1), ("崔", 1), ("钟", 1), ("谭", 1),
    ("陆", 1), ("汪", 2), ("范", 1), ("金", 1), ("石", 1), ("廖", 1), ("方", 1), ("江", 1), ("鲍", 1),
    ("储", 1), ("查", 1), ("舒", 1), ("项", 1), ("詹", 1), ("毕", 1), ("洪", 1), ("凌", 1),
    # polyphonic surnames (REFERENCE §6)
    ("单", 1), ("曾", 1), ("解", 1), ("区", 1), ("仇", 1), ("朴", 1), ("覃", 1),
    # compound surnames
    ("欧阳", 1), ("司马", 1),
)
_SUR_LIST = [s for s, _ in SURNAMES]
_SUR_W = [w for _, w in SURNAMES]

SURNAME_READING = {
    "单": "shan", "曾": "zeng", "解": "xie", "区": "ou", "仇": "qiu", "朴": "piao", "覃": "qin",
    "查": "zha", "欧阳": "ou yang", "司马": "si ma",
}
POLYPHONIC = ("单", "曾", "解", "区", "仇", "朴", "覃")
COMPOUND = ("欧阳", "司马")

MALE = ("伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欢阳建亮成志峰晨博文轩泽睿然"
        "哲豪锐铭霖宸航翔昊天一逸晟源柏嘉鸿毅诚德康乐安荣兴旺盛福")
FEMALE = ("芳娜敏静丽艳娟霞秀玲桂英燕萍红婷雪琳慧颖倩欣悦怡涵萱梦瑶雨佳琪璐思诗晗妍彤菲月蕾洁娅"
          "可馨若语依诺沫冰兰美丹莉巧春凤梅琴云珍")
ELDER_MALE = "国建华德明福贵发生金荣根海水林树山忠全富"
ELDER_FEMALE = "秀英兰凤珍花翠玉芝桂梅琴娥香云菊莲"

# Uyghur-style names (given·father's given) for a few minority households
MINORITY_MALE = ("买买提", "艾力", "吐尔逊", "阿不都", "热合曼", "艾则孜", "伊力哈木", "亚森")
MINORITY_FEMALE = ("阿依古丽", "古丽娜尔", "热依拉", "帕提古丽", "米日古丽", "努尔古丽", "阿依努尔")
SEPARATORS = ("·", "•", "・", ".")  # middle dot is the registry form

# Rare characters (生僻字) some systems cannot store
RARE_CHARS = ("𠮷", "䶮", "堃")

# Candidate homophone groups (verified with pypinyin at runtime)
HOMOPHONE_GROUPS = (
    "丽莉利立", "伟玮炜维", "静婧靖", "明鸣铭", "杰洁婕", "华桦骅", "军君钧", "芳方舫", "婷亭庭",
    "燕艳彦", "宇雨羽语", "涛韬", "欣馨新心", "佳嘉家", "浩昊皓", "轩萱宣", "琳林霖", "晨辰宸",
    "慧惠蕙", "思斯丝", "雪薛", "琪琦淇棋", "梦孟", "瑶遥", "凯恺铠", "鹏朋", "阳洋扬", "博柏",
)

# Characters whose OpenCC single-character s2t is not used for the surname in real life.
_NO_TRAD_SURNAME = set("范沈余钟后姜叶")


@cache
def _pinyin_char(ch: str) -> str:
    from pypinyin import lazy_pinyin
    return lazy_pinyin(ch)[0]


@cache
def _opencc(kind: str):
    import opencc
    return opencc.OpenCC(kind)


@cache
def to_simplified_char(ch: str) -> str:
    return _opencc("t2s").convert(ch)


@cache
def to_traditional_char(ch: str) -> str:
    t = _opencc("s2t").convert(ch)
    return t if to_simplified_char(t) == ch else ch


def to_traditional(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if i == 0 and ch in _NO_TRAD_SURNAME:
            out.append(ch)
        else:
            out.append(to_traditional_char(ch))
    return "".join(out)


def strip_name(name: str) -> str:
    """Formatting-free form: NFKC, simplified per character, no spaces or separators."""
    s = unicodedata.normalize("NFKC", name)
    s = "".join(to_simplified_char(c) for c in s)
    for sep in SEPARATORS + (" ", "\u3000", "\t", "・", "·", "•"):
        s = s.replace(sep, "")
    return s


def split_surname(name: str) -> tuple[str, str]:
    if name[:2] in COMPOUND:
        return name[:2], name[2:]
    return name[:1], name[1:]


def pinyin_key(name: str, surname_table: bool = True) -> str:
    s = strip_name(name)
    if not s:
        return ""
    sur, rest = split_surname(s)
    if surname_table and sur in SURNAME_READING:
        head = SURNAME_READING[sur]
    else:
        head = " ".join(_pinyin_char(c) for c in sur)
    return " ".join([head] + [_pinyin_char(c) for c in rest])


def name_keys(name: str) -> set[str]:
    """Every key under which two names could be considered the same person (guards)."""
    s = strip_name(name)
    return {"n:" + s, "p:" + pinyin_key(s, True), "p:" + pinyin_key(s, False)}


def names_agree(a: str, b: str) -> bool:
    """Same after formatting, or homophones."""
    return strip_name(a) == strip_name(b) or pinyin_key(a) == pinyin_key(b)


@cache
def homophone_map() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for group in HOMOPHONE_GROUPS:
        for ch in group:
            alts = tuple(o for o in group if o != ch and _pinyin_char(o) == _pinyin_char(ch))
            if alts:
                out[ch] = alts
    return out


def homophone_variant(name: str, rng: random.Random) -> str | None:
    """The name with one given-name character replaced by a homophone, or None."""
    sur, given = split_surname(name)
    hm = homophone_map()
    spots = [i for i, ch in enumerate(given) if ch in hm]
    if not spots:
        return None
    i = rng.choice(spots)
    return sur + given[:i] + rng.choice(hm[given[i]]) + given[i + 1:]


def pick_surname(rng: random.Random) -> str:
    return rng.choices(_SUR_LIST, weights=_SUR_W)[0]


def given_name(rng: random.Random, sex: str, elder: bool = False) -> str:
    if elder:
        pool = ELDER_MALE if sex == "男" else ELDER_FEMALE
    else:
        pool = MALE if sex == "男" else FEMALE
    n = 1 if rng.random() < 0.25 else 2
    return "".join(rng.choice(pool) for _ in range(n))


def minority_given(rng: random.Random, sex: str) -> str:
    return rng.choice(MINORITY_MALE if sex == "男" else MINORITY_FEMALE)
