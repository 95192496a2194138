"""Cisco IP Phone Provisioning: Home Assistant serves Cisco 79xx phones."""
