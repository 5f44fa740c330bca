"""Sharing customer data without raw identifiers.

Customer data is personal data (GDPR art. 4(5); China's PIPL art. 73): a study that shares
its data set should replace identifiers by pseudonyms that cannot be reversed without a
secret key.  :func:`pseudonymize` uses keyed hashing, HMAC-SHA-256 (RFC 2104) of the value's
text under the study's key: the same id always maps to the same pseudonym under one key (so
joins across tables still work), different keys give unlinkable pseudonyms, and without the
key the mapping cannot be recomputed by hashing candidate ids (unlike a plain hash).
Keep the key out of the shared material; pseudonymized data is still personal data under
the GDPR while the key exists.
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd

from .. import _validation as V
from ..errors import InputError


def pseudonymize(df: pd.DataFrame, columns, key: str | bytes, *, length: int = 16) -> pd.DataFrame:
    """Return a copy of ``df`` with ``columns`` replaced by keyed-hash pseudonyms.

    Parameters
    ----------
    df : DataFrame
        Never modified.
    columns : str or list of str
        Identifier columns (customer id, e-mail, phone ...).
    key : str or bytes
        The secret key; at least 16 characters.
    length : int
        Hex characters kept from the 64-character HMAC-SHA-256 digest (16 = 64 bits;
        collisions are negligible below a billion distinct ids).

    Returns
    -------
    DataFrame
        Missing values stay missing; every other value becomes a hex pseudonym.
    """
    V.require_frame(df)
    cols = [columns] if isinstance(columns, str) else list(columns)
    V.require_columns(df, cols)
    k = key.encode() if isinstance(key, str) else bytes(key)
    if len(k) < 16:
        raise InputError("the pseudonymization key must have at least 16 characters")
    if not 8 <= length <= 64:
        raise InputError(f"length must be between 8 and 64 hex characters, got {length}")
    out = df.copy()
    for c in cols:
        out[c] = df[c].map(lambda v: v if pd.isna(v) else
                           hmac.new(k, str(v).encode(), hashlib.sha256).hexdigest()[:length])
    return out
