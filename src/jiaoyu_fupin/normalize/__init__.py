"""Normalisers: one module per kind of value (ids, names, semesters, dates, values).

Import from the submodules, e.g. ``from jiaoyu_fupin.normalize.names import normalize_names``.
Every normaliser has a scalar form and a vectorised pandas form that works on distinct values.
"""
