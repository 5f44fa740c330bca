"""Sharing customer data without raw identifiers.

Customer data is personal data (GDPR art. 4(5); China's PIPL art. 73): a study that shares
its data set should replace identifiers by pseudonyms that cannot be reversed without a
secret key.  :func:`pseudonymize` uses keyed hashing, HMAC-SHA-256 (RFC 2104) of the id's
canonical text under the study's key: the same id always maps to the same pseudonym under
one key (so joins across tables still work, even when one table stores the id as 101 and
another as 101.0), different keys give unlinkable pseudonyms, and without the key the
mapping cannot be recomputed by hashing candidate ids (unlike a plain hash).
Keep the key out of the shared material; pseudonymized data is still personal data under
the GDPR while the key exists.

References
----------
Krawczyk, H., Bellare, M., & Canetti, R. (1997). HMAC: Keyed-hashing for message
authentication. RFC 2104. https://doi.org/10.17487/RFC2104

European Union Agency for Cybersecurity (ENISA) (2019). *Pseudonymisation techniques and
best practices*. https://doi.org/10.2824/247711
"""

from __future__ import annotations

import datetime as _dt
import decimal
import hashlib
import hmac
import math
import numbers
import uuid

import numpy as np
import pandas as pd

from .. import _validation as V
from ..errors import InputError

#: Expected number of colliding pairs above which :func:`pseudonymize` refuses a length.
MAX_EXPECTED_COLLISIONS = 0.01


def _key_bytes(key) -> bytes:
    # bytes() of an int is that many NUL bytes and bytes() of a list is its values: both
    # look like keys and are not secret, so only text and byte strings are accepted.
    if isinstance(key, str):
        k = key.encode("utf-8")
    elif isinstance(key, (bytes, bytearray)):
        k = bytes(key)  # a copy: a bytearray changed later must not change the key
    else:
        raise InputError(f"the pseudonymization key must be bytes or str (at least 16 bytes), "
                         f"got {type(key).__name__}")
    if len(k) < 16:
        # The key itself is never echoed: error messages end up in logs.
        raise InputError(f"the pseudonymization key must have at least 16 bytes (16 characters "
                         f"of ASCII text); the {type(key).__name__} given has {len(k)}")
    return k


class _Refused(Exception):
    """A value that has no canonical id text (the caller names column and rows)."""


def _canonical(v) -> str:
    """The text hashed for one non-missing id (the rule is in :func:`pseudonymize`)."""
    # bool before the numbers: True is an int, but a True/False column is a flag, not an id.
    if isinstance(v, (bool, np.bool_)):
        raise _Refused("booleans")
    if isinstance(v, str):
        return v
    if isinstance(v, numbers.Integral):  # int, numpy integers
        return str(int(v))
    if isinstance(v, decimal.Decimal):
        if not v.is_finite():
            raise _Refused("infinite values")
        if v == v.to_integral_value():
            return str(int(v))
        # Plain notation without trailing zeros, so Decimal("0.10") and 0.1 share "0.1".
        return format(v.normalize(), "f")
    if isinstance(v, (float, np.floating)):
        x = float(v)
        if not math.isfinite(x):
            raise _Refused("infinite values")
        # Integral floats are ints that went through a float column (e.g. beside a NaN).
        return str(int(x)) if x.is_integer() else repr(x)
    if isinstance(v, (pd.Timestamp, _dt.datetime, np.datetime64)):
        return pd.Timestamp(v).isoformat()
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, uuid.UUID):
        return str(v)
    raise _Refused(f"values of type {type(v).__name__}")


def _is_missing(v) -> bool:
    if isinstance(v, decimal.Decimal):
        return v.is_nan()
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):  # array-like cells: not missing, refused later
        return False


def _min_length(n: int) -> int | None:
    for length in range(8, 65):
        if _expected_collisions(n, length) < MAX_EXPECTED_COLLISIONS:
            return length
    return None


def _expected_collisions(n: int, length: int) -> float:
    # Birthday bound: n(n-1)/2 pairs, each colliding with probability 2^-b, b = 4 bits/hex.
    return n * (n - 1) / 2 / 2.0 ** (4 * length)


def pseudonymize(data: pd.DataFrame, columns, key: str | bytes, *, length: int = 16) -> pd.DataFrame:
    """Return a copy of ``data`` with ``columns`` replaced by keyed-hash pseudonyms.

    Each non-missing id becomes the first ``length`` hex characters of
    HMAC-SHA-256(key, canonical text of the id).

    **Canonical ids.**  Ids are labels, so an id hashes the same however a table happened
    to store it:

    * integral numbers -- ``int``, numpy integers, pandas nullable ``Int64`` values, floats
      with an integral value and integral ``Decimal`` -- hash as their decimal integer text:
      ``101``, ``101.0``, ``np.int64(101)`` and ``Decimal("101.00")`` all hash ``"101"``;
    * strings hash as they are, unchanged (no stripping or case folding): ``"101"`` shares
      the pseudonym of the number 101, but ``" 101"``, ``"0101"`` and ``"101.0"`` do not;
    * non-integral floats hash as the shortest text that round-trips the double
      (``repr``: ``0.1`` gives ``"0.1"``); non-integral ``Decimal`` as its plain notation
      without trailing zeros (``Decimal("0.10")`` gives ``"0.1"``);
    * timestamps (``pd.Timestamp``, ``datetime``, ``np.datetime64``) hash as ISO 8601 text
      via ``pd.Timestamp(v).isoformat()`` (``"2024-01-31T00:00:00"``, offset included if
      time-zone aware); dates as ``"2024-01-31"``; UUIDs as their hyphenated lower-case text;
    * missing values (None, NaN, ``pd.NA``, ``NaT``) stay missing;
    * booleans, infinite numbers and any other type are refused.

    **Collisions.**  With ``n`` distinct canonical ids in a column and ``b = 4 * length``
    bits kept, the expected number of colliding pairs is ``n(n-1)/2 / 2^b``.  Two customers
    sharing a pseudonym would be merged silently in every later join, so a length whose
    expected collisions reach 0.01 is refused (the message gives the smallest length that
    is enough), and any collision that occurs anyway is refused too.  The check sees only
    the ids of this call: when tables are pseudonymized separately, choose ``length`` for
    the total number of customers.

    Parameters
    ----------
    data : DataFrame
        Never modified.
    columns : str or list of str
        Identifier columns (customer id, e-mail, phone ...).
    key : str or bytes
        The secret key: ``bytes`` (or ``bytearray``) of at least 16 bytes, or ``str`` of at
        least 16 bytes in UTF-8.  Other types (an int, None ...) are refused: ``bytes(16)``
        is sixteen zero bytes, not a secret.
    length : int
        Hex characters kept from the 64-character digest, 8 to 64 (16 = 64 bits: expected
        collisions stay below 0.01 up to about 600 million distinct ids).

    Returns
    -------
    DataFrame
        A copy; in ``columns`` missing values stay missing and every other value becomes a
        hex pseudonym (object dtype).

    Raises
    ------
    InputError
        For a key that is not bytes/str or shorter than 16 bytes, a bad ``length``, absent
        columns, ids that have no canonical text (naming the column and rows), a length too
        short for the number of distinct ids, or an actual collision (naming the rows).

    References
    ----------
    Krawczyk, H., Bellare, M., & Canetti, R. (1997). HMAC: Keyed-hashing for message
    authentication. RFC 2104. https://doi.org/10.17487/RFC2104
    """
    V.require_frame(data)
    cols = [columns] if isinstance(columns, str) else list(columns)
    if not cols:
        raise InputError("columns must name at least one identifier column")
    V.require_columns(data, cols)
    dup = sorted({str(c) for c in cols if list(data.columns).count(c) > 1})
    if dup:
        raise InputError(f"column(s) {dup} appear more than once in the data; rename them first")
    k = _key_bytes(key)
    if isinstance(length, (bool, np.bool_)) or not isinstance(length, numbers.Integral) \
            or not 8 <= length <= 64:
        raise InputError(f"length must be an integer between 8 and 64 hex characters, got {length!r}")
    length = int(length)

    out = data.copy()
    for c in dict.fromkeys(cols):
        s = data[c]
        # Iterate the array, not Series.map: map turns a nullable Int64 column into floats.
        values = list(s.array)
        texts: list[str | None] = [None] * len(values)
        refused: dict[str, list[int]] = {}
        for i, v in enumerate(values):
            if _is_missing(v):
                continue
            try:
                texts[i] = _canonical(v)
            except _Refused as why:
                refused.setdefault(str(why), []).append(i)
        if refused:
            what, pos = next(iter(refused.items()))
            raise InputError(
                f"column {c!r} holds {what} ({len(pos)} values, {V.rows_text(s.index[pos])}); "
                "ids must be strings, integers, finite floats, Decimals, timestamps or UUIDs")

        distinct = {t for t in texts if t is not None}
        n = len(distinct)
        expected = _expected_collisions(n, length)
        if expected >= MAX_EXPECTED_COLLISIONS:
            need = _min_length(n)
            advice = (f"length={need} brings it below {MAX_EXPECTED_COLLISIONS}" if need
                      else "no length up to 64 brings it below the limit")
            raise InputError(
                f"column {c!r} has {n} distinct ids: with length={length} ({4 * length} bits) the "
                f"expected number of colliding pairs is {expected:.3g} (n(n-1)/2 / 2^{4 * length}), "
                f"which would merge customers; {advice}")

        pseudonym = {t: hmac.new(k, t.encode("utf-8"), hashlib.sha256).hexdigest()[:length]
                     for t in distinct}
        owner: dict[str, str] = {}
        for t, p in pseudonym.items():
            other = owner.setdefault(p, t)
            if other != t:
                # Name rows, never the ids themselves: the message may end up in a log.
                rows = [i for i, x in enumerate(texts) if x in (t, other)]
                raise InputError(
                    f"column {c!r}: two distinct ids get the same pseudonym with length={length} "
                    f"({V.rows_text(s.index[rows])}); use a larger length, e.g. {min(64, length + 4)}")
        out[c] = pd.Series([v if t is None else pseudonym[t] for v, t in zip(values, texts)],
                           index=data.index, dtype=object)
    return out
