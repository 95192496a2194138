"""Size the recorder's caches for our entities now, not in five minutes.

The recorder keeps two caches per state row it writes: entity id to
``states_meta`` row and attribute set to ``state_attributes`` row (LRUs of
8,192 and 2,048 by default). It grows them to twice the number of entities
when it starts and then every five minutes, never in between. 1,000 phones
add 14,000 entities; a boot storm (a power cut brings Home Assistant and the
phones up together) changes about 7,000 of them within seconds, so until
the next five-minute tick every state row misses both caches and costs two
extra database look-ups. Profiled (py-spy, one run each) in
``bench/run_ha_storm.py`` with 1,000 phones: the recorder thread took 970
of 1,765 samples of the storm and its catch-up, 35 % of them in those
look-ups; with the caches sized, 620.

So while our entities are being added (each asks as it is added, before
its first state is written) we ask the recorder to run its own adjustment
(``AdjustLRUSizeTask``, the task its five-minute timer queues): at once,
then at most every ``PACE`` seconds while entities keep coming, and once
more after the last. Asking only after the set-up was too late: the
recorder had already stored the entities' first states through the small
caches, and an entry pushed out is not brought back by growing the cache,
so the storm still missed it (bench with 1,000 phones: 38,000 of 47,000
state rows around the storm reused an attribute set stored before it, and
the attribute look-ups were still 47 % of the recorder's samples; 15 %
once the caches grew with the entities). The task reads the entity count
when the recorder runs it, after the states queued before it, so the
caches are sized ahead of the rows being stored.

Nothing happens when the recorder is not loaded, and nothing is imported:
if its modules are not already loaded there is no recorder to size, and if
a future Home Assistant renames the task, the recorder simply keeps its own
schedule.
"""

from __future__ import annotations

import logging
import sys
from typing import Final

from homeassistant.core import HomeAssistant, callback

from .coalesce import Coalescer

_LOGGER = logging.getLogger(__name__)

# While entities keep coming, ask at most this often (and once after the last).
PACE: Final = 0.5
_RECORDER: Final = "homeassistant.components.recorder"
_TASKS: Final = "homeassistant.components.recorder.tasks"


class RecorderCacheSizer:
    """Ask the recorder to size its caches while our entity count grows."""

    def __init__(self, hass: HomeAssistant) -> None:
        self._hass = hass
        self._pace = Coalescer(hass, PACE, self._adjust)
        self.requests = 0

    @callback
    def schedule(self) -> None:
        """Entities are being added: adjust now, or after ``PACE`` if just did."""
        self._pace.schedule()

    @callback
    def cancel(self) -> None:
        """Forget a pending adjustment (unload); idempotent."""
        self._pace.cancel()

    @callback
    def _adjust(self) -> None:
        if "recorder" not in self._hass.config.components:
            return
        recorder = sys.modules.get(_RECORDER)
        tasks = sys.modules.get(_TASKS)
        task_type = getattr(tasks, "AdjustLRUSizeTask", None)
        if recorder is None or task_type is None:
            return
        try:
            instance = recorder.get_instance(self._hass)
            instance.queue_task(task_type())
        except Exception:  # an optimisation must never fail anything
            _LOGGER.debug("Could not ask the recorder to size its caches")
            return
        self.requests += 1
