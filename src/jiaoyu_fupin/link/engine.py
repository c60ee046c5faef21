"""Link every record (roster, ledger, list row) to a registry person.

The rules are the evidence an officer accepts (docs/SEMANTICS.md), tried in order on what is
still unlinked. Every step is a pandas merge or a vectorised comparison over the residue; the
only Python loops run over the residue of *damaged* IDs (typos), which is small.

Input frames (built by ``link.prepare``):

``reg`` — one row per registry person, index 0..M-1, columns:
    rid (normalized ID, the person's key), name, pinyin, birth, prefix14, village, township,
    household_no
``rec`` — one row per record, index 0..N-1, columns:
    id, id_status, birth, prefix14, xueji_id, name, pinyin, school, village, township, group
    (records of one group — e.g. one roster file — never link two records to the same person
    by weak evidence)

Output: ``Links`` frame aligned with ``rec``: reg (int, -1 = none), method, score, status
(linked / review / invalid / none), mismatch (Chinese reason, '' if none), candidates (rids,
';'-separated, for review).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from jiaoyu_fupin.normalize.ids import USABLE
from jiaoyu_fupin.normalize.names import name_agreements

UNUSABLE = frozenset({"bad_checksum", "bad_date", "wrong_length", "precision_lost"})
AGREE = ("same", "homophone")


@dataclass(frozen=True)
class Rule:
    """A named way of linking, with the score written to links.csv."""

    method: str
    score: float
    label: str  # 匹配依据 shown to officers


EXACT = Rule("exact_id", 1.0, "证件号一致")
XUEJI = Rule("xueji_no", 1.0, "全国学籍号（G+证件号）一致")
TYPO = Rule("id_typo", 0.9, "证件号差一位（录入错误）且姓名一致")
FLOAT = Rule("float_id", 0.9, "证件号被转成数字，前14位（地区+出生日期）与姓名一致")
NAME_SCHOOL = Rule("name_school", 0.85, "姓名+出生日期+学校一致")
NAME_VILLAGE = Rule("name_village", 0.8, "姓名+出生日期+乡镇/村一致")
RULES = {r.method: r for r in (EXACT, XUEJI, TYPO, FLOAT, NAME_SCHOOL, NAME_VILLAGE)}


def method_label(method: str) -> str:
    rule = RULES.get(method)
    return rule.label if rule else {"none": "未匹配", "review": "待人工核对"}.get(method, method)


class _State:
    """Mutable link columns while the rules run."""

    def __init__(self, n: int) -> None:
        self.reg = np.full(n, -1, dtype=np.int64)
        self.method = np.full(n, "none", dtype=object)
        self.score = np.zeros(n, dtype=float)
        self.code = np.zeros(n, dtype=np.int8)    # index into STATUSES
        self.mismatch = np.full(n, "", dtype=object)
        self.candidates = np.full(n, "", dtype=object)

    STATUSES = ("none", "linked", "review", "invalid")

    @property
    def status(self) -> np.ndarray:
        return np.array(self.STATUSES, dtype=object)[self.code]

    def open_mask(self) -> np.ndarray:
        return self.code == 0

    def linked_mask(self) -> np.ndarray:
        return self.code == 1

    def link(self, idx, reg_idx, rule: Rule, mismatch) -> None:
        idx = np.asarray(idx, dtype=np.int64)
        if not len(idx):
            return
        self.reg[idx] = np.asarray(reg_idx, dtype=np.int64)
        self.method[idx] = rule.method
        self.score[idx] = rule.score
        self.code[idx] = 1
        self.mismatch[idx] = mismatch

    def review(self, idx, candidates) -> None:
        idx = np.asarray(idx, dtype=np.int64)
        if not len(idx):
            return
        self.code[idx] = 2
        self.method[idx] = "none"
        self.candidates[idx] = candidates


def _agree(rec: pd.DataFrame, reg: pd.DataFrame, pairs: pd.DataFrame) -> np.ndarray:
    """name_agreements of the (rec, reg) pairs; both frames hold normalized names and their
    pinyin keys (link.prepare).  Identical non-empty names (nearly every pair an ID links) are
    ``same`` without further work."""
    ri, gi = pairs["rec"].to_numpy(), pairs["reg"].to_numpy()
    rn, gn = rec["name"].to_numpy(dtype=object)[ri], reg["name"].to_numpy(dtype=object)[gi]
    out = np.empty(len(ri), dtype=object)
    out[:] = "same"
    todo = np.flatnonzero((rn != gn) | (rn == ""))
    if not len(todo):
        return out
    keys = None
    if "pinyin" in rec.columns and "pinyin" in reg.columns:
        keys = (rec["pinyin"].to_numpy(dtype=object)[ri[todo]], reg["pinyin"].to_numpy(dtype=object)[gi[todo]])
    out[todo] = name_agreements(pd.Series(rn[todo], dtype=object), pd.Series(gn[todo], dtype=object),
                                normalized=True, keys=keys).to_numpy(dtype=object)
    return out


def _mismatch_for_name(agreement: np.ndarray) -> np.ndarray:
    out = np.full(len(agreement), "", dtype=object)
    out[agreement == "homophone"] = "姓名同音不同字"
    out[agreement == "similar"] = "姓名有差异（疑似生僻字或错别字）"
    out[agreement == "different"] = "姓名不一致"
    return out


def _join(parts: list[str]) -> np.ndarray:
    return np.array(parts, dtype=object)


def combined_codes(columns: list) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0..k-1 of the distinct combinations of aligned columns (in order of first
    appearance; None and NaN are values too), and the first row of each."""
    key = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    for col in columns:
        codes, uniques = pd.factorize(pd.Series(col, dtype=object, copy=False), use_na_sentinel=False)
        key, _ = pd.factorize(key * max(len(uniques), 1) + codes)
    _, first = np.unique(key, return_index=True)
    return key, first


_OTHER_KEYS = 2_000_000_000_000_000_000   # above every 18-character ID's number
_POW10 = 10 ** np.arange(16, -1, -1, dtype=np.int64)


def text_keys(*arrays: np.ndarray, clean: list[np.ndarray | None] | None = None) -> list[np.ndarray]:
    """Integer keys for text values, equal exactly when the texts are equal (across all the
    arrays): merging on them is several times faster than on text. An 18-character ID
    (17 digits + digit/X) is its own number (first 17 digits × 11 + check); other texts are numbered
    in order of first appearance above every ID. ``clean[i]``: a mask of the values of array i
    known to be such IDs (from their ID status), saving the check."""
    out: list[np.ndarray] = []
    others: dict[str, int] = {}
    for a, values in enumerate(arrays):
        values = np.asarray(values, dtype=object)
        n = len(values)
        keys = np.zeros(n, dtype=np.int64)
        known = clean[a] if clean is not None else None
        if known is None:
            lengths = np.fromiter((len(v) if type(v) is str else -1 for v in values.tolist()), dtype=np.int64,
                                  count=n)
            idx = np.flatnonzero(lengths == 18)
        else:
            idx = np.flatnonzero(known)
        ok = np.zeros(n, dtype=bool)
        for start in range(0, len(idx), 1 << 16):     # blocks: small temporaries
            part = idx[start:start + (1 << 16)]
            joined = "".join(values[part].tolist())
            if joined.isascii():
                cps = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(-1, 18)
            else:
                cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).reshape(-1, 18)
            d = cps.astype(np.int64) - 48
            good = ((d[:, :17] >= 0) & (d[:, :17] <= 9)).all(axis=1) & (((d[:, 17] >= 0) & (d[:, 17] <= 9))
                                                                         | (cps[:, 17] == ord("X")))
            body = np.where(good[:, None], d[:, :17], 0) @ _POW10
            last = np.where(cps[:, 17] == ord("X"), 10, d[:, 17])
            keys[part[good]] = (body * 11 + last)[good]
            ok[part[good]] = True
        rest = np.flatnonzero(~ok)
        if len(rest):
            codes, uniques = pd.factorize(pd.Series(values[rest], dtype=object, copy=False), use_na_sentinel=False)
            base = np.array([others.setdefault(u, _OTHER_KEYS + len(others)) for u in uniques], dtype=np.int64)
            keys[rest] = base[codes]
        out.append(keys)
    return out


def _merge_on_text(left_idx: np.ndarray, left_text: np.ndarray, right_idx: np.ndarray,
                   right_text: np.ndarray, left: str, right: str, clean: list | None = None) -> pd.DataFrame:
    """Inner merge of (left position, text) with (right position, text) on the text; rows in the
    order ``DataFrame.merge`` gives (left order, then right order)."""
    lk, rk = text_keys(left_text, right_text, clean=clean)
    return pd.DataFrame({left: left_idx, "_k": lk}).merge(pd.DataFrame({right: right_idx, "_k": rk}),
                                                         on="_k", how="inner")


def _unique_candidates(pairs: pd.DataFrame) -> pd.DataFrame:
    """pairs(rec, reg) → per rec: n (distinct reg), first reg, all rids joined."""
    g = pairs.drop_duplicates(["rec", "reg"]).groupby("rec", sort=False)
    return pd.DataFrame({"n": g["reg"].size(), "reg": g["reg"].first(),
                         "rids": g["rid"].agg(";".join)})


def link_records(rec: pd.DataFrame, reg: pd.DataFrame) -> pd.DataFrame:
    n = len(rec)
    st = _State(n)
    rec = rec.reset_index(drop=True)
    reg = reg.reset_index(drop=True)
    reg_pos = pd.DataFrame({"reg": np.arange(len(reg)), "rid": reg["rid"].to_numpy()})
    # the ID statuses as small integer codes, looked up once (comparing a million object strings
    # again for every rule costs more than the rules)
    s_codes, s_names = pd.factorize(rec["id_status"].to_numpy(dtype=object), use_na_sentinel=False)
    s_names = list(s_names)

    def status_in(names) -> np.ndarray:
        return np.isin(s_codes, [k for k, v in enumerate(s_names) if v in names])

    def nonempty(col: str) -> np.ndarray:
        return rec[col].to_numpy(dtype=object) != ""

    # ---- 1. exact normalized ID --------------------------------------------------------------
    has_id = nonempty("id") & status_in(
        {"valid", "converted_15", "bad_checksum", "bad_date", "precision_lost", "wrong_length"})
    rid_text = reg["rid"].to_numpy(dtype=object)
    has_pos = np.flatnonzero(has_id)
    # IDs whose status says 17 digits + digit/X need no check (registry: when the frame says)
    id18 = ["valid", "converted_15", "bad_checksum", "precision_lost"]
    rec18 = status_in(set(id18))[has_pos]
    reg18 = reg["id_status"].isin(id18).to_numpy() if "id_status" in reg.columns else None
    pairs = _merge_on_text(has_pos, rec["id"].to_numpy(dtype=object)[has_pos], np.arange(len(reg)), rid_text,
                           "rec", "reg", clean=[rec18, reg18])
    pairs = pd.DataFrame({"rec": pairs["rec"].to_numpy(), "rid": rid_text[pairs["reg"].to_numpy()],
                          "reg": pairs["reg"].to_numpy()})
    if len(pairs):
        pairs["agree"] = _agree(rec, reg, pairs)
        # several registry rows with this ID: the name decides
        multi = pairs.groupby("rec")["reg"].transform("size") > 1
        single = pairs[~multi]
        ambiguous = pairs[multi]
        if len(ambiguous):
            good = ambiguous[ambiguous["agree"] == "same"]
            counts = good.groupby("rec")["reg"].size()
            decided = good[good["rec"].map(counts) == 1]
            single = pd.concat([single, decided])
            undecided = ambiguous[~ambiguous["rec"].isin(decided["rec"])]
            if len(undecided):
                c = _unique_candidates(undecided)
                st.review(c.index.to_numpy(), c["rids"].to_numpy())
        # a name that disagrees while another registry person with the same birth date carries
        # that name (twins whose IDs were swapped): the evidence does not decide
        bad_name = single[single["agree"].isin(["different", "similar"])]
        if len(bad_name):
            alt = pd.DataFrame({"rec": bad_name["rec"].to_numpy(),
                                "birth": reg["birth"].iloc[bad_name["reg"]].to_numpy(),
                                "name": rec["name"].iloc[bad_name["rec"]].to_numpy(),
                                "own": bad_name["reg"].to_numpy()})
            others = alt.merge(pd.DataFrame({"birth": reg["birth"], "name": reg["name"],
                                             "reg": np.arange(len(reg)), "rid": reg["rid"]}),
                               on=["birth", "name"])
            others = others[(others["reg"] != others["own"]) & (others["birth"] != "")]
            if len(others):
                own_rid = reg["rid"].iloc[others["own"]].to_numpy()
                cands = pd.DataFrame({"rec": others["rec"].to_numpy(),
                                      "rids": [f"{a};{b}" for a, b in zip(own_rid, others["rid"])]})
                cands = cands.drop_duplicates("rec")
                st.review(cands["rec"].to_numpy(), cands["rids"].to_numpy())
                single = single[~single["rec"].isin(cands["rec"])]
        mism = _mismatch_for_name(single["agree"].to_numpy())
        st_conv = rec["id_status"].iloc[single["rec"]].to_numpy()
        mism = np.where((st_conv == "converted_15") & (mism == ""), "15位旧证件号，应更正为18位", mism)
        mism = np.where((st_conv == "converted_15") & (mism != "") & (mism != "15位旧证件号，应更正为18位"),
                        mism + "；15位旧证件号", mism)
        st.link(single["rec"].to_numpy(), single["reg"].to_numpy(), EXACT, mism)

    # ---- 2. the ID a G 学籍号 carries -----------------------------------------------------------
    open_ = st.open_mask() & nonempty("xueji_id")
    if open_.any():
        pos = np.flatnonzero(open_)
        # a G 学籍号's ID is 17 digits + digit/X by construction
        pairs = _merge_on_text(pos, rec["xueji_id"].to_numpy(dtype=object)[pos], np.arange(len(reg)), rid_text,
                               "rec", "reg", clean=[np.ones(len(pos), dtype=bool), reg18])
        pairs = pd.DataFrame({"rec": pairs["rec"].to_numpy(), "rid": rid_text[pairs["reg"].to_numpy()],
                              "reg": pairs["reg"].to_numpy()})
        pairs = pairs[pairs.groupby("rec")["reg"].transform("size") == 1]
        if len(pairs):
            agree = _agree(rec, reg, pairs)
            mism = _mismatch_for_name(agree)
            own = rec["id_status"].iloc[pairs["rec"]].to_numpy()
            id_m = np.where(own == "empty", "", "证件号与全国学籍号不一致（证件号有误或已变更）")
            mism = np.array([";".join(x for x in (a, b) if x) for a, b in zip(id_m, mism)], dtype=object)
            st.link(pairs["rec"].to_numpy(), pairs["reg"].to_numpy(), XUEJI, mism)

    # ---- 3. one-substitution / adjacent-transposition typos ------------------------------------
    open_ = st.open_mask() & status_in({"bad_checksum", "bad_date"})
    ids = rec["id"].to_numpy(dtype=object)
    cand = np.flatnonzero(open_)
    open_[cand[np.fromiter((len(v) != 18 for v in ids[cand].tolist()), dtype=bool, count=len(cand))]] = False
    if open_.any():
        rows = []
        reg_ids = set(rid_text.tolist())
        for i in np.flatnonzero(open_):
            s = ids[i]
            variants = set()
            for p in range(18):
                head, tail = s[:p], s[p + 1:]
                alphabet = "0123456789X" if p == 17 else "0123456789"
                for c in alphabet:
                    if c != s[p]:
                        variants.add(head + c + tail)
            for p in range(17):
                if s[p] != s[p + 1]:
                    variants.add(s[:p] + s[p + 1] + s[p] + s[p + 2:])
            for v in sorted(variants & reg_ids):   # sorted: candidate order must not depend on hashing
                rows.append((i, v))
        if rows:
            pairs = pd.DataFrame(rows, columns=["rec", "rid"]).merge(reg_pos, on="rid")
            pairs["agree"] = _agree(rec, reg, pairs)
            ok = pairs[pairs["agree"].isin(AGREE)]
            n_ok = ok.groupby("rec")["reg"].size()
            one = ok[ok["rec"].map(n_ok) == 1]
            mism = np.where(one["agree"].to_numpy() == "homophone", "证件号录入错误；姓名同音不同字",
                            "证件号录入错误（差一位）")
            st.link(one["rec"].to_numpy(), one["reg"].to_numpy(), TYPO, mism)
            rest = pairs[~pairs["rec"].isin(one["rec"])]
            if len(rest):
                c = _unique_candidates(rest)
                st.review(c.index.to_numpy(), c["rids"].to_numpy())

    # registry person -> schools known so far (from linked roster-like records)
    def person_schools() -> pd.DataFrame:
        linked = st.linked_mask()
        frame = pd.DataFrame({"reg": st.reg[linked], "school": rec["school"].to_numpy()[linked]})
        frame = frame[frame["school"] != ""].drop_duplicates()
        return frame

    def place_ok(pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(school agrees, village/township agrees) for (rec, reg) pairs."""
        sch = person_schools()
        key = pd.DataFrame({"rec": pairs["rec"].to_numpy(), "reg": pairs["reg"].to_numpy(),
                            "school": rec["school"].iloc[pairs["rec"]].to_numpy()})
        hit = key.merge(sch.assign(hit=True), on=["reg", "school"], how="left")["hit"].fillna(False)
        school_ok = hit.to_numpy(dtype=bool) & (key["school"] != "").to_numpy()
        rv = rec["village"].iloc[pairs["rec"]].to_numpy()
        rt = rec["township"].iloc[pairs["rec"]].to_numpy()
        gv = reg["village"].iloc[pairs["reg"]].to_numpy()
        gt = reg["township"].iloc[pairs["reg"]].to_numpy()
        village_ok = ((rv != "") & (rv == gv)) | ((rv == "") & (rt != "") & (rt == gt))
        return school_ok, village_ok

    # ---- 4. precision-lost IDs: region + birth date + name (+ place) ---------------------------
    open_ = st.open_mask() & status_in({"precision_lost"}) & nonempty("prefix14")
    if open_.any():
        left = pd.DataFrame({"rec": np.flatnonzero(open_), "prefix14": rec["prefix14"].to_numpy()[open_]})
        pairs = left.merge(pd.DataFrame({"prefix14": reg["prefix14"], "reg": np.arange(len(reg)),
                                         "rid": reg["rid"]}), on="prefix14")
        if len(pairs):
            pairs["agree"] = _agree(rec, reg, pairs)
            ok = pairs[pairs["agree"].isin(AGREE)].copy()
            if len(ok):
                s_ok, v_ok = place_ok(ok)
                ok["place"] = s_ok | v_ok
                n_ok = ok.groupby("rec")["reg"].transform("size")
                n_place = ok.groupby("rec")["place"].transform("sum")
                one = ok[(n_ok == 1) | ((n_place == 1) & ok["place"])]
                mism = np.where(one["agree"].to_numpy() == "homophone",
                                "证件号被转成数字、丢失后几位，须以文本格式重新导出；姓名同音不同字",
                                "证件号被转成数字、丢失后几位，须以文本格式重新导出")
                st.link(one["rec"].to_numpy(), one["reg"].to_numpy(), FLOAT, mism)
            rest = pairs[~pairs["rec"].isin(np.flatnonzero(st.linked_mask()))]
            rest = rest[rest["agree"] != "different"]
            if len(rest):
                c = _unique_candidates(rest)
                st.review(c.index.to_numpy(), c["rids"].to_numpy())

    # ---- 5. name + birth date + school / village ------------------------------------------------
    # a registry person already linked (by any rule) inside a group is not a candidate there
    def taken() -> pd.DataFrame:
        linked = st.linked_mask()
        return pd.DataFrame({"group": rec["group"].to_numpy()[linked], "reg": st.reg[linked],
                             "taken": True}).drop_duplicates(["group", "reg"])

    open_ = st.open_mask() & nonempty("birth") & nonempty("name")
    if open_.any():
        idx = np.flatnonzero(open_)
        # only records whose (birth date, pinyin) some registry person has can pair: find them with
        # integer codes first, then merge just those (same rows, same order as merging them all)
        rb, rp = reg["birth"].to_numpy(dtype=object), reg["pinyin"].to_numpy(dtype=object)
        has_birth = rb != ""
        lb, lp = rec["birth"].to_numpy(dtype=object)[idx], rec["pinyin"].to_numpy(dtype=object)[idx]
        bcodes, _ = pd.factorize(np.concatenate([lb, rb[has_birth]]))
        pcodes, puniq = pd.factorize(np.concatenate([lp, rp[has_birth]]))
        keys = bcodes.astype(np.int64) * (len(puniq) + 1) + pcodes
        idx = idx[np.isin(keys[:len(idx)], keys[len(idx):])]
        left = pd.DataFrame({"rec": idx, "birth": rec["birth"].to_numpy()[idx],
                             "pinyin": rec["pinyin"].to_numpy()[idx],
                             "group": rec["group"].to_numpy()[idx]})
        right = pd.DataFrame({"birth": reg["birth"], "pinyin": reg["pinyin"], "reg": np.arange(len(reg)),
                              "rid": reg["rid"]})
        right = right[right["birth"] != ""]
        pairs = left.merge(right, on=["birth", "pinyin"])
        if len(pairs):
            pairs["agree"] = _agree(rec, reg, pairs)
            pairs = pairs[pairs["agree"].isin(AGREE)].copy()
        if len(pairs):
            # a registry person who already has a record of this group (e.g. in this roster file)
            # stays a candidate — a namesake with the same birth date makes the record ambiguous —
            # but is never linked a second time
            pairs = pairs.merge(taken(), on=["group", "reg"], how="left")
            pairs["taken"] = pairs["taken"].notna().to_numpy(dtype=bool)
            s_ok, v_ok = place_ok(pairs)
            pairs["school_ok"], pairs["village_ok"] = s_ok, v_ok
            pairs["place"] = s_ok | v_ok
            status = rec["id_status"].iloc[pairs["rec"]].to_numpy()
            # a valid ID that is not in the registry belongs to somebody else unless the name is
            # identical and the place agrees
            strict = np.isin(status, list(USABLE))
            pairs = pairs[~strict | ((pairs["agree"] == "same") & pairs["place"]).to_numpy()]
            n_all = pairs.groupby("rec")["reg"].transform("size")
            n_place = pairs.groupby("rec")["place"].transform("sum")
            one = pairs[((n_all == 1) | (n_place == 1)) & pairs["place"] & ~pairs["taken"]]
            one = one.drop_duplicates("rec")
            if len(one):
                rs = rec["id_status"].iloc[one["rec"]].to_numpy()
                id_part = np.where(rs == "empty", "缺少证件号",
                                   np.where(rs == "precision_lost", "证件号被转成数字、丢失后几位",
                                            "证件号与建档立卡库不一致"))
                name_part = np.where(one["agree"].to_numpy() == "homophone", "；姓名同音不同字", "")
                mism = np.char.add(id_part.astype(str), name_part.astype(str)).astype(object)
                school_rows = one[one["school_ok"]]
                village_rows = one[~one["school_ok"]]
                m_s = mism[one["school_ok"].to_numpy()]
                m_v = mism[~one["school_ok"].to_numpy()]
                st.link(school_rows["rec"].to_numpy(), school_rows["reg"].to_numpy(), NAME_SCHOOL, m_s)
                st.link(village_rows["rec"].to_numpy(), village_rows["reg"].to_numpy(), NAME_VILLAGE, m_v)
            rest = pairs[~pairs["rec"].isin(one["rec"])]
            # a valid ID whose only namesake is already linked in this group is another child
            rs = rec["id_status"].iloc[rest["rec"]].to_numpy()
            n_rest = rest.groupby("rec")["reg"].transform("size").to_numpy()
            rest = rest[~(np.isin(rs, list(USABLE)) & ((n_rest == 1) & rest["taken"].to_numpy()
                                                       | ~rest["place"].to_numpy()))]
            if len(rest):
                c = _unique_candidates(rest)
                st.review(c.index.to_numpy(), c["rids"].to_numpy())

    # ---- 6. what is left: candidates → review; unusable ID → invalid ---------------------------
    open_ = st.open_mask() & ~status_in(USABLE) & nonempty("name")
    if open_.any():
        idx = np.flatnonzero(open_)
        left = pd.DataFrame({"rec": idx, "pinyin": rec["pinyin"].to_numpy()[idx],
                             "school": rec["school"].to_numpy()[idx],
                             "village": rec["village"].to_numpy()[idx],
                             "group": rec["group"].to_numpy()[idx]})
        right_s = person_schools().merge(pd.DataFrame({"reg": np.arange(len(reg)), "pinyin": reg["pinyin"],
                                                       "rid": reg["rid"]}), on="reg")
        by_school = left[left["school"] != ""].merge(right_s, on=["pinyin", "school"])
        right_v = pd.DataFrame({"reg": np.arange(len(reg)), "pinyin": reg["pinyin"], "rid": reg["rid"],
                                "village": reg["village"]})
        by_village = left[left["village"] != ""].merge(right_v[right_v["village"] != ""],
                                                       on=["pinyin", "village"])
        pairs = pd.concat([by_school[["rec", "reg", "rid", "group"]], by_village[["rec", "reg", "rid", "group"]]])
        if len(pairs):
            pairs = pairs.merge(taken(), on=["group", "reg"], how="left")
            pairs = pairs[pairs["taken"].isna()]
        if len(pairs):
            c = _unique_candidates(pairs)
            st.review(c.index.to_numpy(), c["rids"].to_numpy())

    # an unusable or missing ID (without a G 学籍号 to stand in) and nobody to suggest
    invalid = st.open_mask() & status_in(UNUSABLE | {"empty"}) & ~nonempty("xueji_id")
    st.code[invalid] = 3

    obj = lambda a: pd.Series(a, dtype=object, copy=False)   # keep object columns
    return pd.DataFrame({"reg": st.reg, "method": obj(st.method), "score": st.score, "status": obj(st.status),
                         "mismatch": obj(st.mismatch), "candidates": obj(st.candidates)}, copy=False)
