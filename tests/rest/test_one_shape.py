"""Both faces render Twilio resources from ``twilio_compat.wire``, and neither imports the other."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

from twilio.rest import Client

from twilio_compat.conversations.conversation import participant_json
from twilio_compat.rest import WireHandler

PACKAGE = Path(__file__).resolve().parents[2] / "twilio_compat"


def imported_modules(folder: Path) -> dict[str, set[str]]:
    """The modules each file under ``folder`` imports, relative imports resolved to absolute."""
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path}: relative import"
                names.add(node.module or "")
        found[str(path.relative_to(PACKAGE))] = names
    return found


def test_the_wire_shapes_depend_only_on_core_records_and_the_standard_library() -> None:
    for path, names in imported_modules(PACKAGE / "wire").items():
        for name in names:
            top = name.split(".")[0]
            allowed = (
                top in sys.stdlib_module_names
                or name.startswith(("twilio_compat.core", "twilio_compat.wire"))
                or name in ("__future__", "twilio_compat")
            )
            assert allowed, f"{path} imports {name}"


def test_the_faces_do_not_import_each_other() -> None:
    for face, other in (("rest", "conversations"), ("conversations", "rest")):
        for path, names in imported_modules(PACKAGE / face).items():
            assert not any(n.startswith(f"twilio_compat.{other}") for n in names), path


def test_the_client_face_renders_a_participant_as_the_rest_face_answers_it(
    client: Client, handler: WireHandler, unique: str
) -> None:
    v1 = client.conversations.v1
    service = v1.services.create(friendly_name=f"shape {unique}")
    conversation = v1.services(service.sid).conversations.create(friendly_name=unique)
    added = (
        v1.services(service.sid)
        .conversations(conversation.sid)
        .participants.create(identity=f"p-{unique}", attributes='{"a":1}')
    )
    response = client.request("GET", added.url)
    assert response.status_code == 200, response.text

    record = handler.core.participants.get(service.sid, conversation.sid, added.sid)
    assert participant_json(handler.core.account_sid, record) == json.loads(response.text)
