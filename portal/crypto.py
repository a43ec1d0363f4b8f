"""Encryption at rest for tips (AES-256-GCM with a key ring) and the codes tipsters hold."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app

ENVELOPE_VERSION = b"\x01"
KEY_ID_BYTES = 4
NONCE_BYTES = 12
KEY_BYTES = 32
# Crockford's base32: no I, L, O or U, so codes survive being read aloud or copied by hand.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class TipKeyError(ValueError):
    """PORTAL_TIP_ENCRYPTION_KEY cannot be used; the message says how to fix it."""


class DecryptionError(ValueError):
    """A ciphertext was not made by any key of the ring, or was altered."""


def new_key() -> str:
    """A fresh key in the form PORTAL_TIP_ENCRYPTION_KEY takes."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def _parse_key(text: str) -> bytes:
    stripped = text.strip()
    try:
        # validate=True: a stray character is a mistyped key, not something to skip over.
        raw = base64.b64decode(stripped + "=" * (-len(stripped) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise TipKeyError("PORTAL_TIP_ENCRYPTION_KEY must be URL-safe base64") from exc
    if len(raw) != KEY_BYTES:
        raise TipKeyError(
            "each key in PORTAL_TIP_ENCRYPTION_KEY must be 32 random bytes in URL-safe base64 "
            "(make one with: flask tips new-key)"
        )
    return raw


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"recognise-key-id" + key).digest()[:KEY_ID_BYTES]


def _derive(key: bytes, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode()
    ).derive(key)


@dataclass(frozen=True)
class TipCipher:
    """A key ring: the first key encrypts, every key decrypts, so keys can be rotated."""

    keys: tuple[bytes, ...]

    @classmethod
    def from_setting(cls, value: str | None, *, fallback_secret: str | None = None) -> TipCipher:
        """Keys from PORTAL_TIP_ENCRYPTION_KEY (comma-separated, newest first).

        Without a setting, `fallback_secret` (the development secret key) is stretched into a
        key so `make run` works out of the box; production refuses to start without a key.
        """
        if value and value.strip():
            keys = tuple(_parse_key(part) for part in value.split(",") if part.strip())
            if not keys:
                raise TipKeyError("PORTAL_TIP_ENCRYPTION_KEY holds no key")
            return cls(keys)
        if fallback_secret:
            return cls((_derive(fallback_secret.encode(), "recognise-development-tip-key"),))
        raise TipKeyError("PORTAL_TIP_ENCRYPTION_KEY is not set")

    def encrypt(self, plaintext: bytes, context: str) -> bytes:
        """Seal `plaintext`; `context` (which row and field) must be given again to open it."""
        key = self.keys[0]
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, plaintext, context.encode())
        return ENVELOPE_VERSION + _key_id(key) + nonce + sealed

    def decrypt(self, envelope: bytes, context: str) -> bytes:
        header = 1 + KEY_ID_BYTES + NONCE_BYTES
        if len(envelope) < header + 16 or envelope[:1] != ENVELOPE_VERSION:
            raise DecryptionError("not a tip ciphertext")
        key_id = envelope[1 : 1 + KEY_ID_BYTES]
        nonce = envelope[1 + KEY_ID_BYTES : header]
        for key in self.keys:
            if hmac.compare_digest(_key_id(key), key_id):
                try:
                    return AESGCM(key).decrypt(nonce, envelope[header:], context.encode())
                except InvalidTag as exc:
                    raise DecryptionError("ciphertext altered or context wrong") from exc
        raise DecryptionError("encrypted with a key that is not in PORTAL_TIP_ENCRYPTION_KEY")

    def encrypt_text(self, text: str, context: str) -> bytes:
        return self.encrypt(text.encode("utf-8"), context)

    def decrypt_text(self, envelope: bytes, context: str) -> str:
        return self.decrypt(envelope, context).decode("utf-8")

    def derived_key(self, purpose: str) -> bytes:
        """A key for `purpose` (code derivation, hashing) derived from the newest key."""
        return _derive(self.keys[0], purpose)


def random_code(groups: int, size: int = 4) -> str:
    """Random groups of Crockford base32, like 7KQ3-M9XD."""
    return "-".join(
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(size)) for _ in range(groups)
    )


def derived_code(key: bytes, message: str, groups: int, size: int = 4) -> str:
    """A code derived from `message` with `key`: the same input always gives the same code."""
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(groups * size):
        number, index = divmod(number, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[index])
    text = "".join(chars)
    return "-".join(text[i : i + size] for i in range(0, len(text), size))


_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def normalise_code(text: str) -> str:
    """A typed code in canonical form: upper case, no spaces or dashes, look-alikes mapped."""
    # NFKC turns full-width and other compatibility forms (from phone keyboards) into ASCII.
    folded = unicodedata.normalize("NFKC", text).upper().translate(_CONFUSABLE)
    return "".join(ch for ch in folded if ch in CODE_ALPHABET)


def code_digest(code: str) -> str:
    """What is stored of a private code: it has 80 random bits, so a plain hash suffices."""
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


EXTENSION_NAME = "tip_cipher"


def init_app(app: Flask) -> None:
    """Build the key ring from PORTAL_TIP_ENCRYPTION_KEY and keep it on `app`."""
    fallback = None if app.config["PORTAL_ENV"] == "production" else app.config["SECRET_KEY"]
    app.extensions[EXTENSION_NAME] = TipCipher.from_setting(
        app.config.get("PORTAL_TIP_ENCRYPTION_KEY"), fallback_secret=fallback
    )


def get_cipher() -> TipCipher:
    """The tip key ring of the current Flask app."""
    cipher = current_app.extensions.get(EXTENSION_NAME)
    if not isinstance(cipher, TipCipher):
        raise RuntimeError("the tip cipher is not set up: call portal.crypto.init_app(app)")
    return cipher
