"""Serving stored uploads so that they never run in the application's origin
(issue 10): the content type the bytes prove (the same detection as at upload; bytes
that prove no accepted type are sent as a download of application/octet-stream),
``X-Content-Type-Options: nosniff``, ``Content-Security-Policy: sandbox`` with
nothing allowed (no scripts, an opaque origin, no plugins, no forms), and a
Content-Disposition whose file name is sanitised, with an ASCII fallback and the
RFC 6266 / RFC 5987 ``filename*`` form."""

from urllib.parse import quote

from django.http import FileResponse

from qualify.documents.uploads import safe_name, served_type

SANDBOX = (
    "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
)
# 'unsafe-inline' styles only inside the sandboxed file: a browser's built-in viewer
# (an image or text page) styles its synthetic page inline; no script can run.


def content_disposition(name: str, *, inline: bool) -> str:
    """``inline; filename="ascii"; filename*=UTF-8''percent-encoded`` (RFC 6266)."""
    name = safe_name(name)
    fallback = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def serve_upload(field_file, *, inline: bool = True) -> FileResponse:
    """The stored file, with the headers above. `field_file` is a FieldFile."""
    handle = field_file.open("rb")
    head = handle.read()
    handle.seek(0)
    content_type = served_type(head)
    if content_type is None:
        content_type, inline = "application/octet-stream", False
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition(
        field_file.name.rsplit("/", 1)[-1], inline=inline
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
