"""One behaviour suite for both media stores: a local folder and Azure Blob (on Azurite).

Temporary URLs are fetched with a real HTTP client: the local store's from its own background
server, the blob store's SAS URLs from Azurite.
"""

from __future__ import annotations

import io
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from azure.storage.blob import ContainerClient

from acs_adapter.errors import AdapterError, Conflict, InvalidInput, NotFound
from acs_adapter.media import (
    DEFAULT_MAX_BYTES,
    AzureBlobMediaStore,
    LocalMediaStore,
    MediaStore,
    MediaTooLarge,
)

LIMIT = 10 * 1024 * 1024  # above the blob store's single-request size, so block uploads are tested
SECRET = b"media-url-secret-for-tests-0123456789"
FIVE_MB = 5 * 1024 * 1024

BAD_KEYS = [
    "",
    ".",
    "..",
    "../escape",
    "..\\escape",
    "a/b",
    "/etc/passwd",
    "C:\\windows",
    "a\x00b",
    "%2e%2e",
    "..%2fescape",
    "%2F",
    "a b",
    "k\n",
    "caf\u00e9",
    "x" * 129,
]


class ShiftedClock:
    """The system clock moved by `shift` seconds: a URL issued with a negative shift is as old
    as a URL issued that long ago."""

    def __init__(self) -> None:
        self.shift = 0.0

    def __call__(self) -> float:
        return time.time() + self.shift


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture(params=["local", "azure_blob"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ShiftedClock
) -> Iterator[MediaStore]:
    if request.param == "local":
        local = LocalMediaStore(tmp_path / "media", secret=SECRET, max_bytes=LIMIT, clock=clock)
        local.serve()
        with local:
            yield local
    else:
        connection_string: str = request.getfixturevalue("azurite")
        container = f"media-{uuid.uuid4().hex[:12]}"
        with AzureBlobMediaStore.from_connection_string(
            connection_string, container, max_bytes=LIMIT, clock=clock
        ) as blob_store:
            yield blob_store


def leftovers(store: MediaStore) -> list[str]:
    """Everything the store has kept, including hidden staging files and uncommitted blocks."""
    if isinstance(store, LocalMediaStore):
        return sorted(str(p.relative_to(store.root)) for p in store.root.rglob("*"))
    assert isinstance(store, AzureBlobMediaStore)
    container: ContainerClient = store._container
    if not container.exists():
        return []
    return sorted(b.name for b in container.list_blobs(include=["uncommittedblobs"]))


class FailingStream(io.RawIOBase):
    """A caller's stream that breaks after `good` bytes, as a dropped upload would."""

    def __init__(self, good: int) -> None:
        self._left = good

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            raise OSError("connection reset by peer")
        n = min(self._left, size if size > 0 else self._left)
        self._left -= n
        return b"z" * n


def secret_strings(store: MediaStore) -> list[str]:
    if isinstance(store, LocalMediaStore):
        return [SECRET.decode(), SECRET.hex()]
    assert isinstance(store, AzureBlobMediaStore)
    key = store._account_key
    assert key
    return [key]


# -- put / get / info / delete -------------------------------------------------------------


def test_put_get_info_delete(store: MediaStore) -> None:
    record = store.put(b"\x89PNG fake image", content_type="image/png", filename="cat.png")

    assert record.content_type == "image/png"
    assert record.filename == "cat.png"
    assert record.size == len(b"\x89PNG fake image")
    assert record.created_at.tzinfo is not None

    info, data = store.get(record.key)
    assert data == b"\x89PNG fake image"
    assert info == store.info(record.key)
    assert (info.key, info.content_type, info.filename, info.size) == (
        record.key,
        "image/png",
        "cat.png",
        record.size,
    )

    store.delete(record.key)
    with pytest.raises(NotFound):
        store.info(record.key)
    with pytest.raises(NotFound):
        store.get(record.key)
    with pytest.raises(NotFound):
        store.delete(record.key)


def test_generated_keys_are_distinct_and_url_safe(store: MediaStore) -> None:
    keys = {store.put(b"x", content_type="text/plain").key for _ in range(3)}
    assert len(keys) == 3
    for key in keys:
        assert key.replace("-", "").replace("_", "").isalnum()


def test_given_key_is_kept_and_never_replaced(store: MediaStore) -> None:
    key = "ME" + uuid.uuid4().hex
    first = store.put(b"first", content_type="text/plain", key=key)
    assert first.key == key

    with pytest.raises(Conflict):
        store.put(b"second", content_type="text/plain", key=key)

    assert store.get(key)[1] == b"first"


def test_filename_is_optional_and_may_be_any_language(store: MediaStore) -> None:
    nameless = store.put(b"a", content_type="application/octet-stream")
    named = store.put(b"b", content_type="text/plain; charset=utf-8", filename="résumé 2024.txt")

    assert store.info(nameless.key).filename is None
    assert store.info(named.key).filename == "résumé 2024.txt"
    assert store.info(named.key).content_type == "text/plain; charset=utf-8"


def test_five_megabyte_stream_round_trips(store: MediaStore) -> None:
    payload = os.urandom(FIVE_MB)

    record = store.put(io.BytesIO(payload), content_type="video/mp4", filename="clip.mp4")

    assert record.size == FIVE_MB
    assert store.info(record.key).size == FIVE_MB
    assert store.get(record.key)[1] == payload
    info, chunks = store.open(record.key)
    assert info.size == FIVE_MB
    assert b"".join(chunks) == payload


def test_open_of_unknown_key_fails_before_iterating(store: MediaStore) -> None:
    with pytest.raises(NotFound):
        store.open("no-such-media")


# -- refused uploads leave nothing -------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", io.BytesIO(b"")], ids=["bytes", "stream"])
def test_empty_upload_is_refused_and_leaves_nothing(store: MediaStore, data: object) -> None:
    with pytest.raises(InvalidInput, match="empty") as caught:
        store.put(data, content_type="text/plain", key="empty-one")  # type: ignore[arg-type]

    assert not isinstance(caught.value, MediaTooLarge)
    assert caught.value.status == 400
    assert leftovers(store) == []


@pytest.mark.parametrize("as_stream", [False, True], ids=["bytes", "stream"])
def test_oversize_upload_is_refused_and_leaves_nothing(store: MediaStore, as_stream: bool) -> None:
    payload = b"o" * (LIMIT + 1)

    with pytest.raises(MediaTooLarge) as caught:
        store.put(
            io.BytesIO(payload) if as_stream else payload,
            content_type="application/zip",
            key="too-big",
        )

    assert caught.value.status == 413
    assert isinstance(caught.value, InvalidInput)
    assert str(LIMIT) in str(caught.value)
    assert leftovers(store) == []
    with pytest.raises(NotFound):
        store.info("too-big")


def test_exactly_the_limit_is_accepted(store: MediaStore) -> None:
    record = store.put(io.BytesIO(b"l" * LIMIT), content_type="application/zip")
    assert store.info(record.key).size == LIMIT


def test_broken_stream_leaves_nothing(store: MediaStore) -> None:
    with pytest.raises(OSError, match="connection reset"):
        store.put(
            cast(BinaryIO, FailingStream(good=LIMIT - 1024 * 1024)),
            content_type="image/jpeg",
            key="broken",
        )

    assert leftovers(store) == []


def test_default_limit_is_twilios_150_mb(tmp_path: Path) -> None:
    assert DEFAULT_MAX_BYTES == 150 * 1024 * 1024
    assert LocalMediaStore(tmp_path, secret=SECRET).max_bytes == DEFAULT_MAX_BYTES


@pytest.mark.parametrize(
    ("content_type", "filename"),
    [
        ("", None),
        ("png", None),
        ("image/png\r\nX-Evil: 1", None),
        ("text/html; charset=\u00e9", None),
        ("image/png", ""),
        ("image/png", "../cat.png"),
        ("image/png", "dir/cat.png"),
        ("image/png", "c:\\cat.png"),
        ("image/png", "cat\r\n.png"),
        ("image/png", "cat\x00.png"),
        ("image/png", "n" * 256),
    ],
)
def test_bad_content_type_or_filename_is_refused(
    store: MediaStore, content_type: str, filename: str | None
) -> None:
    with pytest.raises(InvalidInput):
        store.put(b"data", content_type=content_type, filename=filename)
    assert leftovers(store) == []


def test_data_that_is_not_bytes_is_refused(store: MediaStore) -> None:
    with pytest.raises(InvalidInput, match="bytes"):
        store.put("text, not bytes", content_type="text/plain")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="binary"):
        store.put(io.StringIO("text stream"), content_type="text/plain")  # type: ignore[arg-type]
    assert leftovers(store) == []


# -- keys that try to escape -------------------------------------------------------------------


@pytest.mark.parametrize("bad_key", BAD_KEYS)
def test_keys_that_could_escape_are_refused_everywhere(store: MediaStore, bad_key: str) -> None:
    with pytest.raises(InvalidInput, match="key"):
        store.put(b"data", content_type="text/plain", key=bad_key)
    for operation in (store.get, store.open, store.info, store.delete, store.temporary_url):
        with pytest.raises(InvalidInput, match="key"):
            operation(bad_key)
    assert leftovers(store) == []


# -- temporary URLs ----------------------------------------------------------------------------


def test_temporary_url_serves_bytes_and_headers(store: MediaStore) -> None:
    payload = os.urandom(200_000)
    record = store.put(payload, content_type="application/pdf", filename="report.pdf")

    url = store.temporary_url(record.key)
    response = httpx.get(url)

    assert url.startswith("http")
    assert response.status_code == 200
    assert response.content == payload
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="report.pdf"'
    assert response.headers["content-length"] == str(len(payload))


def test_temporary_url_carries_a_non_ascii_filename(store: MediaStore) -> None:
    record = store.put(b"hello", content_type="text/plain", filename='naïve "plan".txt')

    response = httpx.get(store.temporary_url(record.key))

    disposition = response.headers["content-disposition"]
    assert response.status_code == 200
    assert "filename*=UTF-8''na%C3%AFve%20%22plan%22.txt" in disposition
    assert 'filename="na_ve _plan_.txt"' in disposition


def test_expired_temporary_url_is_refused(store: MediaStore, clock: ShiftedClock) -> None:
    record = store.put(b"short-lived", content_type="text/plain")
    clock.shift = -2.5  # issued 2.5 s ago, to live 1 s
    url = store.temporary_url(record.key, ttl_seconds=1)

    clock.shift = 0.0
    response = httpx.get(url)

    assert response.status_code == 403
    assert b"short-lived" not in response.content


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _signature_name(url: str) -> str:
    query = dict(parse_qsl(urlsplit(url).query))
    return "signature" if "signature" in query else "sig"


def test_tampered_temporary_url_is_refused(store: MediaStore) -> None:
    mine = store.put(b"mine", content_type="text/plain")
    theirs = store.put(b"theirs", content_type="text/plain")
    url = store.temporary_url(mine.key)
    name = _signature_name(url)
    signature = dict(parse_qsl(urlsplit(url).query))[name]
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]

    forged_signature = _with_query(url, **{name: flipped})
    other_file = url.replace(mine.key, theirs.key)
    no_signature = urlunsplit(
        urlsplit(url)._replace(
            query=urlencode([(k, v) for k, v in parse_qsl(urlsplit(url).query) if k != name])
        )
    )

    for forged in (forged_signature, other_file, no_signature):
        response = httpx.get(forged)
        assert response.status_code == 403, forged
        assert b"theirs" not in response.content
        assert b"mine" not in response.content


def test_temporary_url_needs_existing_media_and_a_sane_ttl(store: MediaStore) -> None:
    with pytest.raises(NotFound):
        store.temporary_url("missing-media")
    record = store.put(b"x", content_type="text/plain")
    for ttl in (0, -5, 8 * 24 * 3600, True):
        with pytest.raises(InvalidInput, match="ttl"):
            store.temporary_url(record.key, ttl_seconds=ttl)


def test_url_stops_working_once_media_is_deleted(store: MediaStore) -> None:
    record = store.put(b"gone soon", content_type="text/plain")
    url = store.temporary_url(record.key)
    store.delete(record.key)

    response = httpx.get(url)

    assert response.status_code == 404
    assert b"gone soon" not in response.content


# -- secrets -----------------------------------------------------------------------------------


def test_no_secret_in_reprs_errors_or_logs(
    store: MediaStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = [repr(store), str(store)]

    record = store.put(b"secret-free", content_type="text/plain", filename="a.txt")
    texts.append(repr(record))
    texts.append(store.temporary_url(record.key).split("?")[0])
    store.get(record.key)
    attempts: list[Callable[[], object]] = [
        lambda: store.put(b"", content_type="text/plain"),
        lambda: store.put(b"x", content_type="text/plain", key=record.key),
        lambda: store.info("missing"),
        lambda: store.put(b"x", content_type="text/plain", key="../x"),
    ]
    for attempt in attempts:
        with pytest.raises(AdapterError) as caught:
            attempt()
        texts.extend([str(caught.value), repr(caught.value)])
    store.delete(record.key)

    everything = "\n".join([*texts, caplog.text])
    for secret in secret_strings(store):
        assert secret not in everything
