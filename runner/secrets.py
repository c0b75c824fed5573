"""Endpoint API keys: encrypted at rest, readable only by the run engine.

A stored key is a Fernet token (AES-128-CBC with HMAC-SHA256) under a key derived from
`SECRET_KEY` with HKDF-SHA256; keys encrypted under one of `SECRET_KEY_FALLBACKS` still decrypt,
so SECRET_KEY can be rotated. Losing SECRET_KEY loses the stored keys (enter them again). A key
may instead be read, at each run, from an environment variable the endpoint names.
"""

import base64
import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext

from runner.models import Endpoint

_INFO = b"consilium runner endpoint api keys"
# Local servers (vLLM, SGLang, Ollama) accept any key; the client insists on having one.
NO_KEY = "no-key"


class KeyUnavailable(Exception):
    """The endpoint's key cannot be read; the message says why, never what it is."""


def _fernet(secret: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def _cipher() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(secret) for secret in secrets])


def encrypt_key(plain: str) -> str:
    return _cipher().encrypt(plain.encode()).decode()


def endpoint_api_key(endpoint: Endpoint) -> str:
    """The key to send: the stored one, else the named environment variable, else NO_KEY."""
    if endpoint.api_key_encrypted:
        try:
            return _cipher().decrypt(endpoint.api_key_encrypted.encode()).decode()
        except InvalidToken:
            raise KeyUnavailable(
                gettext(
                    "The stored API key cannot be decrypted (SECRET_KEY changed?): "
                    "enter the key again."
                )
            ) from None
    if endpoint.api_key_env:
        value = os.environ.get(endpoint.api_key_env)
        if not value:
            raise KeyUnavailable(
                gettext("The environment variable %(name)s is not set on the task worker.")
                % {"name": endpoint.api_key_env}
            )
        return value
    return NO_KEY


def redact(text: str, secret: str) -> str:
    """`text` with every occurrence of `secret` masked (a server may echo what it was sent)."""
    if secret and secret != NO_KEY and len(secret) >= 4:
        return text.replace(secret, "[redacted]")
    return text
