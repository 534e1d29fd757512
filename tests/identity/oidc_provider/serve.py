"""Run the test OpenID provider: `python -m tests.identity.oidc_provider.serve STATE_DIR`.

STATE_DIR holds `seed.json` ({"users": [{"username", "password", "email", "groups"}],
"client": {"client_id", "client_secret", "redirect_uris"}}); the process makes its RSA
key and SQLite database there, binds a free loopback port, writes it to `port` and
serves until terminated.
"""

import json
import os
import socketserver
import sys
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _Threaded(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main() -> None:
    state = Path(sys.argv[1])
    os.environ["IDP_STATE_DIR"] = str(state)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.identity.oidc_provider.settings"
    key = state / "rsa.pem"
    if not key.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key.write_bytes(
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import get_application_model

    call_command("migrate", verbosity=0)
    seed = json.loads((state / "seed.json").read_text())
    for spec in seed["users"]:
        user, _ = User.objects.get_or_create(username=spec["username"])
        user.email = spec.get("email", "")
        user.set_password(spec["password"])
        user.save()
        user.groups.set([Group.objects.get_or_create(name=g)[0] for g in spec.get("groups", [])])
    client = seed["client"]
    Application = get_application_model()
    Application.objects.filter(client_id=client["client_id"]).delete()
    Application.objects.create(
        name="Qualify",
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(client["redirect_uris"]),
        post_logout_redirect_uris=" ".join(client.get("post_logout_redirect_uris", [])),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    server = make_server(
        "127.0.0.1", 0, get_wsgi_application(), server_class=_Threaded, handler_class=_Quiet
    )
    # Written aside, then renamed: the test waiting for the file never reads it empty
    # (it once read "" on a loaded host and asked port 80).
    (state / "port.tmp").write_text(str(server.server_port))
    (state / "port.tmp").replace(state / "port")
    server.serve_forever()


if __name__ == "__main__":
    main()
