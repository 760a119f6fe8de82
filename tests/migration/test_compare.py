"""Compare: one scenario on a "Twilio" shim and on ACS, normalised, diffed, reported.

The "Twilio" side is the REST face over its own emulator and store (Twilio's wire format
through the real twilio package); divergences are injected on purpose by an http_client
that alters answers, and must be caught; identical behaviour must pass.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from twilio.base.exceptions import TwilioRestException
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from tests.migration.conftest import Side
from twilio_compat.migration.compare import (
    Backend,
    Normaliser,
    compare,
    field_differences,
    run_scenario,
)
from twilio_compat.migration.report import markdown, page, write
from twilio_compat.migration.transcript import Exchange, Transcript

Alter = Callable[[str, str, Response], Response]


def support_flow(client: Client) -> None:
    """What a support product does: a room, two members, messages, paging, an error, cleanup."""
    conversations = client.conversations.v1.conversations
    room = conversations.create(
        friendly_name="Support", unique_name="compare-support", attributes='{"tier": "gold"}'
    )
    here = conversations(room.sid)
    here.participants.create(identity="alice")
    here.participants.create(identity="bob", attributes='{"vip": true}')
    for n in range(3):
        here.messages.create(author="alice" if n % 2 == 0 else "bob", body=f"hello {n}")
    here.messages.list(page_size=2)
    here.update(friendly_name="Support (closed)", state="closed")
    try:
        conversations("CH" + "0" * 32).fetch()
    except TwilioRestException as exc:
        assert exc.code is not None
    here.delete()


class Tampering(HttpClient):  # type: ignore[misc]
    """Passes calls through and lets a test alter the answers: an injected divergence."""

    def __init__(self, inner: HttpClient, alter: Alter) -> None:
        super().__init__(logging.getLogger("tampering"), False)
        self.inner, self.alter = inner, alter

    def request(self, method: str, url: str, **kwargs: Any) -> Response:
        return self.alter(method, url, self.inner.request(method, url, **kwargs))


def tampered(side: Side, alter: Alter) -> Backend:
    client = Client(side.client.username, side.client.password)
    client.http_client = Tampering(side.client.http_client, alter)
    return Backend("acs (tampered)", client=client)


def run(side: Side | Backend, label: str = "") -> Transcript:
    backend = side if isinstance(side, Backend) else Backend(label, client=side.client)
    return backend.run("support_flow", support_flow)


def test_identical_behaviour_passes_and_reports_say_so(
    twilio_side: Side, acs_side: Side, tmp_path: Path
) -> None:
    comparison = compare(run(twilio_side, "twilio"), run(acs_side, "acs"))

    assert not comparison.diverged, markdown(comparison)
    assert len(comparison.pairs) == 11 and all(p.same for p in comparison.pairs)
    assert comparison.outcome_a == comparison.outcome_b == "completed"
    md, html = write(comparison, tmp_path / "report")
    assert "**Result: identical: 11 exchanges" in md.read_text()
    assert "class='verdict ok'" in html.read_text()
    # what was compared is the normalised call, SIDs numbered by first appearance
    titles = [p.title for p in comparison.pairs]
    assert titles[1] == "POST https://<conversations>/v1/Conversations/CH#1/Participants"
    assert titles[9] == "GET https://<conversations>/v1/Conversations/CH#2"


def test_an_altered_field_is_caught_and_shown_side_by_side(
    twilio_side: Side, acs_side: Side
) -> None:
    def rename(method: str, url: str, answer: Response) -> Response:
        if method == "POST" and url.endswith("/Participants") and "bob" in answer.text:
            body = json.loads(answer.text)
            body["attributes"] = '{"vip": false}'
            return Response(answer.status_code, json.dumps(body), answer.headers)
        return answer

    comparison = compare(run(twilio_side, "twilio"), run(tampered(acs_side, rename)))

    assert comparison.diverged
    [pair] = comparison.differing
    assert pair.number == 3
    assert [(d.path, d.a, d.b) for d in pair.differences] == [
        ("body.attributes", '{"vip": true}', '{"vip": false}')
    ]
    report = markdown(comparison)
    assert "DIVERGED: 1 of 11 exchanges differ" in report
    assert '-    "attributes": "{\\"vip\\": true}",' in report  # the unified diff
    html = page(comparison)
    assert "class='verdict bad'" in html and "id='pair-3'" in html
    assert 'class="diff_chg"' in html  # difflib's side-by-side highlight of the changed line


def test_an_altered_error_code_is_caught_even_when_the_scenario_stops(
    twilio_side: Side, acs_side: Side
) -> None:
    def wrong_error(method: str, url: str, answer: Response) -> Response:
        if answer.status_code == 404:
            body = {**json.loads(answer.text), "code": 20001, "status": 400}
            return Response(400, json.dumps(body), answer.headers)
        return answer

    a = Backend("twilio", client=twilio_side.client).run("flow", support_flow)
    b = tampered(acs_side, wrong_error).run("flow", support_flow)
    comparison = compare(a, b)

    assert comparison.diverged
    [pair] = comparison.differing
    paths = {d.path: (d.a, d.b) for d in pair.differences}
    assert paths["status"] == (404, 400)
    assert paths["body.code"] == (20404, 20001)
    # both runs still ended alike: the scenario caught the error each time
    assert comparison.outcome_a == comparison.outcome_b == "completed"


def test_an_extra_call_on_one_side_is_one_difference_not_a_cascade(
    twilio_side: Side, acs_side: Side
) -> None:
    def with_extra_fetch(client: Client) -> None:
        room = client.conversations.v1.conversations.create(unique_name="compare-extra")
        client.conversations.v1.conversations(room.sid).fetch()
        client.conversations.v1.conversations(room.sid).participants.create(identity="zoe")
        client.conversations.v1.conversations(room.sid).delete()

    def without(client: Client) -> None:
        room = client.conversations.v1.conversations.create(unique_name="compare-extra")
        client.conversations.v1.conversations(room.sid).participants.create(identity="zoe")
        client.conversations.v1.conversations(room.sid).delete()

    a = run_scenario(with_extra_fetch, twilio_side.client, Transcript("twilio", "x"))
    b = run_scenario(without, acs_side.client, Transcript("acs", "x"))
    comparison = compare(a, b)

    assert [(p.a is None, p.b is None) for p in comparison.differing] == [(False, True)]
    assert comparison.differing[0].title.startswith("GET https://<conversations>/v1/Conv")
    assert sum(p.same for p in comparison.pairs) == 3


def test_a_scenario_failing_on_one_side_only_diverges(twilio_side: Side, acs_side: Side) -> None:
    def refuse_create(method: str, url: str, answer: Response) -> Response:
        if method == "POST" and url.endswith("/Messages"):
            return Response(429, json.dumps({"code": 20429, "message": "Too Many Requests"}))
        return answer

    b = run(tampered(acs_side, refuse_create))
    comparison = compare(run(twilio_side, "twilio"), b)

    assert b.outcome == "raised TwilioRestException (HTTP 429, code 20429)"
    assert comparison.diverged and comparison.outcome_a == "completed"
    assert "raised TwilioRestException" in markdown(comparison)


def test_normaliser_numbers_sids_and_hides_what_must_differ() -> None:
    norm = Normaliser(ignore=("delivery", "body.links"))
    first, second = "CH" + "a1" * 16, "CH" + "b2" * 16
    body = {
        "sid": first,
        "parent": second,
        "again": first,
        "member": "MB" + "c" * 32,
        "date_created": "2024-05-01T10:00:00Z",
        "attributes": '{"seen": "2024-05-01T10:00:00.123+02:00"}',
        "delivery": {"total": 2},
        "links": {"self": "x"},
        "media": f"https://media.us1.twilio.com/v1/Media/ME{'d' * 32}?Expires=1&Signature=x",
        "next": f"https://conversations.twilio.com/v1/Conversations?PageSize=2&PageToken=PT{first}",
        "elsewhere": "https://127.0.0.1:8443/media/abc",
    }
    assert norm.value(body, "body") == {
        "again": "CH#1",
        "attributes": '{"seen": "<timestamp>"}',
        "date_created": "<timestamp>",
        "elsewhere": "<url>",
        "media": "<url>",
        "member": "MB#1",
        "next": "https://<conversations>/v1/Conversations?PageSize=2&PageToken=<page-token>",
        "parent": "CH#2",
        "sid": "CH#1",
    }
    assert norm.sid(second) == "CH#2" and norm.sid("CH" + "e" * 32) == "CH#3"


def test_field_differences_name_absent_fields_and_list_items() -> None:
    found = list(field_differences({"a": [1, 2], "b": 1}, {"a": [1], "c": None}))
    assert [(d.path, d.show(d.a), d.show(d.b)) for d in found] == [
        ("a[1]", "2", "(absent)"),
        ("b", "1", "(absent)"),
        ("c", "(absent)", "null"),
    ]


class CannedTwilio(HttpClient):  # type: ignore[misc]
    """Answers with Twilio's documented bodies, as the real service shapes them."""

    def __init__(self, canned: Path) -> None:
        super().__init__(logging.getLogger("canned-twilio"), False)
        self.canned = canned

    def _body(self, name: str) -> dict[str, Any]:
        return dict(json.loads((self.canned / f"{name}.json").read_text()))

    def request(self, method: str, url: str, **kwargs: Any) -> Response:
        page = self._body("messages_list_page")
        first = page["messages"][0]
        answers = {
            ("POST", "/Conversations"): (201, self._body("conversation_fetch")),
            ("POST", "/Participants"): (201, self._body("participant_create_chat")),
            ("POST", "/Messages"): (201, first),
            ("GET", "/Messages"): (200, {**page, "messages": [first]}),
        }
        for (verb, ending), (status, body) in answers.items():
            if method == verb and url.split("?")[0].endswith(ending):
                return Response(status, json.dumps(body))
        return Response(404, json.dumps({"code": 20404, "message": "not canned"}))


def canned_flow(client: Client) -> None:
    """The calls whose answers Twilio documents, with the documented inputs."""
    room = client.conversations.v1.conversations.create(
        friendly_name="My First Conversation",
        unique_name="first_conversation",
        attributes='{ "topic": "feedback" }',
    )
    here = client.conversations.v1.conversations(room.sid)
    here.participants.create(identity="IDENTITY", attributes='{ "role": "driver" }')
    here.messages.create(
        author="pie_preferrer", body="I like pie.", attributes='{ "importance": "high" }'
    )
    here.messages.list(page_size=50)


def test_canned_twilio_bodies_have_the_shapes_acs_answers_with(
    shared_reference: Path, acs_side: Side, tmp_path: Path
) -> None:
    twilio = CannedTwilio(shared_reference / "twilio_canned")
    canned = Client("AC" + "a" * 32, "token", http_client=twilio)
    recorded = run_scenario(canned_flow, canned, Transcript("twilio (canned)", "canned_flow"))
    recorded.save(tmp_path / "twilio.json")
    replayed = Transcript.load(tmp_path / "twilio.json")
    assert replayed.exchanges == recorded.exchanges

    comparison = compare(replayed, run_scenario(canned_flow, acs_side.client, Transcript("acs")))

    # every field Twilio sends, ACS sends too, in each answer and each listed message
    for pair in comparison.pairs:
        assert pair.a is not None and pair.b is not None
        assert set(pair.a["body"]) <= set(pair.b["body"]), pair.title
    listed = comparison.pairs[-1]
    assert listed.a is not None and listed.b is not None
    assert set(listed.a["body"]["messages"][0]) <= set(listed.b["body"]["messages"][0])
    # what differs is values only an account's own data has (its messaging service, timers,
    # roles, delivery receipts), each named by its path
    paths = {d.path for p in comparison.pairs for d in p.differences}
    assert {"body.messaging_service_sid", "body.timers.date_closed"} <= paths
    # and once those are set aside, the runs match, SIDs, dates and URLs normalised
    ignored = (
        "messaging_service_sid",
        "timers",
        "role_sid",
        "delivery",
        "participant_sid",
        "body.links.channel_metadata",  # newer than the documented sample
        "body.messages[].links.channel_metadata",
    )
    assert not compare(replayed, comparison.b, ignore=ignored).diverged


def test_transcripts_round_trip_without_credentials(twilio_side: Side, tmp_path: Path) -> None:
    recorded = run(twilio_side, "twilio")
    saved = recorded.save(tmp_path / "run.json")
    text = saved.read_text()
    assert twilio_side.client.password not in text
    loaded = Transcript.load(saved)
    assert loaded.exchanges == recorded.exchanges and loaded.backend == "twilio"
    assert isinstance(loaded.exchanges[0], Exchange)
    assert not compare(recorded, loaded).diverged
