"""Venue profiles and loopback exchange simulators."""
