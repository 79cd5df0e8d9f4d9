"""Models of the compensation app; filled in by its own issue."""
