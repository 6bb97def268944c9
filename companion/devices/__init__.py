"""Device links and profiles: the only part of the hub that imports bleak."""
