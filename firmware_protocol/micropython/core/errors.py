"""The one error the core raises: a refused frame or message, with its SPEC.md code."""


class ProtocolError(Exception):
    """`code` is what the ErrorReport carries; `detail` its detail field (a cue id, a size)."""

    def __init__(self, message: str, code: int, detail: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.detail = detail
