"""Every setting of services/common/config.py is documented in docs/configuration.md."""
import os

from services.common.config import SETTINGS

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "configuration.md")


def test_every_setting_is_documented_with_its_default():
    text = open(DOC, encoding="utf-8").read()
    for name, (default, _) in SETTINGS.items():
        assert f"`{name}`" in text, name
        assert f"`{default}`" in text, f"default of {name}"
