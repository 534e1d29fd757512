"""Quality events: change control, CAPA, deviations, executions, reminders (E1-E4, G5)."""

from qualify.quality.models.capa import (
    ActionKind,
    ActionStatus,
    Capa,
    CapaAction,
    CapaActionTarget,
    CapaSource,
    CapaStatus,
    EffectivenessCheck,
    EffectivenessReview,
    RootCause,
)
from qualify.quality.models.change_control import (
    ChangeControl,
    ChangeControlRevision,
    ChangeControlStatus,
    Risk,
)
from qualify.quality.models.deviation import (
    Deviation,
    DeviationCategory,
    DeviationSnapshot,
    DeviationStatus,
)
from qualify.quality.models.execution import Execution, ExecutionDocument
from qualify.quality.models.reminders import Notification, ReminderDigest

__all__ = [
    "ActionKind",
    "ActionStatus",
    "Capa",
    "CapaAction",
    "CapaActionTarget",
    "CapaSource",
    "CapaStatus",
    "ChangeControl",
    "ChangeControlRevision",
    "ChangeControlStatus",
    "Deviation",
    "DeviationCategory",
    "DeviationSnapshot",
    "DeviationStatus",
    "EffectivenessCheck",
    "EffectivenessReview",
    "Execution",
    "ExecutionDocument",
    "Notification",
    "ReminderDigest",
    "Risk",
    "RootCause",
]
