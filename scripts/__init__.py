"""Developer scripts: ``scripts/start``, ``scripts/test`` (bash) and their Python helpers."""
