"""fupin — 教育扶贫学生资助对账工具 (jiaoyu_fupin)."""

__version__ = "0.1.0"
