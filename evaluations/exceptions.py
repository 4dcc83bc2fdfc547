"""The domain exception of the evaluations app: every service refuses with
`EvaluationsError`, whose `code` is stable (views turn it into a message, tests assert it);
a refused answer also names its `question`, for the message beside it."""


class EvaluationsError(Exception):
    def __init__(self, message: str, *, code: str, question=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.question = question

    def __str__(self):
        return self.message
