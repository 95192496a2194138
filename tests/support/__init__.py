"""Helpers shared by the tests: simulated phones, packets, firmware trees, MACs."""
