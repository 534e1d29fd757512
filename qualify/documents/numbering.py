"""Document numbers: typed by hand or drawn from a per-type scheme.

A scheme is a Python format string with one `{seq}` field, such as ``SOP-{seq:03d}``.
The defaults below can be replaced per installation with the setting
``QUALIFY_DOCUMENT_NUMBERING`` (a dict from document type to scheme). The next number
is one more than the highest sequence any document of the installation already uses
in that scheme, obsolete ones included, so a number is never handed out twice; two
people drawing at the same instant are kept apart by the case-insensitive unique
constraint on the number (the second is told the number is taken).

Hazard: numbers are compared case-insensitively everywhere ("sop-001" is SOP-001).
"""

import re
import string
import unicodedata

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from qualify.documents.models import Document

DEFAULT_SCHEMES = {
    "sop": "SOP-{seq:03d}",
    "wi": "WI-{seq:03d}",
    "form": "FRM-{seq:03d}",
    "policy": "POL-{seq:03d}",
    "protocol": "PRT-{seq:03d}",
    "spec": "SPEC-{seq:03d}",
    "qbank": "QB-{seq:03d}",
    "package": "ELP-{seq:03d}",
}


def schemes() -> dict[str, str]:
    configured = getattr(settings, "QUALIFY_DOCUMENT_NUMBERING", None) or {}
    return {**DEFAULT_SCHEMES, **configured}


def scheme_for(doc_type: str) -> str | None:
    return schemes().get(doc_type)


def unfit_for_address(number: str) -> str:
    """Why `number` cannot name a document, or "". A number is part of the document's
    address (/documents/<number>/): a "/" would split it, and a number of dots only
    would be read as a step up the path by every browser. Anything else is quoted."""
    if "/" in number:
        return (
            'A document number cannot hold "/": it is part of the document\'s address. '
            'Use "-" or "." instead.'
        )
    if not number.strip("."):
        return "A document number cannot be dots only: it is part of the document's address."
    if any(unicodedata.category(c) == "Cc" for c in number):
        return "A document number cannot hold control characters."
    return ""


def _pattern(scheme: str) -> re.Pattern[str]:
    """A regular expression matching the numbers of a scheme, the sequence as group 1."""
    parts = list(string.Formatter().parse(scheme))
    fields = [name for _, name, _, _ in parts if name is not None]
    if fields != ["seq"]:
        raise ImproperlyConfigured(
            f"Document numbering scheme {scheme!r} must have exactly one {{seq}} field."
        )
    if "/" in scheme:
        raise ImproperlyConfigured(
            f'Document numbering scheme {scheme!r} holds "/", which no document number may.'
        )
    regex = "".join(
        re.escape(literal) + (r"(\d+)" if name is not None else "") for literal, name, _, _ in parts
    )
    return re.compile(f"^{regex}$", re.IGNORECASE)


def next_number(doc_type: str) -> str | None:
    """The next free number of the type's scheme, or None when the type has none."""
    scheme = scheme_for(doc_type)
    if scheme is None:
        return None
    pattern = _pattern(scheme)
    prefix = scheme.split("{", 1)[0]
    used = Document.objects.filter(number__istartswith=prefix).values_list("number", flat=True)
    highest = 0
    for number in used:
        match = pattern.match(number)
        if match:
            highest = max(highest, int(match.group(1)))
    return scheme.format(seq=highest + 1)


def taken_by(number: str, *, exclude_pk: int | None = None) -> Document | None:
    """The document already using this number, compared without case, or None."""
    rows = Document.objects.filter(number__iexact=(number or "").strip())
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows.first()
