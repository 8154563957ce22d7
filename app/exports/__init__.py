"""Open formats written a chunk at a time: CSV, JSON Lines, GeoJSON. They know nothing of the domain."""
