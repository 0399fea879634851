"""Our XML-RPC endpoint given the wrong number or types of parameters: every method answers fault
-32602 (LINKBACKS.md 1.3) before it runs, and nothing is logged as an error. Bodies are written by
hand, as a hostile or confused client would send them, and posted with the Flask test client."""

from __future__ import annotations

import logging
import xmlrpc.client

import pytest

# Every XML-RPC value that is not a string (PB-12 asks for strings only).
WRONG_VALUES = {
    "int": "<int>42</int>",
    "i4": "<i4>42</i4>",
    "i8": "<i8>42</i8>",
    "boolean": "<boolean>1</boolean>",
    "double": "<double>4.2</double>",
    "dateTime": "<dateTime.iso8601>20240102T03:04:05</dateTime.iso8601>",
    "base64": "<base64>aHR0cDovL2V4YW1wbGUuY29tLw==</base64>",
    "array": "<array><data><value><string>http://example.com/</string></value></data></array>",
    "struct": "<struct><member><name>url</name><value><string>http://example.com/</string></value></member></struct>",
    "nil": "<nil/>",
}


def call_body(method: str, *values: str) -> str:
    params = "".join(f"<param><value>{value}</value></param>" for value in values)
    return f"<?xml version='1.0'?><methodCall><methodName>{method}</methodName><params>{params}</params></methodCall>"


def answer_of(client, body: str):
    """The decoded answer: the result's params, or the Fault."""
    response = client.post("/xmlrpc", data=body, content_type="text/xml")
    assert response.status_code == 200
    try:
        return xmlrpc.client.loads(response.data)[0]
    except xmlrpc.client.Fault as fault:
        return fault


@pytest.fixture
def target(author):
    """The absolute permalink of a published post, as the test client's requests see it."""
    return author.url_of_external(author.publish("Target post", "Something worth linking to."))


def wrong_calls(target: str):
    """(method, params) for each method with each wrong type in each position."""
    for kind, wrong in WRONG_VALUES.items():
        string = f"<string>{target}</string>"
        yield kind, "pingback.ping", (wrong, string)
        yield kind, "pingback.ping", (string, wrong)
        yield kind, "pingback.ping", (wrong, wrong)
        yield kind, "pingback.extensions.getPingbacks", (wrong,)
        yield kind, "system.listMethods", (wrong,)


def test_wrong_parameter_types_are_fault_32602_without_a_traceback(client, target, caplog):
    """Issue: getPingbacks with an <int> answered -32603 and logged a traceback."""
    caplog.set_level(logging.INFO)
    for kind, method, params in wrong_calls(target):
        answer = answer_of(client, call_body(method, *params))
        assert isinstance(answer, xmlrpc.client.Fault), (kind, method, params)
        assert answer.faultCode == -32602, (kind, method, params, answer.faultString)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_wrong_number_of_parameters_is_fault_32602(client, target, caplog):
    string = f"<string>{target}</string>"
    calls = [
        ("pingback.ping", ()),
        ("pingback.ping", (string,)),
        ("pingback.ping", (string, string, string)),
        ("pingback.extensions.getPingbacks", ()),
        ("pingback.extensions.getPingbacks", (string, string)),
        ("system.listMethods", (string,)),
    ]
    for method, params in calls:
        answer = answer_of(client, call_body(method, *params))
        assert isinstance(answer, xmlrpc.client.Fault) and answer.faultCode == -32602, (method, params)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_untyped_value_is_a_string(client, target):
    """XML-RPC spec: a <value> without a type tag is a string, so it is accepted as one."""
    assert answer_of(client, call_body("pingback.extensions.getPingbacks", target)) == ([],)
    assert answer_of(client, call_body("pingback.extensions.getPingbacks", f"<string>{target}</string>")) == ([],)
    # Untyped source and target reach pingback.ping, which refuses a ping from a page to itself (fault 0).
    answer = answer_of(client, call_body("pingback.ping", target, target))
    assert isinstance(answer, xmlrpc.client.Fault) and answer.faultCode == 0


def test_right_types_still_reach_the_method(client, target):
    assert answer_of(client, call_body("system.listMethods")) == (
        ["pingback.extensions.getPingbacks", "pingback.ping", "system.listMethods"],
    )
    answer = answer_of(
        client, call_body("pingback.extensions.getPingbacks", "<string>http://elsewhere.example/</string>")
    )
    assert isinstance(answer, xmlrpc.client.Fault) and answer.faultCode == 33
