"""A configured phone as the hub sees it: names the device page shows."""

from __future__ import annotations

import pytest

from custom_components.cisco_ip_phone.phone_entry import PhoneEntry
from custom_components.cisco_ip_phone.provisioning.settings.models import PhoneConfig


@pytest.mark.parametrize(
    ("model", "product"),
    [
        ("7940", "CP-7940G"),
        ("7965", "CP-7965G"),
        ("7961G-GE", "CP-7961G-GE"),
        ("7941G-GE", "CP-7941G-GE"),
        ("7971", "CP-7971G-GE"),
    ],
)
def test_model_id_is_ciscos_product_number(model: str, product: str) -> None:
    phone = PhoneEntry("sub", PhoneConfig(mac="000E84C060A6", model=model))
    assert phone.product_id == product
    assert phone.model_name == f"IP Phone {model}"
