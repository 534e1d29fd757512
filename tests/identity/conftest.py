"""A real OpenID provider process for the identity tests (see oidc_provider/)."""

import pytest

from tests.identity import provider as idp
from tests.web.pages_support import plant, reading  # noqa: F401


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    started = idp.start(
        tmp_path_factory.mktemp("oidc-provider"),
        [
            "http://testserver/identity/oidc/callback/",
            "http://testserver/identity/oidc/reauth/callback/",
        ],
    )
    yield started
    idp.stop(started)


@pytest.fixture
def sso(oidc_provider, settings):
    """Qualify configured for the provider, as docs/identity.md shows."""
    oidc_provider.control(mode="normal")
    oidc_provider.browsers.clear()
    settings.QUALIFY_OIDC_ISSUER = oidc_provider.issuer
    settings.QUALIFY_OIDC_CLIENT_ID = idp.CLIENT_ID
    settings.QUALIFY_OIDC_CLIENT_SECRET = idp.CLIENT_SECRET
    settings.QUALIFY_OIDC_NAME = "Example IdP"
    settings.QUALIFY_OIDC_ROLE_PREFIX = "qualify-"
    settings.QUALIFY_OIDC_CREATE_USERS = False
    settings.QUALIFY_OIDC_AUTH_TIME_SKEW_SECONDS = 0
    return oidc_provider
