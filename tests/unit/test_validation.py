"""RPC argument validation: the typed Invalid error names the field, in Polish."""
import pytest

from services.common.errors import Invalid
from services.common.validation import load
from services.scheduling.schemas import RemovalIn


def test_invalid_names_the_field_in_polish():
    with pytest.raises(Invalid) as err:
        load(RemovalIn, {"reason": "", "removed_on": "wczoraj"})
    assert set(err.value.fields) == {"reason", "removed_on"}
    assert err.value.fields["removed_on"] == ["Niepoprawna data (RRRR-MM-DD)."]
    assert "reason" in err.value.message


def test_non_object_arguments_are_invalid():
    for bad in ("text", 5, [1]):
        with pytest.raises(Invalid):
            load(RemovalIn, bad)
