"""Where private documents are kept: `STORAGES["documents"]`, built from the environment.

A plain function of the environment, so that a test can compare the dict it builds.

The documents storage holds what must never be public: issued PDFs (the register's
files), scans of paper sheets, participant files waiting between preview and import, and
later receipts. By default a folder under `SUIVI_DATA_DIR` (`data/documents`), served by no
URL; with `SUIVI_DOCUMENTS_STORAGE=s3`, a bucket of any S3-compatible object store through
django-storages (`pip install -e '.[s3]'`). The code reads and writes it through Django's
storage API only (`storages["documents"]`, `open()`, `save()`), never through a path.
"""

from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

FILE = "file"
S3 = "s3"

# Variable → option of `storages.backends.s3.S3Storage`; only those set are passed, so that
# django-storages' own fallbacks apply (AWS_ACCESS_KEY_ID…, an instance profile).
S3_VARIABLES = {
    "SUIVI_DOCUMENTS_S3_BUCKET": "bucket_name",
    "SUIVI_DOCUMENTS_S3_ENDPOINT_URL": "endpoint_url",
    "SUIVI_DOCUMENTS_S3_REGION": "region_name",
    "SUIVI_DOCUMENTS_S3_ACCESS_KEY_ID": "access_key",
    "SUIVI_DOCUMENTS_S3_SECRET_ACCESS_KEY": "secret_key",
    "SUIVI_DOCUMENTS_S3_PREFIX": "location",
    "SUIVI_DOCUMENTS_S3_ADDRESSING_STYLE": "addressing_style",
}


def documents_storage(environ: Mapping[str, str], data_dir: Path) -> dict:
    """The `STORAGES["documents"]` entry for this environment.

    `SUIVI_DOCUMENTS_STORAGE`: `file` (default) → a private folder,
    `SUIVI_DOCUMENTS_DIR` or `<data_dir>/documents`, files readable by the server's user
    only; `s3` → `SUIVI_DOCUMENTS_S3_BUCKET` (required) and the optional variables of
    `S3_VARIABLES`. Objects are private (no public ACL), never overwritten (a second file
    under a taken name gets another name), and the code never asks the store for a URL.
    """
    kind = (environ.get("SUIVI_DOCUMENTS_STORAGE") or FILE).strip().lower()
    if kind == FILE:
        location = environ.get("SUIVI_DOCUMENTS_DIR") or str(Path(data_dir) / "documents")
        return {
            "BACKEND": "formations.storage.PrivateFileSystemStorage",
            "OPTIONS": {
                "location": str(location),
                "file_permissions_mode": 0o600,
                "directory_permissions_mode": 0o700,
            },
        }
    if kind == S3:
        options = {
            option: environ[variable].strip()
            for variable, option in S3_VARIABLES.items()
            if environ.get(variable, "").strip()
        }
        if "bucket_name" not in options:
            raise ImproperlyConfigured(
                "SUIVI_DOCUMENTS_STORAGE=s3 demande SUIVI_DOCUMENTS_S3_BUCKET (nom du bucket)."
            )
        options.update(
            {
                # No ACL on each object: buckets made since 2023 refuse ACLs by default
                # (BucketOwnerEnforced), and objects are private unless a bucket policy
                # says otherwise. The README asks for « Block Public Access ».
                "default_acl": None,
                "file_overwrite": False,
                "querystring_auth": True,
            }
        )
        return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
    raise ImproperlyConfigured(
        f"SUIVI_DOCUMENTS_STORAGE={kind!r} : valeurs possibles « file » (dossier, par défaut) "
        "ou « s3 » (stockage objet compatible S3)."
    )
