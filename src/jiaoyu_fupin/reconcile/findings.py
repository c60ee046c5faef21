"""The finding record and the category vocabulary shared by reconcile and dropout-check."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

#: findings.csv columns, in SPEC order (stable contract for batch scripts)
FINDINGS_COLUMNS = ("category", "id_number", "name", "item", "semester", "school", "township", "village",
                    "expected_amount", "paid_amount", "reason", "confidence", "sources")

CATEGORY_ORDER = ("UNPAID", "UNDERPAID", "OVERPAID", "DUPLICATE", "NOT_REGISTERED", "NOT_ENROLLED",
                  "OUT_OF_AREA", "LEDGER_MISMATCH", "DATA_MISMATCH", "INVALID_ID", "NEEDS_REVIEW")

CATEGORY_LABELS = {
    "UNPAID": "应享未享",
    "UNDERPAID": "少发",
    "OVERPAID": "多发",
    "DUPLICATE": "重复享受",
    "NOT_REGISTERED": "不该享受而享受（非建档立卡）",
    "NOT_ENROLLED": "不在籍而享受",
    "OUT_OF_AREA": "外地就读待核实",
    "LEDGER_MISMATCH": "省级与全国系统不一致",
    "DATA_MISMATCH": "信息不一致",
    "INVALID_ID": "证件号无效",
    "NEEDS_REVIEW": "疑似匹配待人工核对",
    # dropout-check
    "ENROLLED": "在校就读",
    "HOME_EDUCATION": "送教上门",
    "ENROLLED_ELSEWHERE": "外地就读（有证明）",
    "OUT_OF_AREA_UNVERIFIED": "外出未核实",
    "DROPPED_OUT": "疑似辍学",
}

DROPOUT_ORDER = ("DROPPED_OUT", "NOT_ENROLLED", "OUT_OF_AREA_UNVERIFIED", "HOME_EDUCATION",
                 "ENROLLED_ELSEWHERE", "ENROLLED")
DROPOUT_LABELS = dict(CATEGORY_LABELS, NOT_ENROLLED="未入学（失学）")


def money(d: Decimal | None) -> str:
    """Decimal yuan with two places ('312.50'); '' for None."""
    if d is None:
        return ""
    return f"{Decimal(d):.2f}"


@dataclass(frozen=True)
class Finding:
    category: str
    id_number: str
    name: str
    item: str
    semester: str
    school: str
    township: str
    village: str
    expected_amount: Decimal | None
    paid_amount: Decimal | None
    reason: str
    confidence: float
    sources: tuple[str, ...]
    # shown in the workbooks only (not in findings.csv)
    household_no: str = ""
    grade: str = ""
    match: str = ""

    def csv_row(self) -> list[str]:
        return [self.category, self.id_number, self.name, self.item, self.semester, self.school, self.township,
                self.village, money(self.expected_amount), money(self.paid_amount), self.reason,
                f"{self.confidence:.2f}", ";".join(self.sources)]

    def difference(self) -> Decimal | None:
        if self.expected_amount is None or self.paid_amount is None:
            return None
        return Decimal(self.paid_amount) - Decimal(self.expected_amount)


def csv_columns(findings: list[Finding]) -> list[list[str]]:
    """The findings.csv columns (FINDINGS_COLUMNS) of ``findings``: :meth:`Finding.csv_row`
    column by column."""
    return [[f.category for f in findings], [f.id_number for f in findings], [f.name for f in findings],
            [f.item for f in findings], [f.semester for f in findings], [f.school for f in findings],
            [f.township for f in findings], [f.village for f in findings],
            [money(f.expected_amount) for f in findings], [money(f.paid_amount) for f in findings],
            [f.reason for f in findings], [f"{f.confidence:.2f}" for f in findings],
            [";".join(f.sources) for f in findings]]
