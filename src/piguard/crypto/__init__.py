"""Cryptography for piguard: the only package that imports ``cryptography.hazmat`` or ``pkcs11``.

Layers, bottom up: :mod:`~piguard.crypto.aead` (the blob format),
:mod:`~piguard.crypto.context` (what a blob is bound to), :mod:`~piguard.crypto.kdf`,
:mod:`~piguard.crypto.kek` with :mod:`~piguard.crypto.file_kek` and
:mod:`~piguard.crypto.pkcs11_kek` (KEK providers), :mod:`~piguard.crypto.keyring`
(the key file), :mod:`~piguard.crypto.envelope` (per-customer DEKs) and
:mod:`~piguard.crypto.blind_index` (equality search).
"""

from piguard.crypto.aead import Header, Sealer, Suite, parse_header, sealer_for
from piguard.crypto.blind_index import BlindIndexer, plan_bits
from piguard.crypto.context import dek_aad, field_aad, secret_aad
from piguard.crypto.envelope import DataKeys, WrappedDek
from piguard.crypto.kek import KekProvider, KekVersionInfo
from piguard.crypto.keyring import SECRET_NAMES, Keyring, KeyringKind
from piguard.crypto.master import MasterSecret, Passphrase, generate_master_secret, load_master_secret
from piguard.crypto.pkcs11_kek import Pkcs11Config

__all__ = [
    "SECRET_NAMES",
    "BlindIndexer",
    "DataKeys",
    "Header",
    "KekProvider",
    "KekVersionInfo",
    "Keyring",
    "KeyringKind",
    "MasterSecret",
    "Passphrase",
    "Pkcs11Config",
    "Sealer",
    "Suite",
    "WrappedDek",
    "dek_aad",
    "field_aad",
    "generate_master_secret",
    "load_master_secret",
    "parse_header",
    "plan_bits",
    "sealer_for",
    "secret_aad",
]
