"""Sealing half-days and verifying the seals.

How the chain works (what an auditor needs to know):

* When a trainer closes a half-day, every émargement row of that slot is written out in
  a canonical form (`attendance_record`: an explicit list of fields, JSON with sorted
  keys and no whitespace) and hashed with SHA-256: these are the *record digests*,
  kept in `Seal.record_digests` as `{attendance id: digest}`.
* The seal's own digest is SHA-256 over the previous seal's digest of the same session,
  the canonical form of the slot (times, trainer's countersignature, sequence, who sealed
  and when) and the record digests. Seals of a session are numbered 1, 2, 3… in the order
  the half-days were closed; the first one chains to "". Changing any sealed row, any
  seal, or removing a seal from the middle of the chain breaks a digest or a link.
* Seals carry a format `version`. Version 1 covered the records and the half-day's times;
  version 2 also covers what the sheet's header shows and the app locks once anyone signed
  (the formation, its programme, contract reference and title, the session's time zone),
  the arrival and departure times, each signer's name and structure as they were at
  signing, and the scan ticket and phone a QR code signature came from. A
  version 2 seal also keeps the half-day's sealed form, so verification can name what
  changed (« fuseau horaire de la session : Europe/Paris → Indian/Mayotte »). Seals made
  before version 2 are verified in their own format.
* A sealed row never changes in place except through a rectification. Each
  rectification stores the changed fields' old and new values and its own digest,
  SHA-256 over the head of the slot's chain (the seal digest, then the previous
  rectification's digest) and its canonical form. Verification undoes the
  rectifications, newest first, to get back to the values that were sealed, so a
  legitimate correction verifies and a silent one does not.

Nothing secret is involved: anyone holding the database can recompute every digest.
What the chain proves is that the rows are those that were sealed, or that someone
changed them behind the application's back.
"""

from sessions.sealing.digests import (
    DATETIME_FIELDS,
    RECTIFIABLE_FIELDS,
    attendance_record,
    canonical_json,
    iso_utc,
    record_digest,
    rectification_digest,
    rectification_record,
    seal_digest,
    sha256_hex,
    slot_record,
)
from sessions.sealing.seal import seal_slot, slot_chain_head
from sessions.sealing.verification import (
    Problem,
    VerificationReport,
    closes_by_session,
    sessions_to_verify,
    verify_all,
    verify_everything,
    verify_session,
    verify_sessions,
)

__all__ = [
    "DATETIME_FIELDS",
    "RECTIFIABLE_FIELDS",
    "Problem",
    "VerificationReport",
    "attendance_record",
    "canonical_json",
    "closes_by_session",
    "iso_utc",
    "record_digest",
    "rectification_digest",
    "rectification_record",
    "seal_digest",
    "seal_slot",
    "sessions_to_verify",
    "sha256_hex",
    "slot_chain_head",
    "slot_record",
    "verify_all",
    "verify_everything",
    "verify_session",
    "verify_sessions",
]
