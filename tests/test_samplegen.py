"""The synthetic-county generator: determinism, readable files, truth that points at real cells."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from jiaoyu_fupin.samplegen import DEFAULT_SEED, generate_small
from jiaoyu_fupin.samplegen import ids as idm
from jiaoyu_fupin.samplegen.__main__ import main as samplegen_main

REPO = Path(__file__).resolve().parents[1]
TRUTH_CSVS = ("truth_links.csv", "truth_findings_reconcile.csv", "truth_dropout.csv", "truth_payout.csv")
ID_HEADERS = {"身份证号", "证件号码", "公民身份号码", "学生身份证号", "身份证件号", "身份证号码"}
NAME_HEADERS = {"姓名", "学生姓名", "幼儿姓名", "成员姓名"}


@pytest.fixture(scope="session")
def sample(tmp_path_factory):
    base = tmp_path_factory.mktemp("samplegen_a")
    info = generate_small(base / "data", seed=DEFAULT_SEED, truth=base / "truth")
    return base / "data", base / "truth", info


@pytest.fixture(scope="session")
def sample_again(tmp_path_factory):
    base = tmp_path_factory.mktemp("samplegen_b")
    info = generate_small(base / "data", seed=DEFAULT_SEED, truth=base / "truth")
    return base / "data", base / "truth", info


# ---------------------------------------------------------------------------------------------- readers
class _Tables(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows, self.row, self.cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.row = []
        elif tag == "td" and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.row.append("".join(self.cell))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.rows.append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def read_sheets(path: Path) -> dict[str, list[list]]:
    """Every sheet as rows of raw cell values (independent of the tool's own readers)."""
    data = path.read_bytes()
    if path.suffix == ".csv":
        text = data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else data.decode("gb18030")
        return {"": [list(r) for r in csv.reader(io.StringIO(text))]}
    if path.suffix == ".xlsx":
        import openpyxl
        wb = openpyxl.load_workbook(path, read_only=False)
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        import xlrd
        book = xlrd.open_workbook(file_contents=data)
        return {sh.name: [sh.row_values(i) for i in range(sh.nrows)] for sh in book.sheets()}
    parser = _Tables()
    parser.feed(data.decode("utf-8"))
    return {"表1": parser.rows}


def _header_cols(rows: list[list]) -> tuple[int, int]:
    for row in rows[:6]:
        cells = ["" if c is None else str(c) for c in row]
        ids = [i for i, c in enumerate(cells) if c in ID_HEADERS]
        names = [i for i, c in enumerate(cells) if c in NAME_HEADERS]
        if ids and names:
            return ids[0], names[0]
    raise AssertionError("no ID/name header found")


def _read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def _find(out: Path, name: str) -> Path:
    hits = [p for p in out.rglob(name)]
    assert len(hits) == 1, (name, hits)
    return hits[0]


# ---------------------------------------------------------------------------------------------- tests
def test_determinism(sample, sample_again):
    out_a, truth_a, _info_a = sample
    out_b, truth_b, _info_b = sample_again
    for name in TRUTH_CSVS:
        assert (truth_a / name).read_bytes() == (truth_b / name).read_bytes(), name
    files_a = sorted(p.relative_to(out_a) for p in out_a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(out_b) for p in out_b.rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (out_a / rel).read_bytes() == (out_b / rel).read_bytes(), rel   # CSV, HTML, xlsx and xls alike
    a = json.loads((truth_a / "scenario.json").read_text(encoding="utf-8"))
    b = json.loads((truth_b / "scenario.json").read_text(encoding="utf-8"))
    a.pop("commands")
    b.pop("commands")
    assert a == b


def test_layout_and_files_open(sample):
    out, _, _info = sample
    for sub in ("registry", "national", "provincial", "rosters", "previous_rosters"):
        assert any((out / sub).iterdir()), sub
    for name in ("schools.xlsx", "home_education.xlsx", "elsewhere.xlsx", "README.txt"):
        assert (out / name).is_file()
    assert len(list((out / "rosters").iterdir())) == 13
    suffixes = set()
    for p in out.rglob("*"):
        if p.is_file() and p.suffix != ".txt":
            sheets = read_sheets(p)
            assert sheets and any(len(rows) > 1 for rows in sheets.values()), p
            suffixes.add(p.suffix)
    assert suffixes == {".xlsx", ".xls", ".csv"}
    total = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    assert total < 3_000_000


def test_truth_rows_point_at_cells(sample):
    out, truth, _ = sample
    links = _read_csv(truth / "truth_links.csv")
    assert len(links) > 4000
    by_file: dict[str, list[dict]] = {}
    for row in links:
        by_file.setdefault(row["file"], []).append(row)
    for file, rows in by_file.items():
        sheets = read_sheets(_find(out, file))
        cache = {}
        for row in rows:
            sheet = sheets[row["sheet"]]
            if row["sheet"] not in cache:
                cache[row["sheet"]] = _header_cols(sheet)
            id_col, name_col = cache[row["sheet"]]
            cells = sheet[int(row["row"]) - 1]
            cell_id = cells[id_col] if id_col < len(cells) else None
            if isinstance(cell_id, float):
                assert cell_id == float(row["raw_id"]), row
            else:
                assert ("" if cell_id is None else str(cell_id)) == row["raw_id"], row
            assert str(cells[name_col]) == row["raw_name"], row


def test_checksums(sample):
    out, truth, _ = sample
    for row in _read_csv(truth / "truth_links.csv"):
        assert idm.is_valid18(row["true_person_id"]), row
        if row["expected_registry_id"]:
            assert idm.is_valid18(row["expected_registry_id"]), row
        assert (row["expected_registry_id"] != "") == (row["expected_method_class"] in ("exact", "mismatch"))
        if row["expected_method_class"] == "exact":
            st, val = idm.normalize(row["raw_id"])
            assert val == row["expected_registry_id"] or st == "empty", row
    n = 0
    for reg in (out / "registry").iterdir():
        for rows in read_sheets(reg).values():
            id_col, _ = _header_cols(rows)
            start = next(i for i, r in enumerate(rows) if r[id_col] in ID_HEADERS) + 1
            for r in rows[start:]:
                assert idm.is_valid18(str(r[id_col])[:18]), r
                assert len(str(r[id_col])) in (18, 20, 22)
                n += 1
    assert 600 <= n <= 800
    for row in _read_csv(truth / "truth_payout.csv"):
        assert idm.is_valid18(row["id_number"])


def test_every_scenario_and_category_present(sample):
    _, truth, _info = sample
    scenario = json.loads((truth / "scenario.json").read_text(encoding="utf-8"))
    assert scenario["seed"] == DEFAULT_SEED
    assert scenario["semester"] == "2020秋" and scenario["payout_semester"] == "2021春"
    assert all(v > 0 for v in scenario["scenario_counts"].values()), scenario["scenario_counts"]
    assert all(v > 0 for v in scenario["expected_reconcile_findings"].values())
    assert all(v > 0 for v in scenario["expected_dropout"].values())
    assert set(scenario["expected_link_classes"]) == {"exact", "mismatch", "review", "invalid", "none"}
    for key in ("reconcile", "dropout_check", "payout"):
        assert scenario["commands"][key].startswith("fupin ")
    sizes = scenario["sizes"]
    assert 1500 <= sizes["roster_rows"] <= 2500
    assert 600 <= sizes["registry_persons"] <= 800
    assert 500 <= sizes["national_rows"] <= 800
    assert 200 <= sizes["provincial_rows"] <= 350


def test_findings_are_consistent(sample):
    out, truth, _ = sample
    findings = _read_csv(truth / "truth_findings_reconcile.csv")
    links = {(r["file"], r["sheet"], r["row"]): r for r in _read_csv(truth / "truth_links.csv")}
    files = {p.name for p in out.rglob("*") if p.is_file()}
    by_cat: dict[str, set] = {}
    for f in findings:
        by_cat.setdefault(f["category"], set()).add((f["id_number"], f["item"]))
        assert f["sources"], f
        for ref in f["sources"].split(";"):
            file, sheet, row = ref.rsplit(":", 2)
            assert file in files, ref
            if not file.startswith(("国办系统", "防返贫")):
                assert (file, sheet, row) in links, ref
    # SPEC interactions
    assert not (by_cat["NOT_ENROLLED"] & by_cat["UNPAID"])
    ne_people = {pid for pid, _ in by_cat["NOT_ENROLLED"]}
    assert not ne_people & {pid for pid, _ in by_cat["OUT_OF_AREA"] | by_cat["UNPAID"] | by_cat["OVERPAID"]}
    assert not by_cat["DUPLICATE"] & (by_cat["OVERPAID"] | by_cat["LEDGER_MISMATCH"])
    for f in findings:
        if f["category"] in ("UNDERPAID", "OVERPAID"):
            assert f["expected_amount"] and f["paid_amount"] and f["expected_amount"] != f["paid_amount"]
        if f["category"] == "UNPAID":
            assert f["expected_amount"] and not f["paid_amount"]
    dropout = _read_csv(truth / "truth_dropout.csv")
    assert len({d["id_number"] for d in dropout}) == len(dropout)


def test_committed_sample_is_reproducible(sample):
    out, truth, _ = sample
    committed_truth = REPO / "tests" / "data" / "sample_truth"
    committed_data = REPO / "sample_data"
    if not (committed_truth / "truth_links.csv").exists():
        pytest.skip("no committed sample truth")
    for name in TRUTH_CSVS:
        assert (committed_truth / name).read_bytes() == (truth / name).read_bytes(), \
            f"{name} is stale: run `python -m jiaoyu_fupin.samplegen sample_data`"
    for p in out.rglob("*"):
        if p.is_file():
            rel = p.relative_to(out)
            assert (committed_data / rel).read_bytes() == p.read_bytes(), f"sample_data/{rel} is stale"


def test_bench_tiny(tmp_path):
    assert samplegen_main([str(tmp_path / "bench"), "--scale", "0.002", "--workers", "1"]) == 0
    info = json.loads((tmp_path / "bench" / "scenario.json").read_text(encoding="utf-8"))
    # a few pupils are listed twice (MESS["duplicate"])
    assert 2000 <= info["sizes"]["roster_rows"] <= 2020
    assert info["sizes"]["registry_rows"] == 400
    assert info["bench_version"] >= 2 and info["mess"]
    rosters = sorted((tmp_path / "bench" / "rosters").iterdir())
    assert len(rosters) == 13
    # the registry is clean; rosters and the national ledger carry a few percent of mess (ID typos,
    # garbage IDs, numbers in the ID column of one school)
    statuses: dict[str, int] = {}
    numeric = 0
    for p in [*rosters, *(tmp_path / "bench" / "national").iterdir(), *(tmp_path / "bench" / "registry").iterdir()]:
        sheets = read_sheets(p)
        rows = next(iter(sheets.values()))
        id_col, _ = _header_cols(rows)
        start = next(i for i, r in enumerate(rows) if r[id_col] in ID_HEADERS) + 1
        for r in rows[start:]:
            if r[id_col]:
                if isinstance(r[id_col], float):
                    numeric += 1
                status = idm.normalize(r[id_col])[0]
                if p.parent.name == "registry":
                    assert status == "valid", r
                statuses[status] = statuses.get(status, 0) + 1
    total = sum(statuses.values())
    assert statuses["valid"] >= 0.9 * total
    assert numeric > 20          # the numeric-ID school (every 37th from the 6th)
    assert total - statuses["valid"] > numeric
