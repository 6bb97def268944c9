"""A bleak backend on a bumble central: the hub's radio when it is not the OS's Bluetooth.

`BumbleCentral` owns a bumble host driving one controller, either over a transport (a USB
dongle, a serial HCI board, a simulator process over TCP) or on an in-process virtual link.
Its `scanner_backend` and `client_backend` are classes bound to that central, passed to
bleak as ``BleakScanner(..., backend=...)`` and ``BleakClient(..., backend=...)``, so the
hub's code uses the ordinary bleak API whatever the radio is.
"""

from companion.devices.bumble_backend.central import BumbleCentral, open_central

__all__ = ["BumbleCentral", "open_central"]
