"""The local media store's own promises: its folder layout, its HTTP handler, its server."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from acs_adapter.errors import ConfigurationError, Conflict
from acs_adapter.media import LocalMediaStore, MediaServer, media_asgi_app
from acs_adapter.media._signing import UrlSigner

SECRET = b"local-media-secret-for-tests-0123456789"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalMediaStore]:
    with LocalMediaStore(tmp_path / "media", secret=SECRET) as local:
        local.serve()
        yield local


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def test_upload_is_one_folder_with_bytes_and_a_json_record(store: LocalMediaStore) -> None:
    record = store.put(b"abc", content_type="text/plain", filename="a.txt", key="MEabc")

    assert sorted(p.name for p in store.root.iterdir()) == ["MEabc"]
    folder = store.root / "MEabc"
    assert (folder / "data").read_bytes() == b"abc"
    meta = json.loads((folder / "meta.json").read_text())
    assert meta == {
        "content_type": "text/plain",
        "filename": "a.txt",
        "size": 3,
        "created_at": record.created_at.isoformat(),
    }


def test_url_shape_is_media_key_expires_signature(store: LocalMediaStore) -> None:
    record = store.put(b"abc", content_type="text/plain")
    before = int(time.time())

    url = store.temporary_url(record.key, ttl_seconds=300)

    parts = urlsplit(url)
    assert parts.path == f"/media/{record.key}"
    assert parts.hostname == "127.0.0.1"
    query = _query(url)
    assert set(query) == {"expires", "signature"}
    assert before + 300 <= int(query["expires"]) <= int(time.time()) + 300
    assert "=" not in query["signature"]


def test_url_signed_for_the_past_is_refused(store: LocalMediaStore) -> None:
    record = store.put(b"old", content_type="text/plain")
    past = int(time.time()) - 60
    signature = UrlSigner(SECRET).sign(record.key, past)

    response = httpx.get(
        f"{store.base_url}/media/{record.key}", params={"expires": past, "signature": signature}
    )

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/plain")


def test_url_signed_with_another_secret_is_refused(store: LocalMediaStore) -> None:
    record = store.put(b"private", content_type="text/plain")
    expires = int(time.time()) + 300
    signature = UrlSigner(b"someone-elses-secret-000000").sign(record.key, expires)

    response = httpx.get(
        f"{store.base_url}/media/{record.key}", params={"expires": expires, "signature": signature}
    )

    assert response.status_code == 403
    assert b"private" not in response.content


@pytest.mark.parametrize(
    "change",
    [
        {"expires": "99999999999"},
        {"expires": "-1"},
        {"expires": "12abc"},
        {"expires": ""},
        {"signature": ""},
        {"signature": "\u00e9\u00e9\u00e9"},
    ],
)
def test_stretched_or_garbled_query_is_refused(
    store: LocalMediaStore, change: dict[str, str]
) -> None:
    record = store.put(b"data", content_type="text/plain")
    query = _query(store.temporary_url(record.key)) | change

    response = httpx.get(f"{store.base_url}/media/{record.key}", params=query)

    assert response.status_code == 403


def test_head_gives_headers_without_body(store: LocalMediaStore) -> None:
    record = store.put(b"0123456789", content_type="image/gif", filename="x.gif")

    response = httpx.head(store.temporary_url(record.key))

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == "10"
    assert response.headers["content-type"] == "image/gif"
    assert response.headers["content-disposition"] == 'attachment; filename="x.gif"'
    assert response.headers["x-content-type-options"] == "nosniff"


def test_other_methods_and_paths_are_refused(store: LocalMediaStore) -> None:
    record = store.put(b"data", content_type="text/plain")
    url = store.temporary_url(record.key)

    assert httpx.post(url).status_code == 405
    assert httpx.delete(url).status_code == 405
    assert httpx.get(f"{store.base_url}/").status_code == 404
    assert httpx.get(f"{store.base_url}/media/").status_code == 404
    assert store.info(record.key).size == 4


@pytest.mark.parametrize(
    "path",
    [
        "/media/..%2Foutside.txt",
        "/media/%2E%2E%2Foutside.txt",
        "/media/..%5Coutside.txt",
        "/media/../outside.txt",
        "/media/%2e%2e",
        "/outside.txt",
    ],
)
def test_url_paths_cannot_reach_files_outside_the_store(store: LocalMediaStore, path: str) -> None:
    outside = store.root.parent / "outside.txt"
    outside.write_bytes(b"TOP SECRET")
    expires = int(time.time()) + 300
    signature = UrlSigner(SECRET).sign("../outside.txt", expires)

    response = httpx.get(
        f"{store.base_url}{path}", params={"expires": expires, "signature": signature}
    )

    assert response.status_code in {403, 404}
    assert b"TOP SECRET" not in response.content
    assert b"Traceback" not in response.content


def test_nothing_is_written_outside_the_root_for_bad_keys(tmp_path: Path) -> None:
    root = tmp_path / "root"
    store = LocalMediaStore(root, secret=SECRET)
    for key in ("../escape", "..", "/abs", "a/../../b"):
        with pytest.raises(Exception, match="key"):
            store.put(b"x", content_type="text/plain", key=key)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["root"]
    assert list(root.iterdir()) == []


def test_without_base_url_or_server_there_is_no_temporary_url(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path, secret=SECRET)
    record = store.put(b"x", content_type="text/plain")

    with pytest.raises(ConfigurationError, match="serve"):
        store.temporary_url(record.key)


def test_serve_is_explicit_and_stoppable(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path, secret=SECRET)
    record = store.put(b"served", content_type="text/plain")

    with store.serve() as server:
        assert isinstance(server, MediaServer)
        assert store.base_url == server.url
        url = store.temporary_url(record.key)
        assert httpx.get(url).content == b"served"
        with pytest.raises(Conflict):
            store.serve()

    assert store.base_url is None
    with pytest.raises(httpx.TransportError):
        httpx.get(url)
    with pytest.raises(ConfigurationError):
        store.temporary_url(record.key)


def test_close_stops_the_server(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path, secret=SECRET)
    server = store.serve()
    assert server.running

    store.close()

    assert not server.running
    assert store.base_url is None


def test_base_url_is_used_for_links_and_app_can_be_mounted_elsewhere(tmp_path: Path) -> None:
    served_from = LocalMediaStore(tmp_path, secret=SECRET)
    record = served_from.put(b"behind a proxy", content_type="text/plain")

    with MediaServer(media_asgi_app(served_from)) as server:
        public = LocalMediaStore(tmp_path, secret=SECRET, base_url=server.url + "/")
        url = public.temporary_url(record.key)

        assert url.startswith(f"{server.url}/media/{record.key}?")
        assert httpx.get(url).content == b"behind a proxy"


def test_stale_staging_folders_are_swept_on_start(tmp_path: Path) -> None:
    stale = tmp_path / ".upload-leftover"
    stale.mkdir()
    (stale / "data").write_bytes(b"half an upload")
    old = time.time() - 3 * 24 * 3600
    os.utime(stale, (old, old))
    fresh = tmp_path / ".upload-in-progress"
    fresh.mkdir()

    LocalMediaStore(tmp_path, secret=SECRET)

    assert not stale.exists()
    assert fresh.exists()


@pytest.mark.parametrize("secret", [b"", b"short", "a-str-secret-of-enough-length"])
def test_weak_secret_is_refused_without_echo(tmp_path: Path, secret: object) -> None:
    with pytest.raises(ConfigurationError) as caught:
        LocalMediaStore(tmp_path, secret=secret)  # type: ignore[arg-type]

    assert "short" not in str(caught.value)
    assert "a-str-secret" not in str(caught.value)


@pytest.mark.parametrize(
    "base_url", ["ftp://host/x", "not a url", "http://host/x?y=1", "/relative"]
)
def test_bad_base_url_is_refused(tmp_path: Path, base_url: str) -> None:
    with pytest.raises(ConfigurationError, match="base URL"):
        LocalMediaStore(tmp_path, secret=SECRET, base_url=base_url)


def test_root_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"x")

    with pytest.raises(ConfigurationError, match="TWILIO_COMPAT_MEDIA"):
        LocalMediaStore(tmp_path / "file", secret=SECRET)


def test_repr_shows_where_not_the_secret(store: LocalMediaStore) -> None:
    text = repr(store) + str(store) + repr(store._signer)

    assert str(store.root) in text
    assert SECRET.decode() not in text
