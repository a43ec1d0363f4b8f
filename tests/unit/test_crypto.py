"""Tip encryption at rest: sealing, key rings and rotation, key settings and the tipster's codes."""

from __future__ import annotations

import base64
import os
import re

import pytest
from flask import Flask

from portal import crypto
from portal.crypto import (
    CODE_ALPHABET,
    DecryptionError,
    TipCipher,
    TipKeyError,
    code_digest,
    derived_code,
    new_key,
    normalise_code,
    random_code,
)
from portal.services.tips import normalise_reference

KEY_A = base64.urlsafe_b64encode(bytes(range(32))).decode()
KEY_B = base64.urlsafe_b64encode(bytes(range(100, 132))).decode()
CONTEXT = "tip-message:8b6f3c1e-9a57-4c4e-8f55-0d4b2f3a9e11"
PLAINTEXT = "She had a rose tattoo on her left wrist and lived near Antwerpen-Centraal."
CROCKFORD = f"[{re.escape(CODE_ALPHABET)}]"
FOLLOWUP_CODE = re.compile(rf"{CROCKFORD}{{4}}(-{CROCKFORD}{{4}}){{3}}")


def ring(*keys: str) -> TipCipher:
    return TipCipher.from_setting(",".join(keys))


# ---------------------------------------------------------------------------
# Sealing and opening


@pytest.mark.parametrize(
    "plaintext",
    [b"", b"x", PLAINTEXT.encode(), "Zoë, ירושלים, 👩‍👩‍👧\x00".encode(), os.urandom(70_000)],
)
def test_round_trip(plaintext: bytes) -> None:
    cipher = ring(KEY_A)
    envelope = cipher.encrypt(plaintext, CONTEXT)
    assert cipher.decrypt(envelope, CONTEXT) == plaintext
    # A fresh nonce each time: the same plaintext never gives the same ciphertext.
    assert cipher.encrypt(plaintext, CONTEXT) != envelope


def test_text_round_trip_keeps_every_character() -> None:
    cipher = ring(KEY_A)
    text = "Line one\nZoë Ünal — עברית — العربية — 🏳️‍🌈\t\x01"
    assert cipher.decrypt_text(cipher.encrypt_text(text, CONTEXT), CONTEXT) == text


def test_ciphertext_holds_no_trace_of_the_plaintext() -> None:
    cipher = ring(KEY_A)
    envelope = cipher.encrypt_text(PLAINTEXT, CONTEXT)
    for word in ("rose", "tattoo", "Antwerpen", "wrist"):
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert word.encode(encoding) not in envelope
        assert base64.b64encode(word.encode()) not in envelope
    # Version byte, key id, nonce and tag around a body as long as the plaintext.
    assert envelope[:1] == crypto.ENVELOPE_VERSION
    overhead = 1 + crypto.KEY_ID_BYTES + crypto.NONCE_BYTES + 16
    assert len(envelope) == len(PLAINTEXT.encode()) + overhead


def test_wrong_context_fails() -> None:
    cipher = ring(KEY_A)
    envelope = cipher.encrypt_text(PLAINTEXT, "tip-message:one")
    for context in ("tip-message:two", "tip-contact:one", "", "tip-message:one "):
        with pytest.raises(DecryptionError, match="context wrong"):
            cipher.decrypt(envelope, context)


def test_every_tampered_byte_is_detected() -> None:
    cipher = ring(KEY_A)
    envelope = cipher.encrypt(b"short secret", CONTEXT)
    for position in range(len(envelope)):
        tampered = bytearray(envelope)
        tampered[position] ^= 0x01
        with pytest.raises(DecryptionError):
            cipher.decrypt(bytes(tampered), CONTEXT)


@pytest.mark.parametrize(
    "envelope",
    [b"", b"\x01", b"\x02" + b"\0" * 40, b"\x01" + b"\0" * 31, b"plain text, never encrypted"],
)
def test_what_is_not_an_envelope_is_refused(envelope: bytes) -> None:
    with pytest.raises(DecryptionError):
        ring(KEY_A).decrypt(envelope, CONTEXT)


def test_truncated_and_extended_envelopes_fail() -> None:
    cipher = ring(KEY_A)
    envelope = cipher.encrypt(b"some bytes to seal", CONTEXT)
    with pytest.raises(DecryptionError):
        cipher.decrypt(envelope[:-1], CONTEXT)
    with pytest.raises(DecryptionError):
        cipher.decrypt(envelope + b"\0", CONTEXT)


# ---------------------------------------------------------------------------
# Key rings and rotation


def test_rotation_new_ring_reads_old_ciphertexts_and_writes_with_the_new_key() -> None:
    old_ring = ring(KEY_A)
    rotated = ring(KEY_B, KEY_A)
    old_envelope = old_ring.encrypt_text(PLAINTEXT, CONTEXT)
    assert rotated.decrypt_text(old_envelope, CONTEXT) == PLAINTEXT

    new_envelope = rotated.encrypt_text(PLAINTEXT, CONTEXT)
    assert rotated.decrypt_text(new_envelope, CONTEXT) == PLAINTEXT
    assert ring(KEY_B).decrypt_text(new_envelope, CONTEXT) == PLAINTEXT
    # Sealed with the new key, so a ring holding only the old one cannot open it.
    with pytest.raises(DecryptionError, match="not in PORTAL_TIP_ENCRYPTION_KEY"):
        old_ring.decrypt(new_envelope, CONTEXT)
    # The key id in the envelope names the newest key.
    assert new_envelope[1 : 1 + crypto.KEY_ID_BYTES] != old_envelope[1 : 1 + crypto.KEY_ID_BYTES]


def test_derived_keys_follow_the_newest_key() -> None:
    assert ring(KEY_B, KEY_A).derived_key("p") == ring(KEY_B).derived_key("p")
    assert ring(KEY_B, KEY_A).derived_key("p") != ring(KEY_A).derived_key("p")
    assert ring(KEY_A).derived_key("p") != ring(KEY_A).derived_key("q")
    assert ring(KEY_A).derived_key("p") not in base64.urlsafe_b64decode(KEY_A)


def test_ring_without_the_key_fails_with_a_clear_message() -> None:
    envelope = ring(KEY_A).encrypt(b"secret", CONTEXT)
    with pytest.raises(DecryptionError) as caught:
        ring(KEY_B).decrypt(envelope, CONTEXT)
    assert "PORTAL_TIP_ENCRYPTION_KEY" in str(caught.value)
    assert "key" in str(caught.value)


def test_ring_setting_tolerates_spaces_and_empty_parts() -> None:
    spaced = TipCipher.from_setting(f"  {KEY_B} ,, {KEY_A}\n")
    assert spaced == ring(KEY_B, KEY_A)
    assert len(spaced.keys) == 2


def test_new_key_is_accepted_and_fresh() -> None:
    first, second = new_key(), new_key()
    assert first != second
    assert len(base64.urlsafe_b64decode(first)) == crypto.KEY_BYTES
    cipher = TipCipher.from_setting(first)
    assert cipher.decrypt(cipher.encrypt(b"ok", "c"), "c") == b"ok"


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ("a", "URL-safe base64"),
        ("abcde", "URL-safe base64"),
        ("é" * 44, "URL-safe base64"),
        ("!!!!", "URL-safe base64"),
        (new_key() + "$", "URL-safe base64"),
        (new_key()[:-1] + "=x", "URL-safe base64"),
        ("AAAA", "32 random bytes"),
        (base64.urlsafe_b64encode(b"\0" * 16).decode(), "32 random bytes"),
        (base64.urlsafe_b64encode(b"\0" * 64).decode(), "32 random bytes"),
        (new_key()[:-4], "32 random bytes"),
        (f"{KEY_A},not-a-key", "URL-safe base64"),
        (f"{KEY_A},{KEY_A[:20]}", "32 random bytes"),
        (",", "holds no key"),
        (" , ,", "holds no key"),
    ],
)
def test_unusable_key_settings_raise_tip_key_error(setting: str, words: str) -> None:
    with pytest.raises(TipKeyError, match=words) as caught:
        TipCipher.from_setting(setting)
    assert "PORTAL_TIP_ENCRYPTION_KEY" in str(caught.value)
    # The message never repeats the setting, which may hold a real key with a typo.
    for part in setting.split(","):
        if len(part.strip()) >= 8:
            assert part.strip() not in str(caught.value)


@pytest.mark.parametrize("setting", [None, "", "   "])
def test_no_key_and_no_fallback_is_refused(setting: str | None) -> None:
    with pytest.raises(TipKeyError, match="not set"):
        TipCipher.from_setting(setting)


def test_key_error_is_a_value_error() -> None:
    assert issubclass(TipKeyError, ValueError)
    assert issubclass(DecryptionError, ValueError)


# ---------------------------------------------------------------------------
# The development fallback


def test_development_fallback_is_deterministic_per_secret() -> None:
    first = TipCipher.from_setting(None, fallback_secret="dev-secret-1")
    again = TipCipher.from_setting("", fallback_secret="dev-secret-1")
    other = TipCipher.from_setting(None, fallback_secret="dev-secret-2")
    assert first == again
    assert first.keys != other.keys
    assert len(first.keys) == 1 and len(first.keys[0]) == crypto.KEY_BYTES
    # The secret is stretched, not used as the key.
    assert b"dev-secret-1" not in first.keys[0]
    envelope = first.encrypt(b"survives a restart", CONTEXT)
    assert again.decrypt(envelope, CONTEXT) == b"survives a restart"
    with pytest.raises(DecryptionError):
        other.decrypt(envelope, CONTEXT)


def test_a_configured_key_wins_over_the_fallback() -> None:
    cipher = TipCipher.from_setting(KEY_A, fallback_secret="dev-secret")
    assert cipher == ring(KEY_A)


def _bare_app(env: str, key: str | None) -> Flask:
    app = Flask(__name__)
    app.config.update(PORTAL_ENV=env, SECRET_KEY="bare-secret", PORTAL_TIP_ENCRYPTION_KEY=key)
    return app


def test_init_app_falls_back_outside_production_only() -> None:
    development = _bare_app("development", None)
    crypto.init_app(development)
    with development.app_context():
        assert crypto.get_cipher() == TipCipher.from_setting(None, fallback_secret="bare-secret")
    with pytest.raises(TipKeyError, match="not set"):
        crypto.init_app(_bare_app("production", None))
    production = _bare_app("production", KEY_A)
    crypto.init_app(production)
    with production.app_context():
        assert crypto.get_cipher() == ring(KEY_A)


def test_get_cipher_without_init_app_says_what_to_do() -> None:
    with Flask(__name__).app_context(), pytest.raises(RuntimeError, match="init_app"):
        crypto.get_cipher()


# ---------------------------------------------------------------------------
# Codes


def test_derived_code_is_stable_and_well_formed() -> None:
    key = ring(KEY_A).derived_key("tip-followup-code")
    code = derived_code(key, "8b6f3c1e-9a57-4c4e-8f55-0d4b2f3a9e11", 4)
    assert FOLLOWUP_CODE.fullmatch(code), code
    assert derived_code(key, "8b6f3c1e-9a57-4c4e-8f55-0d4b2f3a9e11", 4) == code
    assert derived_code(key, "8b6f3c1e-9a57-4c4e-8f55-0d4b2f3a9e12", 4) != code
    other_key = ring(KEY_B).derived_key("tip-followup-code")
    assert derived_code(other_key, "8b6f3c1e-9a57-4c4e-8f55-0d4b2f3a9e11", 4) != code
    assert re.fullmatch(rf"{CROCKFORD}{{4}}-{CROCKFORD}{{4}}", derived_code(key, "x", 2))
    assert re.fullmatch(rf"{CROCKFORD}{{3}}-{CROCKFORD}{{3}}", derived_code(key, "x", 2, 3))


def test_derived_codes_use_the_whole_alphabet_and_do_not_collide() -> None:
    key = ring(KEY_A).derived_key("tip-followup-code")
    codes = {derived_code(key, f"submission-{n}", 4) for n in range(2000)}
    assert len(codes) == 2000
    used = set("".join(codes).replace("-", ""))
    assert used == set(CODE_ALPHABET)
    assert not used & set("ILOU")


def test_random_code_format_and_freshness() -> None:
    codes = {random_code(2) for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert re.fullmatch(rf"{CROCKFORD}{{4}}-{CROCKFORD}{{4}}", code)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("7KQ3-M9XD-AB12-CDEF", "7KQ3M9XDAB12CDEF"),
        ("7kq3-m9xd-ab12-cdef", "7KQ3M9XDAB12CDEF"),
        ("  7kq3 m9xd\tab12  cdef ", "7KQ3M9XDAB12CDEF"),
        ("7KQ3—M9XD_AB12.CDEF", "7KQ3M9XDAB12CDEF"),
        ("O0oI1iLl", "00011111"),
        ("", ""),
        ("----", ""),
        # Full-width forms, as some phone keyboards type them.
        ("\uff17\uff2b\uff31\uff13\uff0d\uff2d\uff19\uff38\uff24", "7KQ3M9XD"),
        # Letters outside the alphabet are never part of a code.
        ("ÄU7", "7"),
    ],
)
def test_normalise_code(typed: str, canonical: str) -> None:
    assert normalise_code(typed) == canonical


def test_code_digest_is_equal_for_equivalent_typings() -> None:
    key = ring(KEY_A).derived_key("tip-followup-code")
    code = derived_code(key, "a form", 4)
    typings = [
        code,
        code.lower(),
        code.replace("-", " "),
        code.replace("-", ""),
        f"  {code}  ",
        code.replace("0", "O").replace("1", "l"),
        code.replace("1", "I").lower(),
    ]
    digests = {code_digest(typed) for typed in typings}
    assert len(digests) == 1
    (digest,) = digests
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert normalise_code(code) not in digest
    other = derived_code(key, "another form", 4)
    assert code_digest(other) != digest


@pytest.mark.parametrize(
    ("typed", "reference"),
    [
        ("TIP-7KQ3-M9XD", "TIP-7KQ3-M9XD"),
        ("tip 7kq3 m9xd", "TIP-7KQ3-M9XD"),
        ("tip-7kq3-m9xd", "TIP-7KQ3-M9XD"),
        ("T1P-7KQ3-M9XD", "TIP-7KQ3-M9XD"),
        ("7KQ3M9XD", "TIP-7KQ3-M9XD"),
        ("7kq3-m9xd", "TIP-7KQ3-M9XD"),
        (" TIP 7KQ3 - M9XD ", "TIP-7KQ3-M9XD"),
        ("TIP-OKQ3-M9XL", "TIP-0KQ3-M9X1"),
        # A code that itself starts with T1P, typed without the prefix.
        ("T1PA-BCDE", "TIP-T1PA-BCDE"),
        ("TIP-T1PA-BCDE", "TIP-T1PA-BCDE"),
        ("", ""),
        ("TIP-", ""),
        ("TIP-7KQ3", ""),
        ("TIP-7KQ3-M9XD-EXTRA", ""),
        ("hello world", ""),
        ("<script>alert(1)</script>", ""),
        ("'; DROP TABLE tips; --", ""),
    ],
)
def test_normalise_reference(typed: str, reference: str) -> None:
    assert normalise_reference(typed) == reference


def test_normalise_reference_round_trips_every_random_reference() -> None:
    for _ in range(300):
        reference = "TIP-" + random_code(2)
        assert normalise_reference(reference) == reference
        assert normalise_reference(reference.lower().replace("-", " ")) == reference
