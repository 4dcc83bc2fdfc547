"""The private documents storage (`STORAGES["documents"]`, see config/storages.py).

Issued PDFs, scans of paper sheets and participant files waiting to be imported live there.
Nothing serves it by URL: views that check the user's rights read a file through the
storage API (`open()`) and hand the bytes over. Code never asks for a file's `.path`, so
the storage may be a folder or an S3-compatible object store, by settings alone.
"""

from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

DOCUMENTS = "documents"


class PrivateFileSystemStorage(FileSystemStorage):
    """A folder that no URL serves: `url()` refuses (FileSystemStorage would otherwise
    fall back to MEDIA_URL and print an address that must never work), and a location is
    required (never MEDIA_ROOT by default)."""

    def __init__(self, location=None, **kwargs):
        if not location:
            raise ImproperlyConfigured(
                "Le stockage des documents privés demande un dossier (option « location »)."
            )
        kwargs.pop("base_url", None)
        super().__init__(location=location, **kwargs)

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise ValueError("Private document: served only by a view that checks permission.")


class _DocumentsStorage(LazyObject):
    """`storages["documents"]`, looked up on first use and again after a test changes
    STORAGES (a FileField keeps the object its `storage` callable returned at import)."""

    def _setup(self):
        self._wrapped = storages[DOCUMENTS]


_documents = _DocumentsStorage()


def documents_storage() -> Storage:
    """The private documents storage. Also the `storage=` callable of private FileFields,
    so that migrations name this function rather than a storage's settings."""
    return _documents


@receiver(setting_changed)
def _forget_documents_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        _documents._wrapped = empty
