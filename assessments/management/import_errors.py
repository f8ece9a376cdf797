"""Report an all-or-nothing import's ValidationError as one CommandError listing every error."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError


@contextmanager
def import_errors_reported(path: Path, *, verb: str = "imported") -> Iterator[None]:
    """Turn a ValidationError raised inside into a CommandError that names the file and errors."""
    try:
        yield
    except ValidationError as exc:
        lines = "\n".join(f"  {message}" for message in exc.messages)
        raise CommandError(
            f"{path}: nothing {verb}, {len(exc.messages)} error(s):\n{lines}"
        ) from exc
