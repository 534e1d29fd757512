"""The installation's document-signing key and certificate, and PAdES signing of the
PDF exports (pyHanko).

Like the audit checkpoint key (qualify.audit.keys), the key lives outside the
database: by default beside the checkpoint key (settings.QUALIFY_SIGNING_KEY's
folder, under QUALIFY_VAR_DIR) as `document-signing-key.pem` and
`document-signing-cert.pem`, made at the first PDF export with a self-signed
certificate naming the installation. A customer replaces them with their own by
setting QUALIFY_REPORT_SIGNING_KEY and QUALIFY_REPORT_SIGNING_CERT (PEM files; the
key unencrypted or with QUALIFY_REPORT_SIGNING_KEY_PASSWORD), and then no key is
ever generated.

Hazards: a missing customer key is an error, never a silently generated one; files
are created with O_EXCL and mode 0600 so two workers starting at once keep one key.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import BinaryIO

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings


def _default_dir() -> Path:
    return Path(settings.QUALIFY_SIGNING_KEY).parent


def key_and_cert_paths() -> tuple[Path, Path, bool]:
    """(key, certificate, customer's own?)."""
    key = getattr(settings, "QUALIFY_REPORT_SIGNING_KEY", "") or ""
    cert = getattr(settings, "QUALIFY_REPORT_SIGNING_CERT", "") or ""
    if key or cert:
        if not (key and cert):
            raise FileNotFoundError(
                "set both QUALIFY_REPORT_SIGNING_KEY and QUALIFY_REPORT_SIGNING_CERT"
            )
        return Path(key), Path(cert), True
    folder = _default_dir()
    return folder / "document-signing-key.pem", folder / "document-signing-cert.pem", False


def _write_exclusive(path: Path, data: bytes) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return True


def ensure_certificate() -> tuple[Path, Path]:
    """The key and certificate files, generating the installation's pair at first use."""
    key_path, cert_path, own = key_and_cert_paths()
    if own:
        for path in (key_path, cert_path):
            if not path.exists():
                raise FileNotFoundError(f"the document-signing file {path} does not exist")
        return key_path, cert_path
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    if not _write_exclusive(key_path, key_pem):
        # Another process made it first; wait for its certificate to appear.
        return key_path, cert_path
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Qualify report signing"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _installation()),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_exclusive(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def _installation() -> str:
    try:
        from qualify.audit.keys import key_name

        return key_name()[:64]
    except Exception:  # pragma: no cover - no audit key configured
        return "Qualify installation"


def certificate_pem() -> bytes:
    """The certificate that verifies the exports (to hand to whoever checks them)."""
    return ensure_certificate()[1].read_bytes()


def sign_pdf(infile: BinaryIO, outfile: BinaryIO, *, reason: str) -> None:
    """PAdES baseline signature (pyHanko) over the whole PDF, written to `outfile`."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    key_path, cert_path = ensure_certificate()
    password = getattr(settings, "QUALIFY_REPORT_SIGNING_KEY_PASSWORD", "") or None
    signer = signers.SimpleSigner.load(
        str(key_path), str(cert_path), key_passphrase=password.encode() if password else None
    )
    if signer is None:
        raise ValueError(f"cannot read the document-signing key {key_path} or {cert_path}")
    meta = signers.PdfSignatureMetadata(
        field_name="QualifyExport",
        reason=reason[:200],
        location=_installation(),
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    writer = IncrementalPdfFileWriter(infile, strict=False)
    signers.sign_pdf(writer, meta, signer=signer, output=outfile)
