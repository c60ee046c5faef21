"""控辍保学 (dropout-check): one status per registry child of compulsory-education age.

``engine.dropout_check(prep, policy, school_year)`` judges; ``run.run_dropout(...)`` is the
library form of ``fupin dropout-check`` (read, link, judge, write); ``workbook`` writes the ledgers.
"""

from jiaoyu_fupin.dropout.engine import DropoutResult, default_school_year, dropout_check, expected_grade

__all__ = ["DropoutResult", "default_school_year", "dropout_check", "expected_grade"]
