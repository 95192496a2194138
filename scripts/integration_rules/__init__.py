"""The rules of scripts/validate_integration.py, one module per file kind."""
