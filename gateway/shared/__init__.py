"""Constants and pure functions shared by the gateway and its simulator (no I/O, no imports of either)."""
