"""The pooled `requests` session the sync chat gateway sends every ACS request through.

`requests` re-reads the environment (proxy variables, ``NO_PROXY``, CA bundle variables, netrc)
on every request, which costs more CPU than the rest of a send's client-side work. A gateway
talks to one endpoint, so the session resolves those settings once, as `requests` would for
that endpoint, and then stops consulting the environment.
"""

from __future__ import annotations

import os

import requests
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies
from urllib3.util.retry import Retry

from acs_adapter.config import requests_ca_bundle


def endpoint_session(endpoint: str, max_connections: int) -> requests.Session:
    """A session for `endpoint` with the environment's proxies resolved once, no urllib3 retries
    (azure-core's retry policy decides) and a pool of `max_connections`."""
    session = requests.Session()
    session.trust_env = False
    session.proxies.update(get_environ_proxies(endpoint))
    no_urllib3_retries = Retry(total=False, redirect=False, raise_on_status=False)
    pool = HTTPAdapter(pool_maxsize=max_connections, max_retries=no_urllib3_retries)
    session.mount("https://", pool)
    session.mount("http://", pool)
    return session


def verify_setting(ca_bundle: str | os.PathLike[str] | None) -> str | bool:
    """What to verify the endpoint's certificate against: the given bundle, else the one the
    environment names for `requests`, else the system defaults."""
    if ca_bundle is not None:
        return os.fspath(ca_bundle)
    return requests_ca_bundle() or True
