"""The signing secrets of push packs, sealed (encrypted) in the packs table (issue 20).

One key for the whole stack lives in Secrets Manager (`DeliveryKey`, the value `{"key": <64 random
characters>}`); each pack's secret is stored encrypted with AES-256-GCM under it, bound to the pack id
(associated data, so a sealed secret copied onto another pack does not open). Reading the packs
table alone (a scan, a backup, a point-in-time export) therefore yields no secret. One secret costs
$0.40 a month whatever the number of packs, where a secret per pack would cost that for each.
Only the packs function (sealing at registration) and the delivery function (opening at delivery)
may read the key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from typing import Any

from ..domain.errors import Unavailable

VERSION = "v1"
NONCE_BYTES = 12


class DeliverySecrets:
    def __init__(self, client: Any, secret_id: str) -> None:
        self._client = client
        self._secret_id = secret_id
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def _aead(self) -> Any:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # loaded by registrations and deliveries only

        with self._lock:
            if self._key is None:
                if not self._secret_id:
                    raise RuntimeError("FLYTE_DELIVERY_KEY_SECRET_ARN is not set: template.yaml sets it on every function")
                try:
                    value = self._client.get_secret_value(SecretId=self._secret_id)["SecretString"]
                except Exception as error:  # botocore's errors and connection failures alike
                    raise Unavailable(
                        "The key that seals delivery secrets cannot be read now; retry shortly.", retryAfterSeconds=5
                    ) from error
                material = json.loads(value)["key"]
                self._key = hashlib.sha256(f"flyte delivery key {VERSION}:{material}".encode()).digest()
            return AESGCM(self._key)

    def seal(self, pack_id: str, secret: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead().encrypt(nonce, secret.encode("utf-8"), pack_id.encode("utf-8"))
        return f"{VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"

    def open(self, pack_id: str, sealed: str) -> str:
        version, _, data = sealed.partition(".")
        if version != VERSION:
            raise ValueError(f"a sealed delivery secret of unknown version {version!r}")
        raw = base64.urlsafe_b64decode(data)
        return self._aead().decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], pack_id.encode("utf-8")).decode("utf-8")
