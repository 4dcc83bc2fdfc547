"""Storages for tests that prove code goes through the storage API only."""

import os

from django.core.files.storage import InMemoryStorage
from django.utils._os import safe_join


class NoPathStorage(InMemoryStorage):
    """Kept in memory, and with no local path at all, as an object store: any `.path`
    fails loudly (the in-memory tree keeps its own bookkeeping)."""

    def path(self, name):
        raise NotImplementedError("No local path: read it through open().")

    def _relative_path(self, name):
        return os.path.relpath(safe_join(self.location, name), self.location)


NO_PATH_STORAGE = {"BACKEND": "tests.storages.NoPathStorage"}
