"""The domain exception of the livrables app: services refuse with `LivrablesError`, whose
`code` is stable (views turn it into a message, tests assert it).

Codes: `not_allowed` (the actor may not do this), `not_sealed` (a session not fully sealed
has only a provisional preview), `sealed` (a sealed session's sheet is issued, not
previewed), `already_revoked`, `reason_required`, `file_missing` and `file_altered` (the
kept file of an issued document is gone, or no longer has the registered digest);
for expenses (`livrables.services_expenses`): `invalid`, `receipt_missing`,
`receipt_empty`, `receipt_too_large`, `receipt_type`."""


class LivrablesError(Exception):
    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self):
        return self.message
