"""The audit pack of a formation (`export_justificatifs`): one ZIP an auditor can check
without the application. Its content is an open list of sections (`registry`), each
giving files as streams; the builder writes them one at a time, hashes them on the way
and ends with `manifest.csv` (path, SHA-256, bytes of every other file), which the
pack's standard-library `verifier.py` checks."""
