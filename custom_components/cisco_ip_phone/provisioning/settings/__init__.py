"""Every setting the engine knows (server, phone, line) and how it is validated."""
