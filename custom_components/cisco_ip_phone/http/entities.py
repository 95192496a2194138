"""Exposed entities as phone pages see them, and the actions phones may run.

Only entities the user exposed, of the domains in the engine's action table,
are ever read or operated; a request picks an entity by its short key among
the exposed ones and an action by its key among that domain's listed ones.
"""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.util import dt as dt_util

from ..provisioning.phone_services.pages import (
    SUPPORTED_DOMAINS,
    Action,
    EntityView,
    short_key,
)

NO_AREA = "Other"


def _area_name(hass: HomeAssistant, entity_id: str) -> str:
    entry = er.async_get(hass).async_get(entity_id)
    area_id = entry.area_id if entry else None
    if entry and not area_id and entry.device_id:
        device = dr.async_get(hass).async_get(entry.device_id)
        area_id = device.area_id if device else None
    area = ar.async_get(hass).async_get_area(area_id) if area_id else None
    return area.name if area else NO_AREA


def view_of(hass: HomeAssistant, entity_id: str) -> EntityView | None:
    """Return what a phone shows of an entity, or ``None`` if it cannot."""
    state = hass.states.get(entity_id)
    if state is None or state.domain not in SUPPORTED_DOMAINS:
        return None
    unit = state.attributes.get("unit_of_measurement")
    changed = dt_util.as_local(state.last_changed).strftime("%Y-%m-%d %H:%M")
    return EntityView(
        entity_id=entity_id,
        name=state.name,
        state=state.state,
        unit=unit if isinstance(unit, str) else "",
        last_changed=changed,
        area=_area_name(hass, entity_id),
    )


def exposed_views(hass: HomeAssistant, exposed: Iterable[str]) -> list[EntityView]:
    """Return the exposed entities that exist and can be shown, by name."""
    views = [v for e in exposed if (v := view_of(hass, e)) is not None]
    return sorted(views, key=lambda v: (v.name.casefold(), v.entity_id))


def areas_of(views: Iterable[EntityView]) -> list[tuple[str, str]]:
    """Return ``(key, name)`` of each area holding exposed entities, by name."""
    names = sorted({v.area for v in views}, key=str.casefold)
    return [(short_key(name), name) for name in names]


def find_view(
    hass: HomeAssistant, exposed: Iterable[str], key: str
) -> EntityView | None:
    """Return the exposed entity whose URL key is ``key``."""
    entity_id = next((e for e in exposed if short_key(e) == key), None)
    return view_of(hass, entity_id) if entity_id else None


async def run_action(hass: HomeAssistant, view: EntityView, action: Action) -> bool:
    """Run a listed action on an exposed entity; return whether it worked."""
    try:
        await hass.services.async_call(
            view.domain,
            action.service,
            {"entity_id": [view.entity_id]},
            blocking=True,
            context=Context(),
        )
    except HomeAssistantError:
        return False
    return True
