"""The FTP server (pyftpdlib in one owned thread) for firmware uploads."""
