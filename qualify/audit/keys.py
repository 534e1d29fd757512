"""The site's Ed25519 checkpoint key (A3).

The private key lives outside the database, in the PEM (PKCS#8) file named by
settings.QUALIFY_SIGNING_KEY, so someone who can rewrite the database still cannot
sign a checkpoint for the rewritten trail. It is generated on first use, readable by
its owner only. Its name in signed notes is settings.QUALIFY_CHECKPOINT_ORIGIN; the
verifier key (`verifier_key_text()`) is what an inspector needs to check exported
checkpoints offline.
"""

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from django.conf import settings

from qualify.audit import notes


class SigningKeyMissing(FileNotFoundError):
    """The key file does not exist and the caller asked not to create it."""


def key_path() -> Path:
    return Path(settings.QUALIFY_SIGNING_KEY)


def key_name() -> str:
    return settings.QUALIFY_CHECKPOINT_ORIGIN


def _generate(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once must not each write their own key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def signing_key(*, create: bool = True) -> Ed25519PrivateKey:
    """The site's private key; generated (mode 0600) when missing and `create` is true."""
    path = key_path()
    if not path.exists():
        if not create:
            raise SigningKeyMissing(f"no checkpoint signing key at {path}")
        _generate(path)
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError(f"{path} does not hold an Ed25519 private key")
    return key


def verifier(*, create: bool = True) -> notes.Verifier:
    """The site's public key as a signed-note verifier."""
    return notes.parse_verifier_key(verifier_key_text(create=create))


def verifier_key_text(*, create: bool = True) -> str:
    """The vkey text (`name+keyid+base64`) to hand to whoever verifies checkpoints."""
    return notes.verifier_key(key_name(), signing_key(create=create).public_key())


def sign(body: str) -> str:
    """Sign note text as the site."""
    return notes.sign_note(body, key_name(), signing_key())
