"""A simulated backstretch wearable: a real GATT peripheral on the bumble BLE stack."""
