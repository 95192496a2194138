"""SIP with the phones: restart (check-sync, service-control), qualify, identity."""
