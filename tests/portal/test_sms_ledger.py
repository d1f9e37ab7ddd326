"""The HTTP SMS gateway sender, and a grievance that cannot reach the ledger is not kept."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

pytestmark = pytest.mark.django_db


def test_http_gateway_gets_the_code(settings):
    from payproof.portal.sms import send_code

    got = []

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((self.headers["Authorization"], json.loads(body)))
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.handle_request, daemon=True).start()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.SMS_HTTP_TOKEN = "t0ken"
    send_code("+77010000001", "123456")
    server.server_close()
    assert got[0][0] == "Bearer t0ken"
    assert got[0][1]["to"] == "+77010000001" and "123456" in got[0][1]["text"]


def test_unknown_sender_is_an_error(settings):
    from payproof.portal.sms import send_code

    settings.SMS_BACKEND = "pigeon"
    with pytest.raises(RuntimeError, match="pigeon"):
        send_code("+77010000001", "123456")


def test_grievance_not_kept_when_the_ledger_fails(mother, monkeypatch):
    from payproof.portal.models import Grievance
    from payproof.portal.views import grievances

    def broken(g):
        raise OSError("disk full")

    monkeypatch.setattr(grievances, "append_grievance", broken)
    r = mother.post("/grievances/new/", {"category": "other", "description": "x"})
    assert r.status_code == 200 and b"nothing was saved" in r.content
    assert not Grievance.objects.exists()
    r = mother.post("/report/", {"category": "other", "description": "x"})
    assert r.status_code == 200 and b"nothing was saved" in r.content
    assert not Grievance.objects.exists()
