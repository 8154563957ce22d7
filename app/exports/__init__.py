"""Open formats out: every list as CSV or JSON Lines, events as iCalendar, labs as GeoJSON, grants as SCDL."""
