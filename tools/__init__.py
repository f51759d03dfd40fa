"""Developer tools of the register (not part of the services)."""
