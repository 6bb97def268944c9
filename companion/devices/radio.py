"""What the hub scans and connects with: the OS's Bluetooth, a bumble adapter, or `--sim`.

``async with open_radio(sim=..., adapter=...) as radio:`` gives the bleak backend classes to
pass as ``backend=`` (None for the OS stack, bleak's own default) and, with `--sim`, the
running simulated wearables, so that a test or the `session` command can read their motor
traces. Everything is closed on exit.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from companion.clocks import Clock
from companion.errors import DeviceError

if TYPE_CHECKING:
    from bleak.backends.client import BaseBleakClient
    from bleak.backends.scanner import BaseBleakScanner

    from companion.devices.bumble_backend import BumbleCentral
    from simulator import SimOptions, SimulatedWearable
    from simulator.devices import SimulatedDevice

__all__ = ["FoundDevice", "Radio", "open_radio", "scan", "scan_with"]


@dataclass
class Radio:
    """The backends to hand to bleak, and the simulated wearables when there are some."""

    scanner_backend: type[BaseBleakScanner] | None = None
    client_backend: type[BaseBleakClient] | None = None
    wearables: list[SimulatedWearable] = field(default_factory=list)
    central: BumbleCentral | None = None
    description: str = "the operating system's Bluetooth"
    # Every simulated device, whatever its profile (`wearables` are the native ones).
    devices: list[SimulatedDevice] = field(default_factory=list)

    @property
    def scanner_args(self) -> dict[str, Any]:
        """Keyword arguments for BleakScanner and its class methods: ``**radio.scanner_args``.

        Empty for the OS stack, since bleak's typing refuses ``backend=None``.
        """
        return {} if self.scanner_backend is None else {"backend": self.scanner_backend}

    @property
    def client_args(self) -> dict[str, Any]:
        """Keyword arguments for BleakClient: ``BleakClient(device, **radio.client_args)``."""
        return {} if self.client_backend is None else {"backend": self.client_backend}


@contextlib.asynccontextmanager
async def open_radio(
    sim: Sequence[SimOptions] | None = None,
    adapter: str | None = None,
    clock: Clock = time.monotonic,
) -> AsyncIterator[Radio]:
    """The hub's radio for these options; `sim` and `adapter` exclude each other.

    `sim` starts one in-process simulated wearable per options on a virtual link (with the
    injected host `clock`); `adapter` opens a bumble transport; neither uses bleak's own
    backend for the OS's Bluetooth stack.
    """
    if sim and adapter:
        raise DeviceError("use either --sim or --adapter, not both")
    if not sim and not adapter:
        yield Radio()
        return

    from companion.devices.bumble_backend import open_central

    async with contextlib.AsyncExitStack() as stack:
        wearables: list[SimulatedWearable] = []
        devices: list[SimulatedDevice] = []
        if sim:
            from simulator import SimulatedWearable
            from simulator.devices import simulated_device
            from simulator.radio import new_link

            link = new_link()
            for options in sim:
                device = simulated_device(options, link, clock=clock)
                await device.start()
                stack.push_async_callback(device.stop)
                devices.append(device)
                if isinstance(device, SimulatedWearable):
                    wearables.append(device)
            central = await open_central(link=link)
            description = f"{len(devices)} simulated wearable(s) on a virtual link"
        else:
            assert adapter is not None
            central = await open_central(adapter)
            description = f"bumble adapter {adapter}"
        stack.push_async_callback(central.close)
        yield Radio(
            scanner_backend=central.scanner_backend,
            client_backend=central.client_backend,
            wearables=wearables,
            devices=devices,
            central=central,
            description=description,
        )


@dataclass(frozen=True)
class FoundDevice:
    """One device heard while scanning."""

    name: str | None
    address: str
    rssi: int
    # The profile that recognised it (see `companion.devices.profiles`); None for any other.
    profile: str | None

    @property
    def is_backstretch(self) -> bool:
        return self.profile is not None


@contextlib.asynccontextmanager
async def scanning_errors(radio: Radio) -> AsyncIterator[None]:
    """A radio that cannot scan says so in one line (no BlueZ or D-Bus, no adapter...)."""
    from bleak.exc import BleakError

    try:
        yield
    except (BleakError, OSError) as exc:
        hint = ""
        if radio.scanner_backend is None:
            hint = (
                "; is Bluetooth (BlueZ) running here? Without it, use --adapter for a "
                "USB dongle or --sim for a simulated wearable"
            )
        raise DeviceError(f"cannot scan with {radio.description}: {_words(exc)}{hint}") from exc


def _words(exc: Exception) -> str:
    """An OS error as words, without Python's `[Errno 2]`; bleak reaches BlueZ over the
    D-Bus system bus, whose socket is what is missing when the error is ENOENT."""
    if isinstance(exc, FileNotFoundError | ConnectionRefusedError):
        return f"the D-Bus system bus is not there ({(exc.strerror or str(exc)).lower()})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc)


async def scan(
    timeout: float = 3.0,
    sim: Sequence[SimOptions] | None = None,
    adapter: str | None = None,
) -> list[FoundDevice]:
    """Every device heard within `timeout` seconds, backstretch wearables first."""
    async with open_radio(sim=sim, adapter=adapter) as radio:
        return await scan_with(radio, timeout)


async def scan_with(radio: Radio, timeout: float) -> list[FoundDevice]:
    """Every device `radio` hears within `timeout` seconds, with the profile that knows it."""
    from bleak import BleakScanner

    from companion.devices.profiles import profile_for
    from companion.devices.sighting import Advert

    async with scanning_errors(radio):
        heard = await BleakScanner.discover(timeout=timeout, return_adv=True, **radio.scanner_args)
    found = []
    for device, adv in heard.values():
        profile = profile_for(Advert.from_bleak(device, adv))
        found.append(
            FoundDevice(
                name=adv.local_name or device.name,
                address=device.address,
                rssi=adv.rssi,
                profile=profile.name if profile is not None else None,
            )
        )
    return sorted(found, key=lambda d: (not d.is_backstretch, -d.rssi, d.address))
