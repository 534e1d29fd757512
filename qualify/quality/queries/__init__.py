"""Quality queries (reads): open items, training pictures, the gate, the batch record."""

from qualify.quality.queries.batch import batch_record
from qualify.quality.queries.gate import GateAnswer, gate_check
from qualify.quality.queries.open_items import (
    capa_open_items,
    change_control_open_items,
    deviation_open_items,
)
from qualify.quality.queries.picture import assignments_caused_by, training_picture
from qualify.quality.queries.records import (
    batches,
    capa_actions,
    capas,
    change_controls,
    deviations,
    effectiveness_reviews,
    executions,
)

__all__ = [
    "GateAnswer",
    "assignments_caused_by",
    "batch_record",
    "batches",
    "capa_actions",
    "capa_open_items",
    "capas",
    "change_control_open_items",
    "change_controls",
    "deviation_open_items",
    "deviations",
    "effectiveness_reviews",
    "executions",
    "gate_check",
    "training_picture",
]
