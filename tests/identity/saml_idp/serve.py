"""Run the test SAML IdP: `python -m tests.identity.saml_idp.serve STATE_DIR`.

STATE_DIR holds `users.json` ({username: {"password", "attributes"}}); the process
makes its key and certificate there, binds a free loopback port and writes it to
`port`."""

import datetime as dt
import html
import json
import re
import secrets
import socketserver
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import AUTHN_PASSWORD, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.samlp import STATUS_SUCCESS
from saml2.server import Server
from saml2.sigver import SIG_RSA_SHA256
from saml2.time_util import in_a_while

STATE: dict = {"mode": "normal", "sp_metadata": None, "sessions": {}, "logouts": []}


class _Threaded(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def _keys(state: Path) -> tuple[str, str]:
    key_file, cert_file = state / "idp.key", state / "idp.crt"
    if not key_file.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-idp")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .sign(key, hashes.SHA256())
        )
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_file), str(cert_file)


def _config(base: str, key_file: str, cert_file: str) -> IdPConfig:
    conf = {
        "entityid": f"{base}/idp/metadata",
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "key_file": key_file,
        "cert_file": cert_file,
        "allow_unknown_attributes": True,
        "service": {
            "idp": {
                "endpoints": {
                    "single_sign_on_service": [(f"{base}/sso/redirect", BINDING_HTTP_REDIRECT)],
                    "single_logout_service": [(f"{base}/slo/redirect", BINDING_HTTP_REDIRECT)],
                },
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "policy": {"default": {"lifetime": {"minutes": 5}}},
            }
        },
    }
    if STATE["sp_metadata"]:
        conf["metadata"] = {"inline": [STATE["sp_metadata"]]}
    config = IdPConfig()
    config.load(conf)
    return config


def _page(start_response, body: str, status: str = "200 OK", headers=()):
    start_response(status, [("Content-Type", "text/html; charset=utf-8"), *headers])
    return [body.encode()]


def _login_form(saml_request: str, relay: str, error: str = "") -> str:
    return (
        "<!doctype html><title>Test SAML IdP</title><h1>SAML IdP sign-in</h1>"
        f"<p>{html.escape(error)}</p>"
        '<form method="post" action="/sso/login">'
        f'<input type="hidden" name="SAMLRequest" value="{html.escape(saml_request)}">'
        f'<input type="hidden" name="RelayState" value="{html.escape(relay)}">'
        '<label for="u">User name</label><input id="u" name="username">'
        '<label for="p">Password</label><input id="p" type="password" name="password">'
        '<button type="submit">Sign in at the SAML provider</button></form>'
    )


def app_for(state: Path, base: str):
    key_file, cert_file = _keys(state)
    users = json.loads((state / "users.json").read_text())

    def respond(start_response, server, saml_request, relay, username, login_time):
        request = server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT).message
        acs = request.assertion_consumer_service_url
        audience = request.issuer.text
        if STATE["mode"] == "wrong_audience":
            audience = "https://someone-else.example/sp"
        response = server.create_authn_response(
            identity=users[username]["attributes"],
            in_response_to=request.id,
            destination=acs,
            sp_entity_id=audience,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=f"saml-{username}"),
            authn={"class_ref": AUTHN_PASSWORD, "authn_instant": login_time},
            sign_assertion=STATE["mode"] != "unsigned",
            sign_response=False,
        )
        info = server.apply_binding(BINDING_HTTP_POST, str(response), acs, relay, response=True)
        return _page(start_response, info["data"])

    def sp_slo(server) -> tuple[str, str]:
        sp = next(iter(server.metadata.service_providers()))
        return sp, server.metadata.single_logout_service(sp, BINDING_HTTP_REDIRECT, "spsso")[0][
            "location"
        ]

    def idp_logout(server, username: str, *, sign: bool) -> str:
        """An IdP-initiated LogoutRequest for the user's session at the SP: the
        address the browser is sent to (signed with the IdP's key unless asked not)."""
        sp, destination = sp_slo(server)
        request_id, request = server.create_logout_request(
            destination,
            sp,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=f"saml-{username}"),
            reason="urn:oasis:names:tc:SAML:2.0:logout:user",
            expire=in_a_while(minutes=5),
        )
        STATE["logouts"].append({"sent": request_id, "username": username})
        info = server.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(request),
            destination,
            "",
            sign=sign,
            sigalg=SIG_RSA_SHA256 if sign else None,
        )
        return dict(info["headers"])["Location"]

    def single_logout(start_response, server, query, cookie):
        if "SAMLResponse" in query:
            # The SP's answer to an IdP-initiated logout: noted for the tests.
            answer = server.parse_logout_request_response(
                query["SAMLResponse"], BINDING_HTTP_REDIRECT
            ).response
            STATE["logouts"].append(
                {
                    "answered": answer.in_response_to,
                    "success": answer.status.status_code.value == STATUS_SUCCESS,
                }
            )
            return _page(start_response, "<p>Signed out.</p>")
        request = server.parse_logout_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT).message
        subject = request.name_id.text
        # The IdP session of that subject ends: the next sign-in asks again.
        for sid, (username, _when) in list(STATE["sessions"].items()):
            if f"saml-{username}" == subject:
                del STATE["sessions"][sid]
        STATE["logouts"].append({"received": request.id, "subject": subject})
        _sp, destination = sp_slo(server)
        response = server.create_logout_response(request, [BINDING_HTTP_REDIRECT])
        info = server.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(response),
            destination,
            query.get("RelayState", ""),
            response=True,
        )
        start_response("302 Found", [("Location", dict(info["headers"])["Location"])])
        return [b""]

    def app(environ, start_response):
        server = Server(config=_config(base, key_file, cert_file))
        path = environ["PATH_INFO"]
        method = environ["REQUEST_METHOD"]
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if path == "/idp/metadata":
            start_response("200 OK", [("Content-Type", "application/samlmetadata+xml")])
            return [str(entity_descriptor(server.config)).encode()]
        if path == "/control/" and method == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            data = json.loads(environ["wsgi.input"].read(size) or b"{}")
            STATE.update({k: v for k, v in data.items() if k in ("mode", "sp_metadata")})
            answer = {"mode": STATE["mode"], "logouts": STATE["logouts"]}
            if data.get("logout"):
                answer["location"] = idp_logout(server, data["logout"], sign=data.get("sign", True))
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(answer).encode()]
        if path == "/slo/redirect":
            return single_logout(start_response, server, query, environ.get("HTTP_COOKIE", ""))
        if path == "/sso/redirect":
            saml_request, relay = query.get("SAMLRequest", ""), query.get("RelayState", "")
            request = server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT).message
            cookie = environ.get("HTTP_COOKIE", "")
            found = re.search(r"idp_saml=([\w-]+)", cookie)
            session = STATE["sessions"].get(found.group(1)) if found else None
            forced = str(request.force_authn).lower() == "true"
            if session and (not forced or STATE["mode"] == "ignore_force"):
                return respond(start_response, server, saml_request, relay, *session)
            return _page(start_response, _login_form(saml_request, relay))
        if path == "/sso/login" and method == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(size).decode()).items()}
            username = form.get("username", "")
            if users.get(username, {}).get("password") != form.get("password"):
                return _page(
                    start_response,
                    _login_form(form.get("SAMLRequest", ""), form.get("RelayState", ""), "Wrong"),
                )
            sid = secrets.token_urlsafe(16)
            login_time = int(time.time())
            STATE["sessions"][sid] = (username, login_time)
            return respond(
                lambda status, headers: start_response(
                    status, [*headers, ("Set-Cookie", f"idp_saml={sid}; Path=/")]
                ),
                server,
                form.get("SAMLRequest", ""),
                form.get("RelayState", ""),
                username,
                login_time,
            )
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return app


def main() -> None:
    state = Path(sys.argv[1])
    server = make_server(
        "127.0.0.1", 0, lambda e, s: [], server_class=_Threaded, handler_class=_Quiet
    )
    port = server.server_port
    server.set_app(app_for(state, f"http://127.0.0.1:{port}"))
    # Written aside, then renamed: the test waiting for the file never reads it empty.
    (state / "port.tmp").write_text(str(port))
    (state / "port.tmp").replace(state / "port")
    server.serve_forever()


if __name__ == "__main__":
    main()
