"""Our XML-RPC endpoint's dispatch: exactly pingback.ping, pingback.extensions.getPingbacks and
system.listMethods (no system.multicall, the amplification vector), on the standard library's
dispatcher, with requests parsed through defusedxml, every method's parameter types checked before
it runs, and every failure a proper fault."""

from __future__ import annotations

import logging
import xmlrpc.client
from xmlrpc.server import SimpleXMLRPCDispatcher

from . import faults
from .faults import PingbackFault
from .receiving import Caller, accept_pingback, pingbacks_of
from .xmlrpc_wire import MALFORMED, loads

log = logging.getLogger(__name__)

# How a fault names the type a parameter should have had, in the XML-RPC spec's words.
XMLRPC_TYPE_NAMES = {
    str: "a string",
    int: "an int",
    bool: "a boolean",
    float: "a double",
    list: "an array",
    dict: "a struct",
}


class PingbackDispatcher(SimpleXMLRPCDispatcher):
    """The three methods for one call, bound to the caller; faults as the spec's codes."""

    def __init__(self, caller: Caller):
        super().__init__(allow_none=False, encoding="utf-8", use_builtin_types=False)
        self.param_types: dict[str, tuple[type, ...]] = {}
        self.register_method(
            "pingback.ping", (str, str), lambda source, target: accept_pingback(source, target, caller)
        )
        self.register_method("pingback.extensions.getPingbacks", (str,), lambda url: pingbacks_of(url, caller.base_url))
        self.register_method("system.listMethods", (), lambda: sorted(self.funcs))

    def register_method(self, name: str, param_types: tuple[type, ...], function) -> None:
        """Offer `function` as `name`; it is called only with exactly `param_types`, in order."""
        self.register_function(function, name)
        self.param_types[name] = param_types

    def params_fault(self, method: str, params: tuple) -> bytes | None:
        """The -32602 fault (LINKBACKS.md 1.3) when the call's parameters do not match the method's
        declared types, so a method never sees, and never crashes on, a value it did not ask for."""
        expected = self.param_types[method]
        if len(params) != len(expected):
            return _fault(faults.INVALID_PARAMS, f"Wrong number of parameters for {method}.")
        for position, (value, wanted) in enumerate(zip(params, expected, strict=True), start=1):
            if not isinstance(value, wanted):
                return _fault(
                    faults.INVALID_PARAMS,
                    f"Parameter {position} of {method} must be {XMLRPC_TYPE_NAMES[wanted]}.",
                )
        return None

    def _marshaled_dispatch(self, data, dispatch_method=None, path=None) -> bytes:
        try:
            params, method = loads(data)
        except xmlrpc.client.Fault:
            return _fault(faults.INVALID_REQUEST, "A fault is not a method call.")
        except MALFORMED:
            return _fault(faults.PARSE_ERROR, "Parse error: the request is not well-formed XML-RPC.")
        if not method or method not in self.funcs:
            return _fault(faults.METHOD_NOT_FOUND, f"Server error: requested method {method!r} does not exist.")
        refused = self.params_fault(method, params)
        if refused is not None:
            return refused
        try:
            result = self._dispatch(method, params)
        except PingbackFault as fault:
            return _fault(fault.code, fault.message)
        except Exception:
            log.exception("XML-RPC method %s failed", method)
            return _fault(faults.INTERNAL_ERROR, "Internal error.")
        return xmlrpc.client.dumps((result,), methodresponse=True, encoding="utf-8").encode("utf-8")


def _fault(code: int, message: str) -> bytes:
    return xmlrpc.client.dumps(xmlrpc.client.Fault(code, message), methodresponse=True, encoding="utf-8").encode()


def handle_xmlrpc(body: bytes, caller: Caller) -> bytes:
    """The XML-RPC answer (a value or a fault) to one request body."""
    return PingbackDispatcher(caller)._marshaled_dispatch(body)


def too_large_answer(limit: int) -> bytes:
    return _fault(faults.INVALID_REQUEST, f"The request is larger than {limit} bytes.")
