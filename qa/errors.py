"""User-facing errors: one small hierarchy. Each class carries its CLI exit code and HTTP status
(as click's exceptions carry theirs); each surface renders them with one function: a terminal
(the CLI, ``python -m`` commands) with :func:`error_text`, the HTTP APIs, the web chat and the
server's HTML pages with those of qa.serve.errors."""

from __future__ import annotations

from typing import Any, ClassVar


class NewsdeskError(Exception):
    """Base of every error newsdesk reports to a person; carries a hint saying what to do next."""

    exit_code: ClassVar[int] = 1
    http_status: ClassVar[int] = 400

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def to_dict(self) -> dict[str, Any]:
        """The error as the HTTP APIs send it: ``{message, hint}`` (and ``field`` for a filter)."""
        return {"message": self.message, "hint": self.hint}


class ConfigError(NewsdeskError):
    """A setting is missing or invalid (bad path, unknown backend, bad value)."""


class FilterError(ConfigError):
    """A search filter is invalid: `field` names it ("sources", "authors", "since", "until",
    "as_of") so that each interface can point at its own control."""

    def __init__(self, message: str, hint: str = "", field: str = "") -> None:
        super().__init__(message, hint)
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), **({"field": self.field} if self.field else {})}


class ModelError(NewsdeskError):
    """A model could not be loaded from its local path."""


class StoreError(NewsdeskError):
    """The vector store could not be opened or reached."""

    http_status = 503


class EmptyIndexError(NewsdeskError):
    """A search or question was asked of an index that holds no articles yet."""

    http_status = 409


class NotFoundError(NewsdeskError):
    """Something asked for by id (an article, a model of the OpenAI API) does not exist."""

    http_status = 404


class IngestError(NewsdeskError):
    """An input file or record could not be read; names the file (and record) and the reason."""

    def __init__(self, path: str, reason: str, record: int | None = None, hint: str = "") -> None:
        where = f"{path} (record {record})" if record is not None else path
        super().__init__(f"{where}: {reason}", hint)
        self.path = path
        self.reason = reason
        self.record = record


class InvalidRequestError(NewsdeskError):
    """A request to the HTTP API lacks a field or has one of the wrong type or out of range."""

    http_status = 422


class TooLargeError(NewsdeskError):
    """An upload to the HTTP API is over its size or file-count limit."""

    http_status = 413


def error_text(exc: NewsdeskError, option: str = "") -> str:
    """The terminal's rendering of an error (the CLI, ``python -m qa.onnx_export``):
    "error: MESSAGE" (after `option`, the command-line option a bad filter came from) and, when
    there is one, "hint: HINT" on the next line."""
    text = f"error: {option + ': ' if option else ''}{exc.message}"
    return f"{text}\nhint: {exc.hint}" if exc.hint else text
