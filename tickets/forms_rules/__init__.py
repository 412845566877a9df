"""The friendly rules page's forms: condition and action rows instead of JSON.

A rule is posted as plain fields (`name`, `trigger`, ...) and numbered rows:
`c-<n>-type`, `c-<n>-op`, `c-<n>-value` (repeatable) for conditions and
`a-<n>-type`, `a-<n>-<param>` for actions. `RuleEditor` turns the rows into the JSON the
engine runs, checks every row with the engine's own validators and keeps a message per row;
`rule_rows()` turns a stored rule back into rows for editing.
"""

from tickets.forms_rules.catalogue import (
    ACTION_LABELS,
    CONDITION_FIELDS,
    NOTIFY_LABELS,
    OPERATORS,
    STRATEGY_LABELS,
    Lookups,
)
from tickets.forms_rules.forms import DryRunForm, RuleBasicsForm, RuleEditor
from tickets.forms_rules.rows import (
    Row,
    blank_action,
    blank_condition,
    condition_row,
    rule_rows,
    rule_unshown,
)

__all__ = [
    "ACTION_LABELS",
    "CONDITION_FIELDS",
    "NOTIFY_LABELS",
    "OPERATORS",
    "STRATEGY_LABELS",
    "DryRunForm",
    "Lookups",
    "Row",
    "RuleBasicsForm",
    "RuleEditor",
    "blank_action",
    "blank_condition",
    "condition_row",
    "rule_rows",
    "rule_unshown",
]
