"""Writes of the sessions app. Every entry point (pages, admin, commands, imports) goes
through these functions; import them from here."""

from sessions.services.attendance import (
    attendance_key_in,
    attendance_mark,
    attendance_rectify,
    attendance_sign,
    ensure_signing_window,
    signing_window,
    slot_close,
    slot_countersign,
)
from sessions.services.audit_risks import audit_risk_acknowledge
from sessions.services.devices import session_set_shared_devices
from sessions.services.enrolment import (
    EnrolmentImportError,
    EnrolmentResult,
    RuleWarning,
    convocation_recipients,
    enrol_from_file,
    enrol_participants,
    enrol_structure,
    enrolment_rule_warnings,
    parse_enrolment_file,
    regenerate_calendar_token,
    regenerate_participant_calendar_token,
    send_convocations,
    unenrol,
)
from sessions.services.paper import (
    check_scan_file,
    paper_scan_store,
    paper_sheet_key_in,
    paper_sheets_import,
)
from sessions.services.planning import SlotSpec, generate_slots, session_save
from sessions.services.remote_links import (
    RemoteLink,
    RemoteLinksResult,
    remote_links,
    send_remote_links,
)
from sessions.services.tablet import tablet_lock, tablet_unlock

__all__ = [
    "EnrolmentImportError",
    "EnrolmentResult",
    "RemoteLink",
    "RemoteLinksResult",
    "RuleWarning",
    "SlotSpec",
    "attendance_key_in",
    "attendance_mark",
    "attendance_rectify",
    "attendance_sign",
    "audit_risk_acknowledge",
    "check_scan_file",
    "convocation_recipients",
    "enrol_from_file",
    "enrol_participants",
    "enrol_structure",
    "enrolment_rule_warnings",
    "ensure_signing_window",
    "generate_slots",
    "paper_scan_store",
    "paper_sheet_key_in",
    "paper_sheets_import",
    "parse_enrolment_file",
    "regenerate_calendar_token",
    "regenerate_participant_calendar_token",
    "remote_links",
    "send_convocations",
    "send_remote_links",
    "session_save",
    "session_set_shared_devices",
    "signing_window",
    "slot_close",
    "slot_countersign",
    "tablet_lock",
    "tablet_unlock",
    "unenrol",
]
