"""Ed25519 keys for disclosure packages: made by `bastion legal keygen`, configured with
BASTION_LEGAL_SIGNING_KEY (the private key's PEM file). The public key travels in each package
and should also be given to authorities out of band, so they can check it is the platform's."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class SigningError(ValueError):
    """A key that cannot be used; the message says which file and what to do."""


def generate(private_path: Path) -> Path:
    """Write a new private key (mode 0600) and its public key beside it (.pub.pem); refuse to
    overwrite an existing key, since packages signed with it could no longer be attributed."""
    if private_path.exists():
        raise SigningError(f"{private_path} exists; choose another path or remove it first")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    private_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    public_path = private_path.with_suffix(".pub.pem")
    public_path.write_bytes(public_pem(key.public_key()))
    return public_path


def load_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise SigningError(f"cannot read the signing key {path}: {exc.strerror}") from None
    except (ValueError, TypeError):
        raise SigningError(
            f"{path} is not an unencrypted PEM private key; make one with `bastion legal keygen`"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path} is not an Ed25519 key; make one with `bastion legal keygen`")
    return key


def load_public(data: bytes, where: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise SigningError(f"{where} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningError(f"{where} is not an Ed25519 public key")
    return key


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, in base64 (as `ssh-keygen -l` shows its keys)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")


def valid(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True
