"""What goes into an audit pack: an open registry of sections.

Each section gives, for a scope (a formation and an optional period), the files it puts
in the pack, in order. A file is a path inside the ZIP and a callable that yields its
bytes in chunks when the builder reaches it, so that only one file's chunk is in memory
at a time whatever the number of sessions. The sheets, certificates, statement and
expenses register their sections here, and so do later features (evaluation syntheses,
CCAS fiches, FSE+ data) from their own modules: `register_section` at import time, in
`livrables.pack.sections` or in the module that owns the document."""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from formations.models import Formation


@dataclass(frozen=True)
class PackScope:
    """A formation and, optionally, a period (both bounds included, in the sessions' local
    dates). Without a period the pack covers the whole formation."""

    formation: Formation
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def covers(self, day: dt.date) -> bool:
        if self.date_from is not None and day < self.date_from:
            return False
        return self.date_to is None or day <= self.date_to


@dataclass(frozen=True)
class PackFile:
    """One file of the pack. `path`: relative, forward slashes, ASCII (slugified names),
    unique in the pack. `chunks`: called once when the file is written; yields bytes.
    `modified`: the date written in the ZIP entry (when the document was issued or the
    receipt uploaded), so a pack built twice from the same records holds the same entries."""

    path: str
    chunks: Callable[[], Iterable[bytes]]
    modified: dt.datetime | None = None


@dataclass(frozen=True)
class PackSection:
    """`key`: stable identifier; `label`: what the section holds, in French, as the
    pack's LISEZMOI.txt lists it; `order`: where it comes in the pack (lower first);
    `files(scope)`: its files, read lazily."""

    key: str
    label: str
    order: int
    files: Callable[[PackScope], Iterator[PackFile]]


PACK_SECTIONS: dict[str, PackSection] = {}


def register_section(section: PackSection) -> PackSection:
    """Adds a section; the same key registered again (a reloaded module) replaces it."""
    PACK_SECTIONS[section.key] = section
    return section


def ordered_sections() -> list[PackSection]:
    return sorted(PACK_SECTIONS.values(), key=lambda section: (section.order, section.key))


def bytes_file(path: str, content: bytes, modified: dt.datetime | None = None) -> PackFile:
    """A file whose bytes are already at hand (a small text, a kept document)."""
    return PackFile(path=path, chunks=lambda: (content,), modified=modified)
