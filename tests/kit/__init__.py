"""Test kit shared by the chaos and audit tests: venue look-ups, the journal-vs-venue audit."""
