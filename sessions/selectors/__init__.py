"""Reads of the sessions app: scoping (who may see or run what), hours, contract rules and
the auditor's view of a half-day. Views, tables, exporters and documents start from these;
import them from here. The query-building helpers (`signed_q`, `slot_minutes`, …) stay in
`sessions.selectors.hours`."""

from sessions.selectors.audit import AuditRow, SlotAudit, slot_audit_records
from sessions.selectors.contract import (
    FormationContractStatus,
    Offence,
    RuleState,
    RuleStatus,
    RuleWarning,
    contract_status,
    per_structure_state,
    session_contract_status,
    session_contract_warnings,
    session_rule_warnings,
)
from sessions.selectors.enrolment import enrolment_candidates
from sessions.selectors.hours import (
    annotate_enrolment_hours,
    counted_attendances,
    hours_by_formation,
    hours_by_participant,
    hours_by_session,
    hours_by_structure,
    planned_and_realised_by_enrolment,
    planned_minutes,
    realised_minutes,
)
from sessions.selectors.risks import (
    SharedDeviceSignature,
    device_signed_in_slot,
    shared_device_signatures,
)
from sessions.selectors.sheet import SessionRecords, session_records
from sessions.selectors.visibility import (
    enrolments_visible_to,
    sessions_run_by,
    sessions_visible_to,
    slots_run_by,
    slots_visible_to,
)

__all__ = [
    "AuditRow",
    "FormationContractStatus",
    "Offence",
    "RuleState",
    "RuleStatus",
    "RuleWarning",
    "SessionRecords",
    "SharedDeviceSignature",
    "SlotAudit",
    "annotate_enrolment_hours",
    "contract_status",
    "counted_attendances",
    "device_signed_in_slot",
    "enrolment_candidates",
    "enrolments_visible_to",
    "hours_by_formation",
    "hours_by_participant",
    "hours_by_session",
    "hours_by_structure",
    "planned_and_realised_by_enrolment",
    "per_structure_state",
    "planned_minutes",
    "realised_minutes",
    "session_contract_status",
    "session_contract_warnings",
    "session_records",
    "session_rule_warnings",
    "shared_device_signatures",
    "sessions_run_by",
    "sessions_visible_to",
    "slot_audit_records",
    "slots_run_by",
    "slots_visible_to",
]
