"""Security tests: user-controllable values never change what SQL runs."""
