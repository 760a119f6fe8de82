"""Chat media bytes, kept outside ACS: a local folder or an Azure Blob container.

Messages carry only a key; `MediaStore` turns keys into bytes and into temporary URLs.
`media_store_from_setting` picks the store from `TWILIO_COMPAT_MEDIA`.
"""

from typing import TYPE_CHECKING

from acs_adapter._lazy import lazy_exports

from ._base import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TTL_SECONDS,
    SETTING_NAME,
    MediaStore,
    MediaTooLarge,
    StoredMedia,
)

if TYPE_CHECKING:
    from ._settings import media_store_from_setting
    from .azure_blob import DEFAULT_CONTAINER, AzureBlobMediaStore
    from .local import LocalMediaStore
    from .server import MediaServer, media_asgi_app

__getattr__ = lazy_exports(
    __name__,
    {
        "acs_adapter.media._settings": ("media_store_from_setting",),
        "acs_adapter.media.azure_blob": ("DEFAULT_CONTAINER", "AzureBlobMediaStore"),
        "acs_adapter.media.local": ("LocalMediaStore",),
        "acs_adapter.media.server": ("MediaServer", "media_asgi_app"),
    },
)

__all__ = [
    "DEFAULT_CONTAINER",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TTL_SECONDS",
    "SETTING_NAME",
    "AzureBlobMediaStore",
    "LocalMediaStore",
    "MediaServer",
    "MediaStore",
    "MediaTooLarge",
    "StoredMedia",
    "media_asgi_app",
    "media_store_from_setting",
]
