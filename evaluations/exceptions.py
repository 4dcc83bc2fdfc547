"""The domain exception of the evaluations app: services refuse with `EvaluationsError`,
whose `code` is stable (views turn it into a message, tests assert it)."""


class EvaluationsError(Exception):
    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self):
        return self.message
