"""Terminal views (live view) and display rounding."""
