"""The one domain exception of the sessions app. Its `code` is stable: views turn it into
a message, tests assert it."""


class SessionsError(Exception):
    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self):
        return self.message


class AttendanceError(SessionsError):
    """Refused émargement: expired QR code, slot sealed, outside the window…"""
