"""A real OpenID provider process for the identity tests (see oidc_provider/)."""

import pytest

from tests.identity import provider as idp
from tests.identity import saml_provider
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


@pytest.fixture(scope="session")
def saml_idp(tmp_path_factory):
    started = saml_provider.start(tmp_path_factory.mktemp("saml-idp"))
    started.metadata_file = tmp_path_factory.mktemp("saml-sp") / "idp-metadata.xml"
    started.metadata_file.write_text(started.metadata())
    yield started
    saml_provider.stop(started)


@pytest.fixture
def saml_sso(saml_idp, settings, client):
    """Qualify configured for the SAML IdP, metadata exchanged both ways."""
    settings.QUALIFY_SAML_IDP_METADATA_FILE = str(saml_idp.metadata_file)
    settings.QUALIFY_SAML_NAME = "Example SAML IdP"
    settings.QUALIFY_OIDC_ROLE_PREFIX = "qualify-"
    settings.QUALIFY_OIDC_AUTH_TIME_SKEW_SECONDS = 0
    sp_metadata = client.get("/identity/saml/metadata/").content.decode()
    saml_idp.control(mode="normal", sp_metadata=sp_metadata)
    saml_idp.browsers.clear()
    return saml_idp
