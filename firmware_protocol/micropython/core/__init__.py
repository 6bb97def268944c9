"""The device side of the backstretch protocol, sans-IO, in the Python MicroPython runs.

No dataclasses, no `typing` at run time (annotations are never evaluated by MicroPython),
no imports outside this package, so the same files run on a board and under CPython.
"""
