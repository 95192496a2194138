"""Provisioning engine for Cisco 79xx phones: files, TFTP, FTP, tracking.

Plain asyncio Python with no Home Assistant import, so it can be tested,
benchmarked and run on its own (``python -m <package>.provisioning``).
"""
