"""User-facing errors: one small hierarchy, rendered once by the CLI and the web chat."""

from __future__ import annotations


class NewsdeskError(Exception):
    """Base of every error newsdesk reports to a person; carries a hint saying what to do next."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(NewsdeskError):
    """A setting is missing or invalid (bad path, unknown backend, bad value)."""


class FilterError(ConfigError):
    """A search filter is invalid: `field` names it ("sources", "authors", "since", "until",
    "as_of") so that each interface can point at its own control."""

    def __init__(self, message: str, hint: str = "", field: str = "") -> None:
        super().__init__(message, hint)
        self.field = field


class ModelError(NewsdeskError):
    """A model could not be loaded from its local path."""


class StoreError(NewsdeskError):
    """The vector store could not be opened or reached."""


class EmptyIndexError(NewsdeskError):
    """A search or question was asked of an index that holds no articles yet."""


class NotFoundError(NewsdeskError):
    """Something asked for by id (an article) is not in the index."""


class IngestError(NewsdeskError):
    """An input file or record could not be read; names the file (and record) and the reason."""

    def __init__(self, path: str, reason: str, record: int | None = None, hint: str = "") -> None:
        where = f"{path} (record {record})" if record is not None else path
        super().__init__(f"{where}: {reason}", hint)
        self.path = path
        self.reason = reason
        self.record = record


class NothingToIngestError(NewsdeskError):
    """The paths given to ingest held no readable articles at all."""
