"""Devices: every wearable the hub knows, how it is doing, and scan-and-connect."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from companion.tui.footer import KeyFooter
from companion.tui.presenter import DeviceRow, device_line, device_row

if TYPE_CHECKING:
    from companion.tui.app import BackstretchApp

COLUMNS = ("Name", "Address", "State", "Batt.", "Signal", "Profile", "Clock sync")

DROP_NOTE = (
    "When a wearable drops, the hub reconnects by itself (shown here as reconnecting…). "
    "A running session goes on for as long as the wearable holds its next cues (they are "
    "loaded ahead and play on its own clock); if no wearable is back by then, the session "
    "pauses and resumes when one returns."
)


class DevicesScreen(Screen[None]):
    DEFAULT_CSS = """
    DevicesScreen #devices { height: auto; max-height: 12; margin: 1 1 0 1; }
    DevicesScreen #summary { margin: 1 1 0 1; text-style: bold; }
    DevicesScreen #detail { margin: 0 1; color: $text-muted; }
    DevicesScreen #note { margin: 1 1 0 1; color: $text-muted; }
    DevicesScreen #scan { margin: 1 1 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "scan", "Scan & connect"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._rows: dict[str, DeviceRow] = {}

    @property
    def bs_app(self) -> BackstretchApp:
        return cast("BackstretchApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="summary")
        yield DataTable(id="devices", cursor_type="row")
        yield Static(id="detail")
        yield Static(DROP_NOTE, id="note")
        yield Static(id="scan")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "Devices"
        table = self.query_one("#devices", DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        self.show_devices()
        self.set_interval(0.5, self.show_devices)
        if self.bs_app.connector is None:
            self.query_one("#scan", Static).update("Scanning is not available in this session.")

    def show_devices(self) -> None:
        snapshot = self.bs_app.hub.snapshot()
        self.query_one("#summary", Static).update(device_line(snapshot))
        table = self.query_one("#devices", DataTable)
        rows = [device_row(device) for device in snapshot.devices]
        current = {str(key.value) for key in table.rows}
        wanted = {row.address for row in rows}
        for gone in current - wanted:
            table.remove_row(gone)
        for row in rows:
            cells = (row.name, row.address, row.state, row.battery, row.signal, row.profile)
            values = (*cells, row.clock_sync)
            if row.address in current:
                for column, value in zip(COLUMNS, values, strict=True):
                    table.update_cell(row.address, column, value)
            else:
                table.add_row(*values, key=row.address)
        self._rows = {row.address: row for row in rows}
        self._show_detail()

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        table = self.query_one("#devices", DataTable)
        detail = ""
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
            row = self._rows.get(str(key.value))
            detail = row.detail if row is not None else ""
        self.query_one("#detail", Static).update(detail)

    def action_scan(self) -> None:
        connector = self.bs_app.connector
        if connector is None:
            self.notify("Scanning is not available in this session", severity="warning")
            return
        status = self.query_one("#scan", Static)
        status.update("Scanning for a backstretch wearable…")

        async def scan() -> None:
            await self.bs_app.call_hub_async(connector.scan_and_connect)
            status.update("Press s to scan again.")

        self.run_worker(scan(), name="scan", exclusive=True, exit_on_error=False)

    def action_back(self) -> None:
        self.dismiss(None)
