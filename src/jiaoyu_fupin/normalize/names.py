"""Person names: normal form, pinyin keys and a graded name agreement.

Normal form (:func:`normalize_name`), in this order:

1. NFKC (full-width letters/digits/punctuation -> half-width, compatibility ideographs -> unified);
2. a leading apostrophe and a ``="…"`` wrapper are removed; all whitespace is removed (ASCII and
   Unicode spaces, full-width space, tabs, newlines, zero-width characters, BOM, soft hyphen,
   control characters);
3. traditional -> simplified **one character at a time** (OpenCC ``t2s`` on each distinct
   character, cached). Whole-string conversion applies phrase rules that change names (沈靜 ->
   沉静). A few characters that are standard simplified characters in names are kept
   (乾 qián, 於 the surname, 昇, 陞, 吒);
4. minority-name separators (· • ・ ‧ . ． ⋅ ∙ 丶 ･ ᐧ ⸱ ꞏ and the other middle dots) -> ``·``;
   repeats collapsed, stripped at both ends.

Latin letters keep their case in the normal form; comparisons fold case.

Pinyin keys: toneless pinyin per character (pypinyin's first reading, ``ü`` written ``v``), joined
by single spaces: ``张三`` -> ``zhang san``. The first character uses a surname table (单 shan,
曾 zeng, 解 xie, 区 ou …; compound surnames such as 尉迟 yu chi, 万俟 mo qi first). Separators are
dropped; characters pypinyin does not know stay as themselves. A run of Latin letters (a name
written in pinyin, or a rare character some system replaced by its pinyin) is split into pinyin
syllables when it can be (``ZhangSan`` -> ``zhang san``), else kept as one lowercase token.

:func:`pinyin_loose_key` folds common regional confusions (zh/ch/sh -> z/c/s, final ng -> n,
initial l -> n); it is a weaker signal only.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from .values import map_distinct

__all__ = [
    "AGREEMENTS",
    "DIFFERENT",
    "HOMOPHONE",
    "MISSING",
    "SAME",
    "SIMILAR",
    "initials",
    "initials_series",
    "name_agreement",
    "name_agreements",
    "normalize_name",
    "normalize_names",
    "pinyin_key",
    "pinyin_key_normalized",
    "pinyin_keys",
    "pinyin_loose_key",
    "pinyin_loose_keys",
]

SAME = "same"
HOMOPHONE = "homophone"
SIMILAR = "similar"
DIFFERENT = "different"
MISSING = "missing"
#: All values :func:`name_agreement` returns, strongest first.
AGREEMENTS = (SAME, HOMOPHONE, SIMILAR, DIFFERENT, MISSING)

# --------------------------------------------------------------------------------------------
# normal form
# --------------------------------------------------------------------------------------------

_WS_RE = re.compile(r"[\s\u200b-\u200f\u2028-\u202f\u2060-\u2064\ufeff\u00ad\u180e\x00-\x1f\x7f]+")
_SEPARATORS = "·•・‧.．⋅∙丶･ᐧ⸱ꞏ·᛫⦁⚫●◦。"
_SEP_RE = re.compile("[" + re.escape(_SEPARATORS) + "]+")
_WRAPPER_RE = re.compile(r'^="(.*)"$', re.DOTALL)

#: Characters OpenCC t2s would change although they are standard simplified characters in names.
_KEEP_CHARS = frozenset("乾於昇陞吒")


class _T2SChars(dict):
    """``str.translate`` table: code point -> simplified character, filled on first use."""

    def __init__(self) -> None:
        super().__init__()
        self._cc = None

    def __missing__(self, key: int) -> str:
        ch = chr(key)
        if key < 0x2E80 or ch in _KEEP_CHARS:  # below the CJK blocks nothing converts
            self[key] = ch
            return ch
        if self._cc is None:
            import opencc

            self._cc = opencc.OpenCC("t2s")
        out = self._cc.convert(ch)
        # fixpoint, so that conversion is idempotent
        for _ in range(3):
            nxt = self._cc.convert(out)
            if nxt == out:
                break
            out = nxt
        self[key] = out
        return out


_T2S = _T2SChars()


def _to_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else str(value)
    if value is pd.NA:
        return ""
    return str(value)


#: a name of CJK Unified Ideographs only (U+4E00-U+9FFF: NFKC leaves them alone, no spaces or
#: separators): the common case, normalised by the t2s table alone
def _plain_han_re() -> re.Pattern:
    """CJK Unified Ideographs U+4E00-U+9FFF, less the separators among them (丶)."""
    cuts = sorted(ord(c) for c in _SEPARATORS if 0x4E00 <= ord(c) <= 0x9FFF)
    starts, ends = [0x4E00] + [c + 1 for c in cuts], [c - 1 for c in cuts] + [0x9FFF]
    return re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in zip(starts, ends) if a <= b) + "]+")


_PLAIN_HAN_RE = _plain_han_re()


def normalize_name(value: Any) -> str:
    """Name cell -> normal form (see module doc). None/NaN -> ''. Idempotent."""
    text = _to_text(value)
    if not text:
        return ""
    if _PLAIN_HAN_RE.fullmatch(text):
        out = text.translate(_T2S)
        if _PLAIN_HAN_RE.fullmatch(out):   # every later step leaves such a name unchanged
            return out
    text = unicodedata.normalize("NFKC", text)
    text = _WS_RE.sub("", text)
    m = _WRAPPER_RE.match(text)
    if m:
        text = m.group(1)
    text = text.lstrip("'")
    text = text.translate(_T2S)
    # t2s may produce compatibility forms only in theory; keep the result NFKC-stable
    text = unicodedata.normalize("NFKC", text)
    text = _SEP_RE.sub("·", text).strip("·")
    if text.startswith("'") or _WRAPPER_RE.match(text):  # "''x" or '="…"' nested: repeat
        return normalize_name(text)
    return text


def normalize_names(series: Any) -> pd.Series:
    """Vectorised :func:`normalize_name` (str Series, '' for missing)."""
    return map_distinct(series, normalize_name)


# --------------------------------------------------------------------------------------------
# pinyin
# --------------------------------------------------------------------------------------------

#: First-character readings of polyphonic surnames (pypinyin reads them as common words).
SURNAME_READINGS: dict[str, str] = {
    "单": "shan", "曾": "zeng", "解": "xie", "区": "ou", "仇": "qiu", "朴": "piao", "覃": "qin",
    "查": "zha", "盖": "ge", "缪": "miao", "尉": "wei", "乐": "yue", "召": "shao", "种": "chong",
    "黑": "he", "员": "yun", "阚": "kan", "秘": "bi", "翟": "zhai", "繁": "po", "句": "gou",
    "卜": "bu", "薄": "bo", "柏": "bai", "重": "chong", "隗": "wei", "洗": "xian", "长": "chang",
    "藏": "zang", "能": "nai", "折": "she", "都": "du", "蔚": "yu", "祭": "zhai", "角": "jue",
    "乜": "nie", "粘": "nian", "蕃": "pi", "率": "shuai", "宓": "mi", "行": "xing", "莘": "shen",
    "万": "wan", "任": "ren", "沈": "shen", "石": "shi", "车": "che", "贲": "ben", "冼": "xian",
    "过": "guo", "燕": "yan", "华": "hua", "相": "xiang", "牟": "mou", "朝": "chao", "和": "he",
    "那": "na", "眭": "sui", "厍": "she", "缴": "jiao", "佘": "she", "恽": "yun", "郇": "huan",
}

#: Compound surnames whose reading differs from the characters' common readings.
COMPOUND_SURNAMES: dict[str, tuple[str, ...]] = {
    "尉迟": ("yu", "chi"), "万俟": ("mo", "qi"), "单于": ("chan", "yu"), "长孙": ("zhang", "sun"),
    "澹台": ("tan", "tai"), "乐正": ("yue", "zheng"), "中行": ("zhong", "hang"),
    "令狐": ("ling", "hu"), "欧阳": ("ou", "yang"), "诸葛": ("zhu", "ge"), "宰父": ("zai", "fu"),
    "亓官": ("qi", "guan"), "仉督": ("zhang", "du"),
}

_CHAR_PINYIN: dict[str, str] = {}
_LATIN_RE = re.compile(r"[a-zA-Z\u00c0-\u024f]+")  # ASCII letters and Latin-1/Extended-A/B


def _char_pinyin(ch: str) -> str:
    py = _CHAR_PINYIN.get(ch)
    if py is None:
        from pypinyin import Style, lazy_pinyin

        out = lazy_pinyin(ch, style=Style.NORMAL, errors=lambda x: [x])
        py = out[0] if out else ch
        _CHAR_PINYIN[ch] = py
    return py


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """All toneless pinyin syllables pypinyin knows (ü written v), plus common variants."""
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.pinyin_dict import pinyin_dict

    out: set[str] = set()
    for readings in pinyin_dict.values():
        for r in readings.split(","):
            n = to_normal(r)
            if n.isascii() and n.isalpha():
                out.add(n)
    out.update({"lve", "nve", "lu", "nu", "lyu", "nyu"})
    out.discard("")
    return frozenset(out)


@lru_cache(maxsize=65536)
def _segment_latin(run: str) -> tuple[str, ...]:
    """Split a lowercase Latin run into pinyin syllables (fewest syllables; longer first
    syllable on ties). Returns ``(run,)`` when it is not pinyin."""
    s = run.lower().replace("ü", "v").replace("u:", "v")
    s = "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))
    syl = _syllables()
    n = len(s)
    best: list[tuple[int, ...] | None] = [None] * (n + 1)
    best[n] = ()
    for i in range(n - 1, -1, -1):
        cand: tuple[int, ...] | None = None
        for j in range(min(n, i + 6), i, -1):  # longest syllable first
            if s[i:j] in syl and best[j] is not None:
                c = (j,) + best[j]  # type: ignore[operator]
                if cand is None or len(c) < len(cand):
                    cand = c
        best[i] = cand
    if best[0] is None or n == 0:
        return (s,) if s else ()
    parts, start = [], 0
    for end in best[0]:
        parts.append(s[start:end])
        start = end
    return tuple(parts)


def _tokens(norm: str) -> tuple[str, ...]:
    """Pinyin syllables of a normalised name."""
    if not norm:
        return ()
    toks: list[str] = []
    i = 0
    first = True
    if norm[:2] in COMPOUND_SURNAMES:
        toks.extend(COMPOUND_SURNAMES[norm[:2]])
        i = 2
        first = False
    n = len(norm)
    while i < n:
        ch = norm[i]
        if ch == "·":
            i += 1
            continue
        m = _LATIN_RE.match(norm, i)
        if m:
            toks.extend(_segment_latin(m.group(0).lower()))
            i = m.end()
            first = False
            continue
        if first and ch in SURNAME_READINGS:
            toks.append(SURNAME_READINGS[ch])
        else:
            py = _char_pinyin(ch)
            toks.append(py.lower() if py.isascii() else py)
        first = False
        i += 1
    return tuple(toks)


_HAN_TOKEN: dict[str, str] = {}


def _han_token(ch: str) -> str:
    tok = _HAN_TOKEN.get(ch)
    if tok is None:
        py = _char_pinyin(ch)
        tok = _HAN_TOKEN[ch] = py.lower() if py.isascii() else py
    return tok


def _key_normalized(norm: str) -> str:
    if _PLAIN_HAN_RE.fullmatch(norm):
        # the loop of _tokens for a name of plain characters: no separators, no Latin runs
        if norm[:2] in COMPOUND_SURNAMES:
            head, rest = list(COMPOUND_SURNAMES[norm[:2]]), norm[2:]
        else:
            first = norm[0]
            head, rest = [SURNAME_READINGS.get(first) or _han_token(first)], norm[1:]
        return " ".join(head + [_HAN_TOKEN.get(c) or _han_token(c) for c in rest])
    return " ".join(_tokens(norm))


def pinyin_key(name: Any) -> str:
    """Toneless pinyin of a name, syllables joined by spaces: ``单田芳`` -> ``shan tian fang``.

    The name is normalised first, so ``pinyin_key(x) == pinyin_key(normalize_name(x))``.
    """
    return _key_normalized(normalize_name(name))


def pinyin_key_normalized(norm: str) -> str:
    """:func:`pinyin_key` of a name already in normal form (:func:`normalize_name`)."""
    return _key_normalized(norm)


def _distinct(values: Any) -> tuple[np.ndarray, list]:
    codes, uniques = pd.factorize(pd.Series(values, dtype=object, copy=False), use_na_sentinel=True)
    return np.where(codes < 0, len(uniques), codes), list(uniques)


def _plain_han_mask(texts: list) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array([t if type(t) is str else None for t in texts], type=pa.string())
    return pc.fill_null(pc.match_substring_regex(arr, "^" + _PLAIN_HAN_RE.pattern + "$"), False).to_numpy(
        zero_copy_only=False)


def normalize_names_array(values: Any) -> np.ndarray:
    """:func:`normalize_name` of each value (object array; '' for missing), once per distinct
    value. A name of plain characters that the t2s table leaves alone — nearly every name — is
    its own normal form and keeps its string object."""
    codes, uniq = _distinct(values)
    return _normalize_distinct(uniq)[0][codes]


def names_and_keys_array(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """(:func:`normalize_names_array`, :func:`pinyin_keys_array` of it) with one pass over the
    rows: both are worked out on the distinct values."""
    codes, uniq = _distinct(values)
    plain = _plain_han_mask(uniq) if uniq else np.zeros(0, dtype=bool)
    norm, kept = _normalize_distinct(uniq, plain)
    # a plain name the t2s table left alone is its own normal form, so still plain: only the
    # others need the pattern again
    norm_plain = np.zeros(len(norm), dtype=bool)
    norm_plain[:-1] = plain & kept
    redo = np.flatnonzero(~norm_plain[:-1])
    if len(redo):
        norm_plain[redo] = _plain_han_mask([norm[i] for i in redo.tolist()])
    return norm[codes], _pinyin_keys_distinct(norm, norm_plain)[codes]


def _normalize_distinct(uniq: list, plain: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """normalize_name of each distinct value, plus '' (for missing) at the end; and a mask of the
    values that are their own normal form because they are plain characters t2s leaves alone.
    ``plain``: :func:`_plain_han_mask` of ``uniq``, when the caller has it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out = np.empty(len(uniq) + 1, dtype=object)
    out[-1] = ""
    kept = np.zeros(len(uniq), dtype=bool)
    if uniq:
        if plain is None:
            plain = _plain_han_mask(uniq)
        idx = np.flatnonzero(plain)
        names_ = [uniq[i] for i in idx.tolist()]
        changing = sorted(c for c in set("".join(names_)) if _T2S[ord(c)] != c)
        touched = np.zeros(len(idx), dtype=bool)
        if changing:
            touched = pc.match_substring_regex(pa.array(names_, type=pa.string()),
                                               "[" + "".join(changing) + "]").to_numpy(zero_copy_only=False)
        keep = idx[~touched]
        out[keep] = [n for n, t in zip(names_, touched.tolist()) if not t]
        kept[keep] = True
        for i in np.concatenate([idx[touched], np.flatnonzero(~plain)]).tolist():
            out[i] = normalize_name(uniq[i])
    return out, kept


def pinyin_keys_array(normalized: Any) -> np.ndarray:
    """:func:`pinyin_key_normalized` of each value of an object array of normal-form names, once
    per distinct name; names of plain characters column by column."""
    codes, uniq = _distinct(normalized)
    out = np.empty(len(uniq) + 1, dtype=object)
    out[:-1] = uniq
    out[-1] = ""
    plain = np.zeros(len(out), dtype=bool)
    if uniq:
        plain[:-1] = _plain_han_mask(uniq)
    return _pinyin_keys_distinct(out, plain)[codes]


def _pinyin_keys_distinct(names: np.ndarray, plain: np.ndarray) -> np.ndarray:
    """pinyin_key_normalized of each element of ``names`` (normal-form names; non-str: ''),
    ``plain``: which are plain characters only (:func:`_plain_han_mask`)."""
    out = np.empty(len(names), dtype=object)
    out[:] = ""
    plain = plain & np.array([type(u) is str and u[:2] not in COMPOUND_SURNAMES for u in names.tolist()],
                             dtype=bool)
    idx = np.flatnonzero(plain)
    lengths = np.array([len(names[i]) for i in idx.tolist()], dtype=np.int64)
    for n in np.unique(lengths).tolist():
        sel = idx[lengths == n]
        chars = np.frombuffer("".join(names[sel].tolist()).encode("utf-32-le"),
                              dtype=np.uint32).reshape(-1, n)
        cps, inv = np.unique(chars, return_inverse=True)
        inv = inv.reshape(chars.shape)
        toks = np.array([_han_token(chr(c)) for c in cps.tolist()], dtype=object)
        first = np.array([SURNAME_READINGS.get(chr(c)) or _han_token(chr(c)) for c in cps.tolist()], dtype=object)
        cols = [first[inv[:, 0]].tolist()] + [toks[inv[:, k]].tolist() for k in range(1, n)]
        out[sel] = [" ".join(t) for t in zip(*cols)]
    for i in np.flatnonzero(~plain).tolist():
        u = names[i]
        out[i] = _key_normalized(u) if type(u) is str and u else ""
    return out


def pinyin_keys(series: Any) -> pd.Series:
    """Vectorised :func:`pinyin_key`."""
    return map_distinct(series, pinyin_key)


_LOOSE_INITIAL_RE = re.compile(r"^(zh|ch|sh|l)")


def _loose_syllable(s: str) -> str:
    s = _LOOSE_INITIAL_RE.sub(lambda m: {"zh": "z", "ch": "c", "sh": "s", "l": "n"}[m.group(1)], s)
    if s.endswith("ng") and len(s) > 2:
        s = s[:-1]
    return s


def _loose_from_key(key: str) -> str:
    return " ".join(_loose_syllable(t) for t in key.split(" ")) if key else ""


def pinyin_loose_key(name: Any) -> str:
    """Pinyin key with regional confusions folded (zh->z, ch->c, sh->s, final ng->n, initial
    l->n): ``刘成`` and ``牛晨`` both give ``niu cen``. A weak signal only."""
    return _loose_from_key(pinyin_key(name))


def pinyin_loose_keys(series: Any) -> pd.Series:
    """Vectorised :func:`pinyin_loose_key`."""
    return map_distinct(series, pinyin_loose_key)


def initials(name: Any) -> str:
    """First letter of each pinyin syllable, for blocking: ``张三`` -> ``zs``; ``ZhangSan`` -> ``zs``.
    A character without pinyin contributes itself."""
    return "".join(t[0] for t in _tokens(normalize_name(name)) if t)


def initials_series(series: Any) -> pd.Series:
    """Vectorised :func:`initials`."""
    return map_distinct(series, initials)


# --------------------------------------------------------------------------------------------
# agreement
# --------------------------------------------------------------------------------------------

_LEV_THRESHOLD = 0.66
_LATIN_LEV_THRESHOLD = 0.8


def _compact(key: str) -> str:
    """Key without spaces, ``v`` folded to ``u`` (passport spelling LU for 吕)."""
    return key.replace(" ", "").replace("v", "u")


def _has_latin(norm: str) -> bool:
    return _LATIN_RE.search(norm) is not None


def _one_spot(a: str, b: str) -> bool:
    """True when the names differ in one place only, one character against two characters or
    against a Latin run (a rare character split into components or written in pinyin)."""
    n = min(len(a), len(b))
    p = 0
    while p < n and a[p] == b[p]:
        p += 1
    s = 0
    while s < n - p and a[-1 - s] == b[-1 - s]:
        s += 1
    if p + s == 0:
        return False
    ra, rb = a[p:len(a) - s], b[p:len(b) - s]
    short, long_ = (ra, rb) if len(ra) <= len(rb) else (rb, ra)
    if len(short) > 1:
        return False
    if _LATIN_RE.fullmatch(long_ or "-") or _LATIN_RE.fullmatch(short or "-"):
        return True
    return len(short) == 1 and len(long_) == 2


def _similar(na: str, nb: str, ka: str, kb: str) -> bool:
    from rapidfuzz.distance import Levenshtein

    latin = _has_latin(na) or _has_latin(nb)
    if latin:
        if Levenshtein.normalized_similarity(_compact(ka), _compact(kb)) >= _LATIN_LEV_THRESHOLD:
            return True
    elif Levenshtein.normalized_similarity(na, nb) >= _LEV_THRESHOLD:
        return True
    return _similar_rest(na, nb, ka, kb)


def _is_rare(ch: str) -> bool:
    """A character many systems cannot store: a CJK character outside GBK."""
    if ch.isascii():
        return False
    try:
        ch.encode("gbk")
    except UnicodeEncodeError:
        return unicodedata.category(ch) == "Lo"
    return False


def _has_rare(norm: str) -> bool:
    return any(_is_rare(c) for c in norm)


def _rare_substituted(na: str, nb: str) -> bool:
    """Same length, something in common, and every differing position has a rare character on
    one side (a system that cannot store 𠮷 wrote 吉)."""
    if len(na) != len(nb) or len(na) < 2:
        return False
    diff = [(x, y) for x, y in zip(na, nb) if x != y]
    return len(diff) < len(na) and all(_is_rare(x) or _is_rare(y) for x, y in diff)


def _similar_rest(na: str, nb: str, ka: str, kb: str) -> bool:
    """The rules other than edit similarity."""
    if len(na) == len(nb) and len(na) >= 2 and na[0] == nb[0]:
        equal = sum(1 for x, y in zip(na, nb) if x == y)
        if 2 * equal >= len(na):
            return True
    if _rare_substituted(na, nb):
        return True
    if ka and _loose_from_key(ka) == _loose_from_key(kb):
        return True
    return _one_spot(na, nb)


def _agreement_normalized(na: str, nb: str) -> str:
    if not na or not nb:
        return MISSING
    if na == nb or na.casefold() == nb.casefold():
        return SAME
    ka, kb = _key_normalized(na), _key_normalized(nb)
    if ka == kb:
        return HOMOPHONE
    if (_has_latin(na) or _has_latin(nb)) and _compact(ka) == _compact(kb):
        return HOMOPHONE
    return SIMILAR if _similar(na, nb, ka, kb) else DIFFERENT


def name_agreement(a: Any, b: Any) -> str:
    """How far two names agree, strongest first:

    - ``same``: equal after :func:`normalize_name` (Latin letters compared case-folded);
    - ``homophone``: same :func:`pinyin_key` (a name written in pinyin, or with a rare character
      replaced by its pinyin, is compared through the other side's pinyin, spaces ignored and
      ü/v read as u);
    - ``similar``: same length, same first character and at least half the characters equal
      (张小明/张小红); or Levenshtein normalized similarity >= 0.66 (on the pinyin, >= 0.8, when a
      side has Latin letters); or equal loose pinyin keys (刘/牛, 陈/程); or the same length with
      every differing character a rare one (outside GBK) on one side (𠮷祥/吉祥); or one character against
      two characters or a Latin run with everything else equal (王喆/王吉吉, a split rare character);
    - ``different``: none of the above;
    - ``missing``: either name is blank — no evidence either way (not a disagreement).
    """
    return _agreement_normalized(normalize_name(a), normalize_name(b))


def _normalized_codes(s: pd.Series, normalized: bool = False) -> tuple[np.ndarray, list[str]]:
    """Codes into the list of distinct *normalised* names ('' for missing cells)."""
    raw_codes, raw_uniq = pd.factorize(s, use_na_sentinel=True)
    if normalized:
        return np.where(raw_codes < 0, len(raw_uniq), raw_codes).astype(np.int64), list(raw_uniq) + [""]
    norm = [normalize_name(u) for u in raw_uniq] + [""]
    ncodes, nuniq = pd.factorize(np.array(norm, dtype=object))
    codes = ncodes[np.where(raw_codes < 0, len(norm) - 1, raw_codes)].astype(np.int64)
    return codes, list(nuniq)


def name_agreements(a: Any, b: Any, *, normalized: bool = False, keys: tuple[Any, Any] | None = None
                    ) -> pd.Series:
    """Vectorised :func:`name_agreement` over aligned (positional) pairs; result has ``a``'s index.

    Work is done on distinct normalised pairs; equality and pinyin-key equality are vectorised,
    edit similarity uses rapidfuzz ``cpdist``; only pairs left undecided reach Python rules.
    ``normalized=True``: both columns already hold :func:`normalize_name` output (skips it);
    ``keys``: their :func:`pinyin_key` values, aligned with ``a`` and ``b`` (needs ``normalized``).
    """
    if keys is not None and not normalized:
        raise ValueError("name_agreements: keys need normalized names")
    sa = a if isinstance(a, pd.Series) else pd.Series(list(a), dtype=object)
    sb = b if isinstance(b, pd.Series) else pd.Series(list(b), dtype=object)
    if len(sa) != len(sb):
        raise ValueError("name_agreements: the two columns differ in length")
    ca, ua = _normalized_codes(sa, normalized)
    cb, ub = _normalized_codes(sb, normalized)
    width = max(len(ub), 1)
    pcodes, puniq = pd.factorize(ca * width + cb)
    if not len(puniq):
        return pd.Series(pd.array([], dtype="str"), index=sa.index, name=sa.name)
    ia, ib = puniq // width, puniq % width
    na_, nb_ = list(ua), list(ub)

    def fill(names_: list[str], idx: np.ndarray, func, dtype=object, default: Any = "") -> np.ndarray:
        """func(name) for the distinct names at ``idx`` only (most pairs are decided early)."""
        out = np.full(len(names_), default, dtype=dtype)
        u = np.unique(idx)
        if len(u):
            vals = [func(names_[i]) for i in u.tolist()]
            if dtype is object:
                arr = np.empty(len(vals), dtype=object)
                arr[:] = vals
                out[u] = arr
            else:
                out[u] = vals
        return out

    def given_keys(codes: np.ndarray, size: int, keys_: Any) -> list | None:
        """The pinyin key of each distinct name from keys the caller aligned with the pairs."""
        if keys_ is None:
            return None
        k = np.asarray(keys_, dtype=object)
        out = [""] * size
        _, first = np.unique(codes, return_index=True)
        for c, i in zip(codes[first].tolist(), first.tolist()):
            out[c] = k[i]
        return out

    known_a = given_keys(ca, len(ua), keys[0] if keys is not None else None)
    known_b = given_keys(cb, len(ub), keys[1] if keys is not None else None)

    all_a, all_b = np.arange(len(na_)), np.arange(len(nb_))
    len_a, len_b = fill(na_, all_a, len, np.int64, 0), fill(nb_, all_b, len, np.int64, 0)
    la, lb = len_a[ia], len_b[ib]
    empty = (la == 0) | (lb == 0)
    same = fill(na_, all_a, str.casefold)[ia] == fill(nb_, all_b, str.casefold)[ib]
    rest = ~(empty | same)
    homo = np.zeros(len(puniq), dtype=bool)
    keys_a = np.array(known_a + [""], dtype=object)[:-1] if known_a is not None else fill(na_, ia[rest], _key_normalized)
    keys_b = np.array(known_b + [""], dtype=object)[:-1] if known_b is not None else fill(nb_, ib[rest], _key_normalized)
    homo[rest] = keys_a[ia[rest]] == keys_b[ib[rest]]
    result = np.full(len(puniq), DIFFERENT, dtype=object)
    undecided = ~(empty | same | homo)
    ua_need, ub_need = ia[undecided], ib[undecided]
    pa = np.array(na_ + [""], dtype=object)[:-1][ia]
    pb = np.array(nb_ + [""], dtype=object)[:-1][ib]
    latin = undecided & (fill(na_, ua_need, _has_latin, bool, False)[ia] | fill(nb_, ub_need, _has_latin, bool, False)[ib])
    for i in np.flatnonzero(latin):  # names in pinyin: rare, scalar rules
        result[i] = _agreement_normalized(pa[i], pb[i])
    def loose_of(keys_: np.ndarray, names_: list[str], need: np.ndarray) -> np.ndarray:
        return fill(list(range(len(names_))), need, lambda i: _loose_from_key(keys_[i] if keys_[i] or not names_[i]
                                                                               else _key_normalized(names_[i])))

    A = {"loose": loose_of(keys_a, na_, ua_need),
         "first": fill(na_, ua_need, lambda x: x[:1]), "last": fill(na_, ua_need, lambda x: x[-1:]),
         "rare": fill(na_, ua_need, _has_rare, bool, False)}
    B = {"loose": loose_of(keys_b, nb_, ub_need),
         "first": fill(nb_, ub_need, lambda x: x[:1]), "last": fill(nb_, ub_need, lambda x: x[-1:]),
         "rare": fill(nb_, ub_need, _has_rare, bool, False)}
    han = undecided & ~latin
    han_idx = np.flatnonzero(han)
    if len(han_idx):
        from rapidfuzz.distance import Levenshtein
        from rapidfuzz.process import cpdist

        sims = cpdist(list(pa[han_idx]), list(pb[han_idx]),
                      scorer=Levenshtein.normalized_similarity, workers=-1)
        similar = np.zeros(len(puniq), dtype=bool)
        similar[han_idx[sims >= _LEV_THRESHOLD]] = True
        similar |= han & (A["loose"][ia] == B["loose"][ib])
        first_eq = A["first"][ia] == B["first"][ib]
        last_eq = A["last"][ia] == B["last"][ib]
        positional = han & ~similar & (la == lb) & (la >= 2) & first_eq
        for i in np.flatnonzero(positional):
            x, y = pa[i], pb[i]
            if 2 * sum(1 for c, d in zip(x, y) if c == d) >= len(x):
                similar[i] = True
        rare = han & ~similar & (la == lb) & (A["rare"][ia] | B["rare"][ib])
        for i in np.flatnonzero(rare):
            if _rare_substituted(pa[i], pb[i]):
                similar[i] = True
        spot = han & ~similar & (np.abs(la - lb) == 1) & (first_eq | last_eq)
        for i in np.flatnonzero(spot):
            if _one_spot(pa[i], pb[i]):
                similar[i] = True
        result[han & similar] = SIMILAR
    result[homo & ~same] = HOMOPHONE
    result[same] = SAME
    result[empty] = MISSING
    out = pd.array(list(result), dtype="str").take(pcodes)
    return pd.Series(out, index=sa.index, name=sa.name)
