"""The board glue of the reference firmware: Bluetooth, motor, button, battery, main loop.

MicroPython only (`machine`, `bluetooth`, `aioble`); the device logic is in `..core`.
"""
