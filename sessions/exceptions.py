"""The domain exception of the sessions app. Services refuse with `SessionsError` or one of
its subclasses (`AttendanceError` below, `EnrolmentImportError` in
`sessions.services.enrolment`); its `code` is stable: views turn it into a message, tests
assert it. (`attendance_import.ImportFileError` never leaves its module: it becomes a line of
the import's report.)"""


class SessionsError(Exception):
    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self):
        return self.message


class AttendanceError(SessionsError):
    """Refused émargement: expired QR code, slot sealed, outside the window…"""
