"""The domain exception of the projects app: every service refuses with `ProjectsError`,
whose `code` is stable (views turn it into a message, tests assert it); `field` names the
form field the message belongs beside, when there is one."""


class ProjectsError(Exception):
    def __init__(self, message: str, *, code: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self):
        return self.message
