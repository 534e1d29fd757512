"""SCIM 2.0 discovery (RFC 7644 §4, RFC 7643 §5-§7): what a provisioning client
reads before it provisions. /ServiceProviderConfig says what the protocol supports
here, /ResourceTypes names User and Group with their endpoints and extensions, and
/Schemas describes exactly the attributes this service reads and returns (those of
`services.user_resource` and `services.group_resource`), with their mutability:
Entra ID, Okta and other clients build their attribute mappings from it.

Pure data; the views wrap it in ListResponse and add `meta.location`."""

from typing import Any

from qualify.identity.scim.services import EMPLOYMENT, ENTERPRISE, GROUP_SCHEMA, USER_SCHEMA

SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SERVICE_PROVIDER_CONFIG = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"


def _attr(
    name: str,
    description: str,
    *,
    type_: str = "string",
    multi: bool = False,
    required: bool = False,
    mutability: str = "readWrite",
    returned: str = "default",
    uniqueness: str = "none",
    case_exact: bool = False,
    sub: list[dict[str, Any]] | None = None,
    references: list[str] | None = None,
) -> dict[str, Any]:
    """One attribute definition with every characteristic RFC 7643 §7 names."""
    data: dict[str, Any] = {
        "name": name,
        "type": type_,
        "multiValued": multi,
        "description": description,
        "required": required,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": uniqueness,
    }
    if sub is not None:
        data["subAttributes"] = sub
    if references is not None:
        data["referenceTypes"] = references
    return data


USER = {
    "id": USER_SCHEMA,
    "name": "User",
    "description": "A Qualify account (never deleted: deprovisioning deactivates it).",
    "attributes": [
        _attr(
            "userName",
            "The user id people sign in and sign with; unique, compared without case.",
            required=True,
            uniqueness="server",
        ),
        _attr(
            "name",
            "The person's name; Qualify keeps the formatted name as the printed name.",
            type_="complex",
            sub=[
                _attr("formatted", "The full name as printed on signatures."),
                _attr("givenName", "Given name (used to form the printed name)."),
                _attr("familyName", "Family name (used to form the printed name)."),
            ],
        ),
        _attr("displayName", "The printed name shown on signatures and records."),
        _attr(
            "active",
            "false deactivates the account and ends the person's employment; nothing is deleted.",
            type_="boolean",
        ),
        _attr(
            "emails",
            "E-mail addresses; the primary (or first) one is kept.",
            type_="complex",
            multi=True,
            sub=[
                _attr("value", "The address."),
                _attr("type", "work, home or other."),
                _attr("primary", "The address Qualify keeps.", type_="boolean"),
            ],
        ),
        _attr(
            "groups",
            "The roles the account holds (change them through the Group resource).",
            type_="complex",
            multi=True,
            mutability="readOnly",
            sub=[
                _attr("value", "The group's id.", mutability="readOnly"),
                _attr("display", "The role's code.", mutability="readOnly"),
            ],
        ),
    ],
}

GROUP = {
    "id": GROUP_SCHEMA,
    "name": "Group",
    "description": "A Qualify role; displayName is the role's code. Membership changes go "
    "through the account services (U3).",
    "attributes": [
        _attr("displayName", "The role's code.", required=True, uniqueness="server"),
        _attr(
            "members",
            "The accounts holding the role.",
            type_="complex",
            multi=True,
            sub=[
                _attr(
                    "value",
                    "The member account's id.",
                    mutability="immutable",
                ),
                _attr("display", "The member's user id.", mutability="readOnly"),
                _attr(
                    "$ref",
                    "The member's URI.",
                    type_="reference",
                    mutability="immutable",
                    references=["User"],
                ),
            ],
        ),
    ],
}

ENTERPRISE_USER = {
    "id": ENTERPRISE,
    "name": "EnterpriseUser",
    "description": "The person behind the account (RFC 7643 §4.3).",
    "attributes": [
        _attr(
            "employeeNumber",
            "The person's employee number; with it the account gets a person record.",
        ),
        _attr("organization", "The code of the person's site."),
        _attr("department", "The code of the person's department.", mutability="readOnly"),
    ],
}

EMPLOYMENT_USER = {
    "id": EMPLOYMENT,
    "name": "QualifyEmployment",
    "description": "When the person's employment starts and ends, and why it ends.",
    "attributes": [
        _attr(
            "employedFrom",
            "The start of employment for a hire reported late (default: now).",
            type_="dateTime",
            mutability="writeOnly",
            returned="never",
        ),
        _attr(
            "leftAt",
            "When the employment ended, sent with active=false (default: now).",
            type_="dateTime",
        ),
        _attr(
            "reason",
            "Why the employment ended (default: names the provisioning client).",
            mutability="writeOnly",
            returned="never",
        ),
    ],
}

SCHEMAS = [USER, GROUP, ENTERPRISE_USER, EMPLOYMENT_USER]

RESOURCE_TYPES = [
    {
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "Qualify accounts and the people behind them.",
        "schema": USER_SCHEMA,
        "schemaExtensions": [
            {"schema": ENTERPRISE, "required": False},
            {"schema": EMPLOYMENT, "required": False},
        ],
    },
    {
        "id": "Group",
        "name": "Group",
        "endpoint": "/Groups",
        "description": "Qualify roles.",
        "schema": GROUP_SCHEMA,
        "schemaExtensions": [],
    },
]


def schema(item: dict[str, Any], base: str) -> dict[str, Any]:
    return {
        "schemas": [SCHEMA],
        **item,
        "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{item['id']}"},
    }


def resource_type(item: dict[str, Any], base: str) -> dict[str, Any]:
    return {
        "schemas": [RESOURCE_TYPE],
        **item,
        "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/{item['id']}"},
    }
