"""The official `twilio` npm package (twilio-node) against `twilio-acs serve`.

tests/node/conversations.js does what a Node application does with Conversations, aimed at
the server with a custom `httpClient`, and prints what it saw; `make tools` installs the
package range that tests/node/package.json pins.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from tests.webhooks.conftest import ACCOUNT_SID, AUTH_TOKEN  # the credentials _serving sets
from tests.webhooks.test_serve_events import _free_port, _serving

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "node" / "conversations.js"
NODE_MODULES = ROOT / ".tools" / "node" / "node_modules"
DOCS = (ROOT / "README.md", ROOT / "migration_guide" / "README.md")


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"twilio-node tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"twilio-node tests SKIPPED: {reason}")


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        _unavailable("`node` is not on PATH (install Node.js 20 or newer)")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    if int(version.stdout.strip().lstrip("v").split(".")[0]) < 18:  # fetch() came in 18
        _unavailable(f"Node.js {version.stdout.strip()} is too old (install 20 or newer)")
    if not (NODE_MODULES / "twilio" / "package.json").is_file():
        _unavailable("the twilio npm package is not installed (run `make tools`)")
    return node


@pytest.fixture(scope="module", params=["public-url", "twilio-urls"])
def node_run(
    emulator: AcsEmulator, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> dict[str, Any]:
    """What the Node script saw: with `--public-url` serve's links point at serve itself,
    without it they are Twilio's and the script's httpClient sends them to serve."""
    node = _node()
    folder = tmp_path_factory.mktemp("serve-node")
    port = _free_port()
    links_to_serve = request.param == "public-url"
    extra = {"TWILIO_COMPAT_PUBLIC_URL": f"http://127.0.0.1:{port}"} if links_to_serve else {}
    with _serving(emulator, folder, port, **extra) as base:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
        env.update(
            SERVE_URL=base,
            TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            NODE_PATH=str(NODE_MODULES),
        )
        finished = subprocess.run(
            [node, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60
        )
    assert finished.returncode == 0, finished.stderr
    result: dict[str, Any] = json.loads(finished.stdout)
    result["base"] = base
    result["links"] = base if links_to_serve else "https://conversations.twilio.com"
    return result


def test_node_creates_a_conversation_and_its_participant(node_run: dict[str, Any]) -> None:
    assert node_run["conversation"]["sid"].startswith("CH")
    assert node_run["conversation"]["friendlyName"] == "From Node"
    assert node_run["participant"]["sid"].startswith("MB")
    assert node_run["participant"]["identity"] == "ada"
    # twilio-node's RestException carries Twilio's status and code.
    assert node_run["duplicateParticipant"] == {"status": 409, "code": 50433}


def test_each_follows_the_next_page_links_to_serve(node_run: dict[str, Any]) -> None:
    base = node_run["base"]
    assert node_run["firstPage"]["bodies"] == ["m0", "m1"]
    next_page_url = node_run["firstPage"]["nextPageUrl"]
    assert next_page_url.startswith(f"{node_run['links']}/v1/Conversations/")
    seen = node_run["each"]["messages"]
    assert [m["body"] for m in seen] == ["m0", "m1", "m2", "m3", "m4", "webhook please"]
    assert [m["index"] for m in seen] == list(range(6))
    first, *following = node_run["each"]["requests"]  # one request per page of two
    assert first.startswith(f"GET {base}/v1/Conversations/")
    assert len(following) == 2
    assert all(p.startswith(f"GET {base}/v1/Conversations/") for p in following)
    assert all("PageSize=2" in p and "PageToken=" in p for p in following)


def test_media_uploaded_with_fetch_is_sent_and_downloaded(node_run: dict[str, Any]) -> None:
    upload = node_run["upload"]
    assert upload["status"] == 201 and upload["sid"].startswith("ME")
    assert (upload["contentType"], upload["filename"]) == ("image/png", "node.png")
    assert upload["size"] == 19
    assert node_run["mediaMessage"]["media"] == [{"sid": upload["sid"], "filename": "node.png"}]
    assert node_run["download"] == {"status": 200, "matches": True}


def test_the_post_event_webhook_passes_twilio_validate_request(node_run: dict[str, Any]) -> None:
    webhook = node_run["webhook"]
    assert "missing" not in webhook, f"no onMessageAdded for the message; got {webhook}"
    assert (webhook["eventType"], webhook["body"]) == ("onMessageAdded", "webhook please")
    assert webhook["conversationSid"] == node_run["conversation"]["sid"]
    assert webhook["valid"] is True
    assert webhook["tamperedValid"] is False
    assert webhook["wrongTokenValid"] is False


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_the_documented_node_client_is_the_tested_one(doc: Path) -> None:
    """The docs' Node snippet is, line for line and in order, code the script runs."""
    blocks = re.findall(r"```js\n(.*?)```", doc.read_text(encoding="utf-8"), re.DOTALL)
    (snippet,) = [block for block in blocks if "class ShimRequestClient" in block]
    script = iter(line.strip() for line in SCRIPT.read_text(encoding="utf-8").splitlines())
    for line in filter(None, (line.strip() for line in snippet.splitlines())):
        assert line in script, f"{doc.name}: not in {SCRIPT.name} (in this order): {line}"
