"""The reference firmware in MicroPython: a sans-IO core (`core`) and the board glue.

Under CPython only `core` is imported (the simulator runs it); the board glue (`board`,
`main.py`) needs MicroPython's `machine`, `bluetooth` and `aioble`. See README.md.
"""
