"""The section `verifier`: the pack's standalone `verifier.py` (this package's
`verifier.py`, standard library only), put at the pack's root byte for byte, so an
auditor checks the manifest, the seal chains and `recapitulatif.csv` without the
application. It is listed in `manifest.csv` like every other file: a verifier altered
after the pack was built shows as a modified file."""

from collections.abc import Iterator
from pathlib import Path

from livrables.pack.registry import PackFile, PackScope, PackSection, register_section

VERIFIER_FILE = "verifier.py"


def verifier_bytes() -> bytes:
    return Path(__file__).with_name(VERIFIER_FILE).read_bytes()


def verifier_files(scope: PackScope) -> Iterator[PackFile]:
    yield PackFile(path=VERIFIER_FILE, chunks=lambda: (verifier_bytes(),))


VERIFIER_SECTION = register_section(
    PackSection(
        key="verifier",
        label="Vérificateur autonome (verifier.py, Python 3.8 ou plus récent)",
        order=14,
        files=verifier_files,
    )
)

__all__ = ["VERIFIER_FILE", "VERIFIER_SECTION", "verifier_bytes", "verifier_files"]
