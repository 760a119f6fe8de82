"""Azure SDK errors as the adapter's errors, for the blob media store.

The SDK's own texts are left out on purpose: they can quote request URLs, and with a SAS
those carry the signature. The storage error code is kept as `code`.
"""

from __future__ import annotations

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)

from acs_adapter.errors import (
    AdapterError,
    ConfigurationError,
    Conflict,
    NotFound,
    Throttled,
    Unavailable,
)

from ._base import SETTING_NAME, MediaTooLarge


def translate_azure_error(
    exc: AzureError, key: str | None, *, writing: bool = False
) -> AdapterError:
    """The adapter's error for an Azure SDK error, without the SDK's text (it can hold URLs)."""
    what = "the media container" if key is None else f"media {key!r}"
    status = exc.status_code if isinstance(exc, HttpResponseError) else None
    error_code = getattr(exc, "error_code", None)
    code = str(error_code) if error_code else None
    if isinstance(exc, ResourceNotFoundError) or status == 404:
        if code == "ContainerNotFound" and writing:
            return ConfigurationError(
                f"the Azure Blob container named in {SETTING_NAME} does not exist", code=code
            )
        return NotFound(f"{what} not found", code="MediaNotFound")
    if isinstance(exc, ResourceExistsError) or status == 409:
        return Conflict(f"{what} already exists", code="MediaExists")
    if isinstance(exc, ClientAuthenticationError) or status in {401, 403}:
        return ConfigurationError(
            f"Azure Blob Storage refused the credentials in {SETTING_NAME} ({code or status})",
            code=code,
        )
    if status == 413:
        return MediaTooLarge(f"Azure Blob Storage refused {what} as too large", code=code)
    if status in {429, 503} and code == "ServerBusy":
        return Throttled(f"Azure Blob Storage is busy; {what} was not processed", code=code)
    if status is None or status >= 500:
        return Unavailable(
            f"Azure Blob Storage could not be reached or failed; {what} was not processed",
            code=code or type(exc).__name__,
        )
    return AdapterError(
        f"Azure Blob Storage refused the request for {what} ({code or status})",
        code=code,
        status=502,
    )
