"""A simulated backstretch wearable: a real GATT peripheral on the bumble BLE stack.

    link = new_link()
    wearable = SimulatedWearable(SimOptions(latency_ms=5), link)
    await wearable.start()      # advertises BackStretch-SIM-XXXX on the virtual link
    ...
    wearable.trace              # every pulse the motor played, in host monotonic time
    await wearable.stop()

`simulator.radio` holds the virtual radio (and the HCI bridge a hub in another process
drives); `simulator.standalone` runs wearables as their own process.
"""

from simulator.motor import Pulse
from simulator.options import SimOptionError, SimOptions, parse_drop
from simulator.radio import LocalLink, new_link
from simulator.wearable import SimulatedWearable

__all__ = [
    "LocalLink",
    "Pulse",
    "SimOptionError",
    "SimOptions",
    "SimulatedWearable",
    "new_link",
    "parse_drop",
]
