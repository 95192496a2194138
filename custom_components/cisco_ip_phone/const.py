"""Names shared by the Home Assistant side of the integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "cisco_ip_phone"
LOGGER = logging.getLogger(__package__)

SUBENTRY_PHONE: Final = "phone"
MANUFACTURER: Final = "Cisco"

# Config entry data (connection details of the provisioning server).
CONF_ROOT: Final = "root"
CONF_HOST: Final = "host"
CONF_TFTP_PORT: Final = "tftp_port"
CONF_FTP_PORT: Final = "ftp_port"
CONF_PASSIVE_START: Final = "passive_start"
CONF_PASSIVE_END: Final = "passive_end"
CONF_FTP_USERNAME: Final = "ftp_username"
CONF_FTP_PASSWORD: Final = "ftp_password"  # noqa: S105 (a key, not a secret)

DEFAULT_ROOT_NAME: Final = "cisco_ip_phone"
DEFAULT_HOST: Final = "0.0.0.0"
DEFAULT_TFTP_PORT: Final = 69
DEFAULT_FTP_PORT: Final = 21
DEFAULT_PASSIVE_START: Final = 30000
DEFAULT_PASSIVE_END: Final = 30009
DEFAULT_FTP_USERNAME: Final = "cisco"

# Options (tunables that do not need the servers to restart).
CONF_DISCOVERY: Final = "discovery"
CONF_SERVER_SETTINGS: Final = "server_settings"

# FTP security options: changing one restarts the FTP server (entry reload).
CONF_FTP_TLS: Final = "ftp_tls"
CONF_FTP_CERTFILE: Final = "ftp_certfile"
CONF_FTP_KEYFILE: Final = "ftp_keyfile"
CONF_FTP_MASQUERADE: Final = "ftp_masquerade_address"
CONF_FTP_ALLOW_DELETE: Final = "ftp_allow_delete"
FTP_OPTION_KEYS: Final = (
    CONF_FTP_TLS,
    CONF_FTP_CERTFILE,
    CONF_FTP_KEYFILE,
    CONF_FTP_MASQUERADE,
    CONF_FTP_ALLOW_DELETE,
)
FTPS_STORAGE_NAME: Final = "cisco_ip_phone_ftps"

# Phone subentry data is the engine's PhoneConfig.as_dict(); the import step
# adds this one key to the server's user step.
CONF_IMPORT_FOLDER: Final = "import_folder"

STORAGE_VERSION: Final = 2  # 2: one Store (hub + firmware), see hub_store.py
SAVE_DELAY: Final = 10
TICK_INTERVAL: Final = timedelta(seconds=10)
DISCOVERY_COOLDOWN: Final = 600.0
# Unknown MACs whose last discovery time is kept (older ones are pruned).
MAX_DISCOVERY_MEMORY: Final = 1024

EVENT_BOOTED: Final = "booted"
EVENT_CONFIGURED: Final = "configured"
EVENT_ERROR: Final = "error"
