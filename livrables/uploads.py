"""The content checks of uploaded files now live in `formations.filetypes` (projects uses
them too and may not import livrables); this module keeps livrables' imports working."""

from formations.filetypes import (  # noqa: F401
    DOCX,
    EML,
    JPEG,
    MSG,
    ODP,
    ODT,
    PDF,
    PNG,
    PPTX,
    UploadTooLarge,
    document_content_type,
    message_content_type,
    signature_type,
    upload_bytes,
)
