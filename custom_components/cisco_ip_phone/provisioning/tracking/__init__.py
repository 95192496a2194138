"""Classification of TFTP requests and the per-phone provisioning state machine."""
