"""Reading layer: spreadsheet exports -> ``model.Table`` (see docs/ARCHITECTURE.md)."""

from jiaoyu_fupin.io.cells import cell_text, column_text
from jiaoyu_fupin.io.columns_config import ColumnOverrides, load_columns
from jiaoyu_fupin.io.header import HeaderMatch, detect_source, find_header
from jiaoyu_fupin.io.load import LoadResult, SheetSkip, load_file, load_tables
from jiaoyu_fupin.io.readers import RawSheet, expand_paths, read_raw

__all__ = [
    "ColumnOverrides",
    "HeaderMatch",
    "LoadResult",
    "RawSheet",
    "SheetSkip",
    "cell_text",
    "column_text",
    "detect_source",
    "expand_paths",
    "find_header",
    "load_columns",
    "load_file",
    "load_tables",
    "read_raw",
]
