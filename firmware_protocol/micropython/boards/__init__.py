"""Per-board wiring; main.py names the one to use."""
