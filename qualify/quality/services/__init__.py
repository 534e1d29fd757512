"""Quality services (writes): one transaction each, permission checked, audited."""

from qualify.quality.services.capa import (
    capa_action_add,
    capa_action_cancel,
    capa_action_complete,
    capa_action_review,
    capa_close,
    capa_create,
    capa_qa_review,
)
from qualify.quality.services.change_control import (
    change_control_approve,
    change_control_close,
    change_control_create,
    change_control_link_revision,
)
from qualify.quality.services.common import QualityRefused
from qualify.quality.services.deviation import (
    deviation_close,
    deviation_create,
    deviation_order_requalification,
)
from qualify.quality.services.execution import (
    GateRefused,
    execution_record,
    require_qualified_signer,
)

__all__ = [
    "GateRefused",
    "QualityRefused",
    "capa_action_add",
    "capa_action_cancel",
    "capa_action_complete",
    "capa_action_review",
    "capa_close",
    "capa_create",
    "capa_qa_review",
    "change_control_approve",
    "change_control_close",
    "change_control_create",
    "change_control_link_revision",
    "deviation_close",
    "deviation_create",
    "deviation_order_requalification",
    "execution_record",
    "require_qualified_signer",
]
