"""Publication of events and projects: draft → submitted → published (or rejected), who may move them, and what
is not published being visible only to the keys allowed to see it — on every read surface."""
