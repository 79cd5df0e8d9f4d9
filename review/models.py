"""Models of the review app; filled in by its own issue."""
