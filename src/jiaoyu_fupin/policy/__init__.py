"""The aid policy: which items are checked, for whom, how much, and how export values map to it.

Load with :func:`load_policy` (``None`` = the packaged default); everything else reads the frozen
:class:`Policy` it returns. ``fupin init`` writes editable copies via :func:`policy.init.write_defaults`.
"""

from jiaoyu_fupin.policy.load import load_policy, policy_from_mapping
from jiaoyu_fupin.policy.model import (
    BOARDING,
    IGNORED,
    STAGES,
    AmountResult,
    DropoutRule,
    IgnoredName,
    Item,
    Period,
    Policy,
    Rate,
    Tier,
    norm_text,
    normalize_boarding,
    normalize_stage,
    parse_semester,
)

__all__ = [
    "BOARDING", "IGNORED", "STAGES", "AmountResult", "DropoutRule", "IgnoredName", "Item", "Period",
    "Policy", "Rate", "Tier", "load_policy", "norm_text", "normalize_boarding", "normalize_stage",
    "parse_semester", "policy_from_mapping",
]
