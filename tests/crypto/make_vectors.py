"""Regenerate piguard's own vectors: tests/vectors/crypto_{envelope,blind_index,invalid}.json.

Run: ``.venv/bin/python tests/crypto/make_vectors.py``. Deliberately independent of
``piguard.crypto``: the header, the length-prefixed context, HKDF (RFC 5869) and
HMAC are re-implemented here from the written format with the standard library
(hashlib has SM3 through OpenSSL), and GCM comes straight from the primitives.
The tests then check that piguard produces and accepts exactly these bytes, so a
change to the on-disk format cannot pass unnoticed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

OUT = Path(__file__).resolve().parent.parent / "vectors"
HASH = {"AES256_GCM": "sha256", "SM4_GCM": "sm3"}
SUITE_BYTE = {"AES256_GCM": 1, "SM4_GCM": 2}
KEY_SIZE = {"AES256_GCM": 32, "SM4_GCM": 16}


def pack(*parts: str | bytes | int) -> bytes:
    out = b""
    for p in parts:
        raw = p if isinstance(p, bytes) else struct.pack(">I", p) if isinstance(p, int) else p.encode()
        out += struct.pack(">I", len(raw)) + raw
    return out


def hkdf(alg: str, ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    prk = hmac.new(salt or bytes(hashlib.new(alg).digest_size), ikm, alg).digest()
    okm, block, i = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([i]), alg).digest()
        okm += block
        i += 1
    return okm[:length]


def gcm(suite: str, key: bytes, nonce: bytes, pt: bytes, ad: bytes) -> bytes:
    if suite == "AES256_GCM":
        return AESGCM(key).encrypt(nonce, pt, ad)
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(ad)
    return enc.update(pt) + enc.finalize() + enc.tag


def blob(suite: str, key: bytes, key_id: int, version: int, nonce: bytes, pt: bytes, aad: bytes) -> bytes:
    header = struct.pack(">BBII", 1, SUITE_BYTE[suite], key_id, version) + nonce
    return header + gcm(suite, key, nonce, pt, header + aad)


def seq(n: int, start: int) -> bytes:
    return bytes((start + i) % 256 for i in range(n))


def envelope() -> dict[str, Any]:
    fields, deks = [], []
    for suite in ("AES256_GCM", "SM4_GCM"):
        size = KEY_SIZE[suite]
        dek, kek = seq(size, 0x10), seq(size, 0x80)
        ctx: dict[str, Any] = {
            "tenant": "acme",
            "record_type": "customer",
            "record_id": "c-0001",
            "field": "mobile",
            "schema_version": 3,
        }
        aad = pack(
            b"piguard/field/v1",
            ctx["tenant"],
            ctx["record_type"],
            ctx["record_id"],
            ctx["field"],
            ctx["schema_version"],
        )
        nonce = seq(12, 0xA0)
        pt = b"13800138000"
        fields.append(
            {
                "suite": suite,
                "key": dek.hex(),
                "key_id": 7,
                "key_version": 2,
                "nonce": nonce.hex(),
                "context": ctx,
                "aad": aad.hex(),
                "plaintext": pt.hex(),
                "blob": blob(suite, dek, 7, 2, nonce, pt, aad).hex(),
            }
        )
        aad = pack(b"piguard/dek/v1", "acme", "c-0001")
        nonce = seq(12, 0xC0)
        deks.append(
            {
                "suite": suite,
                "kek": kek.hex(),
                "provider_kind_id": 1,
                "kek_version": 1,
                "nonce": nonce.hex(),
                "tenant": "acme",
                "customer_id": "c-0001",
                "aad": aad.hex(),
                "dek": dek.hex(),
                "blob": blob(suite, kek, 1, 1, nonce, dek, aad).hex(),
            }
        )
    return {
        "header": {
            "source": "piguard's own format (docs: piguard.crypto.aead, context, file_kek)",
            "checked": "made by tests/crypto/make_vectors.py, which re-implements header, context "
            "encoding and wrapping from the format description with hashlib/hmac and raw "
            "GCM; tests/crypto/test_vectors.py checks piguard produces and opens the same bytes",
        },
        "fields": fields,
        "wrapped_deks": deks,
    }


def blind_index() -> dict[str, Any]:
    cases = []
    root = seq(32, 0x40)
    for suite in ("AES256_GCM", "SM4_GCM"):
        alg = HASH[suite]
        for tenant, rtype, field, value, bits in [
            ("acme", "customer", "mobile", "13800138000", 16),
            ("acme", "customer", "mobile", "13800138000", 64),
            ("acme", "customer", "resident_id", "11010519491231002X", 21),
            ("acme", "customer", "name", "张三", 256),
            ("beta", "order", "mobile", "13800138000", 13),
        ]:
            key = hkdf(alg, root, b"piguard-bidx" + pack(tenant, rtype), b"\x7e" * 32 + field.encode(), 32)
            full = hmac.new(key, value.encode(), alg).digest()
            out = bytearray(full[: (bits + 7) // 8])
            out[-1] &= (0xFF << ((-bits) % 8)) & 0xFF
            cases.append(
                {
                    "suite": suite,
                    "root": root.hex(),
                    "tenant": tenant,
                    "record_type": rtype,
                    "field": field,
                    "value": value,
                    "bits": bits,
                    "field_key": key.hex(),
                    "digest": bytes(out).hex(),
                }
            )
    return {
        "header": {
            "source": "piguard's blind-index construction (piguard.crypto.blind_index docstring)",
            "checked": "made by tests/crypto/make_vectors.py with an independent RFC 5869 HKDF and "
            "stdlib HMAC (hashlib sha256/sm3); tests/crypto/test_vectors.py compares",
        },
        "cases": cases,
    }


def _adder(cases: list[dict[str, Any]], suite: str, key: bytes, aad: bytes) -> Any:
    def add(name: str, b: bytes, a: bytes = aad) -> None:
        cases.append(
            {"name": f"{suite}: {name}", "suite": suite, "key": key.hex(), "aad": a.hex(), "blob": b.hex()}
        )

    return add


def _flipper(good: bytes) -> Any:
    def flip(i: int) -> bytes:
        m = bytearray(good)
        m[i] ^= 0x01
        return bytes(m)

    return flip


def invalid() -> dict[str, Any]:
    cases: list[dict[str, Any]] = []
    for suite in ("AES256_GCM", "SM4_GCM"):
        key = seq(KEY_SIZE[suite], 0x20)
        aad = pack(b"piguard/field/v1", "acme", "customer", "c-0001", "mobile", 1)
        good = blob(suite, key, 3, 1, seq(12, 0x55), b"secret value", aad)

        add = _adder(cases, suite, key, aad)
        flip = _flipper(good)
        for i, what in [
            (0, "format version"),
            (1, "suite"),
            (2, "key id"),
            (9, "key version"),
            (10, "nonce first"),
            (21, "nonce last"),
            (22, "ciphertext first"),
            (len(good) - 17, "ciphertext last"),
            (len(good) - 16, "tag first"),
            (len(good) - 1, "tag last"),
        ]:
            add(f"flipped bit in {what} (byte {i})", flip(i))
        add("format version 2", b"\x02" + good[1:])
        add("format version 0", b"\x00" + good[1:])
        add("unknown suite 3", good[:1] + b"\x03" + good[2:])
        add("other known suite", good[:1] + bytes([3 - SUITE_BYTE[suite]]) + good[2:])
        add("empty", b"")
        add("header only", good[:22])
        add("header + 15 bytes", good[:37])
        add("one byte short", good[:-1])
        add("one byte extra", good + b"\x00")
        add(
            "aad of another customer",
            good,
            pack(b"piguard/field/v1", "acme", "customer", "c-0002", "mobile", 1),
        )
        add("aad of another field", good, pack(b"piguard/field/v1", "acme", "customer", "c-0001", "email", 1))
        add(
            "aad of another tenant",
            good,
            pack(b"piguard/field/v1", "beta", "customer", "c-0001", "mobile", 1),
        )
        add(
            "aad of another schema version",
            good,
            pack(b"piguard/field/v1", "acme", "customer", "c-0001", "mobile", 2),
        )
        add("empty aad", good, b"")
        cases.append(
            {
                "name": f"{suite}: valid control (must open)",
                "suite": suite,
                "key": key.hex(),
                "aad": aad.hex(),
                "blob": good.hex(),
                "valid": True,
                "plaintext": b"secret value".hex(),
            }
        )
    return {
        "header": {
            "source": "piguard's own format; mutations of one valid blob per suite",
            "checked": "made by tests/crypto/make_vectors.py; tests/crypto/test_vectors.py requires "
            "every case without valid=true to raise InvalidCiphertext from Sealer.open",
        },
        "cases": cases,
    }


def main() -> None:
    for name, data in [
        ("crypto_envelope.json", envelope()),
        ("crypto_blind_index.json", blind_index()),
        ("crypto_invalid.json", invalid()),
    ]:
        (OUT / name).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
