"""SIP NOTIFY (check-sync, service-control) and the resync bookkeeping around it."""
