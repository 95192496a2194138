"""Every MAC the tests use, in one place, with why each one is what it is.

Discovery only offers MACs whose prefix (OUI) the IEEE assigned to Cisco, so
a MAC that must be discovered uses a Cisco prefix; configured phones need not.
"""

from __future__ import annotations

from typing import Final

# The configured desk phone of most Home Assistant tests (a 7960).
PHONE_MAC: Final = "00113A4B5C6D"
# A second configured phone where two are needed (scale tests).
SECOND_PHONE_MAC: Final = "00113A4B5C6E"
# The user's 7960 from the field log (LOG-TEO) and the quick start's phone:
# 00:0E:84 is a Cisco prefix, so it is also discoverable.
FIELD_7960_MAC: Final = "000E84C060A6"
QUICKSTART_MAC: Final = FIELD_7960_MAC
# Unknown Cisco-prefix phones that ask for their files (discovery tests).
UNKNOWN_MAC: Final = "001E4A0000BB"
UNKNOWN_MAC_2: Final = "001E4A0000EE"
DISCOVERED_MAC: Final = "001E4A0000AA"
# A 79x1-class phone of the public SIP stack sources (restart, web page).
JAVA_PHONE_MAC: Final = "001B2A893698"
