"""Loopback exchange simulators speaking the real wire protocols."""
