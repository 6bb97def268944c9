# The reference firmware's entry point: copied to the board's root as main.py (README.md).
# Name your board's wiring here (a file of backstretch/boards/).
from backstretch.boards.esp32_devkitc import BOARD  # type: ignore[import-not-found]
from backstretch.puck import app  # type: ignore[import-not-found]

app.run(BOARD)
