"""Deletion notices to a partner's own endpoint (issue 15 item 9, "through the outbox / webhook"):
a partner registered with ``notify_url`` receives each notice as JSON POSTed by the outbox to a real
local HTTP server, signed with the installation's audit key (verified here with ``cryptography``
directly against the public key ``piguard audit public-key`` prints), carrying the notice reference,
the row reference the partner holds and the transfers as data, never a customer value; a failing
endpoint is retried, a refusing one gives up; an endpoint that is not https:// is refused at
registration."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from piguard.errors import ValidationError
from piguard.gate import RequestContext
from piguard.outbox import Outbox
from tests.access.conftest import World
from tests.sharing.conftest import adult, agreement, consented, officer, partner, sharer, sharing


class _Endpoint:
    """A partner's deletion-notice API: records each request; answers with ``status``."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 200


@pytest.fixture
def endpoint() -> Iterator[tuple[_Endpoint, str]]:
    state = _Endpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/piguard/deletions"
    finally:
        server.shutdown()
        server.server_close()


def _erase(world: World, cid: str) -> None:
    world.inst.gate.erase(
        RequestContext(world.step_up(world.staff_of("officer")), "service"), cid, reason="request"
    )


def _public_key(world: World) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(world.inst.audit.public_key)


@pytest.mark.req("R-DST-1", "R-SHR-4")
def test_a_partner_with_an_endpoint_gets_a_signed_json_notice_without_customer_values(
    world: World, endpoint: tuple[_Endpoint, str]
) -> None:
    state, url = endpoint
    api = partner(world, notify_url=url)
    assert api.notify_url == url
    values = adult(1)
    cid = consented(world, values=values)
    shared = sharing(world).share(
        sharer(world), agreement(world, api.id).id, fields=["mobile"], customers=[cid]
    )
    [row] = csv.DictReader(io.StringIO(shared.content.decode()))
    _erase(world, cid)
    [notice] = sharing(world).notices(officer(world))
    assert notice["delivery"] == "pending"

    assert world.inst.capability(Outbox).deliver_due() == 1
    [(path, headers, body)] = state.requests
    assert path == "/piguard/deletions"
    assert headers["content-type"].startswith("application/json")
    assert headers["idempotency-key"].startswith("msg_")
    scheme, _, signature = headers["x-piguard-signature"].partition("=")
    assert scheme == "ed25519"
    key = _public_key(world)
    key.verify(bytes.fromhex(signature), body)  # raises if the body was not signed by this home
    with pytest.raises(InvalidSignature):
        key.verify(bytes.fromhex(signature), body.replace(b"r:", b"x:", 1))  # a changed body fails
    document = json.loads(body)
    assert document["id"] == headers["idempotency-key"]
    assert document["type"] == "partner_deletion_notice"
    data = document["data"]
    assert data["reference"] == notice["id"]
    assert data["row_ref"] == row["ref"]
    assert data["transfers"] == shared.transfer_id
    for value in (values["mobile"], values["name"], values["email"], cid):
        assert value not in body.decode()

    [after] = sharing(world).notices(officer(world))
    assert after["delivery"] == "sent"
    sharing(world).acknowledge(officer(world), after["id"])
    [entry] = world.inst.audit.query(action="outbox_deliver_to", limit=10)
    assert entry.decision == "allow" and url not in json.dumps(entry.detail)


@pytest.mark.req("R-DST-1")
def test_an_endpoint_that_fails_is_retried_and_one_that_refuses_is_given_up(
    world: World, endpoint: tuple[_Endpoint, str]
) -> None:
    state, url = endpoint
    outbox = world.inst.capability(Outbox)
    api = partner(world, notify_url=url)
    first, second = consented(world, values=adult(1)), consented(world, values=adult(2))
    sharing(world).share(
        sharer(world), agreement(world, api.id).id, fields=["mobile"], customers=[first, second]
    )

    state.status = 503
    _erase(world, first)
    assert outbox.deliver_due() == 0 and len(state.requests) == 1
    [notice] = sharing(world).notices(officer(world))
    assert notice["delivery"] == "pending"  # held for a later attempt, not lost
    state.status = 200
    later = world.clock.now() + outbox._wait(1)
    assert outbox.deliver_due(later) == 1 and len(state.requests) == 2
    # The retry is the same message (the partner can drop a duplicate by its id).
    assert state.requests[0][1]["idempotency-key"] == state.requests[1][1]["idempotency-key"]
    assert sharing(world).notices(officer(world))[0]["delivery"] == "sent"

    state.status = 410
    _erase(world, second)
    assert outbox.deliver_due(world.clock.now()) == 0 and len(state.requests) == 3
    gone = [n for n in sharing(world).notices(officer(world)) if n["customer_id"] == second]
    assert [n["delivery"] for n in gone] == ["failed"]  # a final refusal is reported, not retried


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://partner.example/deletions", "https://"),
        ("ftp://partner.example/deletions", "https://"),
        ("https://user:secret@partner.example/deletions", "no user name or password"),
        ("https:///deletions", "https://"),
        ("not a url", "https://"),
        ("https://partner.example/" + "a" * 500, "500"),
    ],
)
def test_an_endpoint_that_is_not_https_is_refused_at_registration(
    world: World, url: str, reason: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        partner(world, notify_url=url)
    assert caught.value.field == "notify_url" and reason in caught.value.reason
    assert sharing(world).partners(officer(world)) == []  # nothing half-registered


def test_an_https_endpoint_is_kept_and_listed(world: World) -> None:
    made = partner(world, notify_url="https://api.shunda.example/privacy/deletions")
    [listed] = sharing(world).partners(officer(world))
    assert listed == made and listed.as_dict()["notify_url"] == "https://api.shunda.example/privacy/deletions"
