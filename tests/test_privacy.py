"""Keyed-hash pseudonyms: deterministic per key, unlinkable across keys, not plain hashes."""

import hashlib
import hmac

import numpy as np
import pandas as pd
import pytest

from cxmodels.errors import InputError
from cxmodels.report import pseudonymize

KEY = "study-2026-secret-key"


def test_pseudonyms_are_keyed_stable_and_joinable():
    df = pd.DataFrame({"customer": ["c1", "c2", "c1", None], "spend": [1.0, 2.0, 3.0, 4.0]})
    before = df.copy()
    out = pseudonymize(df, "customer", KEY)
    pd.testing.assert_frame_equal(df, before)
    assert out["customer"][0] == out["customer"][2] != out["customer"][1]
    assert pd.isna(out["customer"][3])
    assert out["customer"][0] == hmac.new(KEY.encode(), b"c1", hashlib.sha256).hexdigest()[:16]
    assert out["customer"][0] != hashlib.sha256(b"c1").hexdigest()[:16]
    other = pseudonymize(df, ["customer"], KEY + "x")
    assert not np.any(other["customer"][:3].to_numpy() == out["customer"][:3].to_numpy())
    np.testing.assert_array_equal(out["spend"], df["spend"])


def test_bad_keys_and_columns():
    df = pd.DataFrame({"id": [1, 2]})
    with pytest.raises(InputError, match="16 characters"):
        pseudonymize(df, "id", "short")
    with pytest.raises(InputError, match="email"):
        pseudonymize(df, "email", KEY)
