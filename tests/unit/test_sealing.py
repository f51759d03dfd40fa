"""Sealed secrets (messaging's SMTP passwords; archive's key secret comes from the same helper)."""
import os
import stat

import pytest

from services.common.sealing import SealError, Sealer, is_sealed, local_secret


def test_a_sealed_value_opens_only_with_its_key_and_old_plain_values_read_as_they_are():
    sealer = Sealer(b"one secret")
    sealed = sealer.seal("tajne-Hasło-SMTP")
    assert is_sealed(sealed) and "tajne" not in sealed and len(sealed) < 300
    assert sealer.unseal(sealed) == "tajne-Hasło-SMTP"
    assert sealer.seal("x") != sealer.seal("x")               # a fresh IV every time
    assert sealer.unseal("stored-before-sealing") == "stored-before-sealing"
    assert sealer.seal(None) is None and sealer.unseal(None) is None
    with pytest.raises(SealError):
        Sealer(b"another secret").unseal(sealed)
    assert len(sealer.seal("x" * 120)) <= 300                  # the longest password the schema accepts fits


def test_the_secret_comes_from_the_environment_or_a_private_file_made_once(tmp_path, monkeypatch):
    monkeypatch.delenv("DZ_TEST_SECRET", raising=False)
    first = local_secret("DZ_TEST_SECRET", str(tmp_path / "svc"))
    assert first == local_secret("DZ_TEST_SECRET", str(tmp_path / "svc")) and len(first) >= 48
    assert stat.S_IMODE(os.stat(tmp_path / "svc" / ".secret").st_mode) == 0o600
    monkeypatch.setenv("DZ_TEST_SECRET", "from-the-environment")
    assert local_secret("DZ_TEST_SECRET", str(tmp_path / "svc")) == b"from-the-environment"
