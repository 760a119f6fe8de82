"""The gateway's HTTP session reads the proxy and CA settings of the environment once."""

from __future__ import annotations

import pytest

from acs_adapter._http import endpoint_session, verify_setting

ENDPOINT = "https://acs.example.test/"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)


def test_the_environment_proxy_applies_unless_the_endpoint_is_excluded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.test:3128")
    session = endpoint_session(ENDPOINT, 4)
    assert session.proxies.get("https") == "http://proxy.example.test:3128"
    assert session.trust_env is False  # not re-read per request
    monkeypatch.setenv("NO_PROXY", "acs.example.test")
    assert "https" not in endpoint_session(ENDPOINT, 4).proxies


def test_no_proxy_without_proxy_settings() -> None:
    assert endpoint_session(ENDPOINT, 4).proxies == {}


def test_the_certificate_bundle_given_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert verify_setting(None) is True
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/curl-bundle.pem")
    assert verify_setting(None) == "/etc/curl-bundle.pem"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/requests-bundle.pem")
    assert verify_setting(None) == "/etc/requests-bundle.pem"
    assert verify_setting("/given.pem") == "/given.pem"
