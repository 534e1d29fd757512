"""SCIM 2.0 discovery (RFC 7644 §4, RFC 7643 §5-§7) as Entra ID and Okta read it
before provisioning: /ServiceProviderConfig, /ResourceTypes and /Schemas, with the
client's bearer token; the schemas describe every attribute a User and a Group
resource of this service carries."""

import json

import pytest

from qualify.identity.scim.services import EMPLOYMENT, ENTERPRISE, client_create
from qualify.org import services as org

pytestmark = pytest.mark.django_db

CT = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
# RFC 7643 §3.1: common attributes of every resource, not part of its schema.
COMMON = {"schemas", "id", "externalId", "meta"}


@pytest.fixture
def okta(admin):
    org.site_create(actor=admin, code="CORK", name="Cork fill-finish")
    _client, raw = client_create(name="okta")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _get(client, url, auth):
    response = client.get(url, **auth)
    assert response["Content-Type"].startswith(CT), response.content
    return response


@pytest.mark.requirement("P82", "P56")
def test_the_resource_types_name_user_and_group_with_their_schemas(client, okta):
    listing = _get(client, "/scim/v2/ResourceTypes", okta).json()
    assert listing["schemas"] == [LIST]
    assert listing["totalResults"] == 2
    types = {t["id"]: t for t in listing["Resources"]}
    assert types["User"]["endpoint"] == "/Users"
    assert types["User"]["schema"] == USER
    assert {e["schema"] for e in types["User"]["schemaExtensions"]} == {ENTERPRISE, EMPLOYMENT}
    assert types["Group"]["endpoint"] == "/Groups"
    assert types["Group"]["schema"] == GROUP
    one = _get(client, "/scim/v2/ResourceTypes/User", okta).json()
    assert one["meta"] == {
        "resourceType": "ResourceType",
        "location": "http://testserver/scim/v2/ResourceTypes/User",
    }
    schemas = {s["id"] for s in _get(client, "/scim/v2/Schemas", okta).json()["Resources"]}
    for item in types.values():
        assert item["schema"] in schemas
        assert {e["schema"] for e in item["schemaExtensions"]} <= schemas


@pytest.mark.requirement("P82", "P56")
def test_the_schemas_describe_every_attribute_a_user_and_a_group_carry(client, okta):
    """A user created as Okta creates one, read back, and its role group: every
    attribute (and sub-attribute) they carry is defined in the schema /Schemas gives,
    each definition with the characteristics RFC 7643 §7 names."""
    body = {
        "schemas": [USER, ENTERPRISE],
        "userName": "olivia.ortega",
        "externalId": "00u1okta",
        "active": True,
        "name": {"givenName": "Olivia", "familyName": "Ortega"},
        "emails": [{"primary": True, "type": "work", "value": "olivia@plant.example"}],
        ENTERPRISE: {"employeeNumber": "E1001", "organization": "CORK"},
    }
    created = client.post("/scim/v2/Users", json.dumps(body), content_type=CT, **okta)
    assert created.status_code == 201, created.content
    user = created.json()
    groups = _get(client, "/scim/v2/Groups", okta).json()["Resources"]
    group = next(g for g in groups if g["members"])
    defined = {}
    for urn in (USER, GROUP, ENTERPRISE, EMPLOYMENT):
        found = _get(client, f"/scim/v2/Schemas/{urn}", okta).json()
        assert found["meta"]["location"] == f"http://testserver/scim/v2/Schemas/{urn}"
        defined[urn] = {a["name"]: a for a in found["attributes"]}
        for attribute in found["attributes"]:
            for key in ("type", "multiValued", "required", "mutability", "returned"):
                assert key in attribute, (urn, attribute["name"], key)

    def check(resource, urn):
        for name, value in resource.items():
            if name in COMMON or name.startswith("urn:"):
                continue
            assert name in defined[urn], f"{name} is not in {urn}"
            items = value if isinstance(value, list) else [value]
            subs = {s["name"] for s in defined[urn][name].get("subAttributes", [])}
            for item in items:
                if isinstance(item, dict):
                    assert set(item) <= subs, (name, set(item) - subs)

    check(user, USER)
    check(user[ENTERPRISE], ENTERPRISE)
    check(group, GROUP)
    assert set(user["schemas"]) <= set(defined)


@pytest.mark.requirement("P82")
def test_discovery_asks_for_the_token_refuses_filters_and_writes(client, okta):
    anonymous = client.get("/scim/v2/Schemas")
    assert anonymous.status_code == 401
    filtered = client.get('/scim/v2/Schemas?filter=id eq "x"', **okta)
    assert filtered.status_code == 403
    assert "not filtered" in filtered.json()["detail"]
    written = client.post("/scim/v2/ResourceTypes", "{}", content_type=CT, **okta)
    assert written.status_code == 405
    assert client.get("/scim/v2/ResourceTypes/Device", **okta).status_code == 404
    assert client.get("/scim/v2/Schemas/urn:example:nothing", **okta).status_code == 404
    config = _get(client, "/scim/v2/ServiceProviderConfig", okta).json()
    assert config["patch"]["supported"] is True
    assert config["bulk"]["supported"] is True
    assert config["filter"]["supported"] is True
    assert config["meta"]["resourceType"] == "ServiceProviderConfig"
