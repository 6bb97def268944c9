"""BLE tests over the real bumble stack: the simulator and the bleak backend."""
