"""Reading a Prometheus exposition in tests."""

from prometheus_client.parser import text_string_to_metric_families

Labels = tuple[tuple[str, str], ...]


def samples(text: str, name: str) -> dict[Labels, float]:
    """The samples of one metric, keyed by their sorted labels."""
    found: dict[Labels, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def requests_to(text: str, route: str, **labels: str) -> float:
    """How many requests the exposition counts for a route template (and the given method/status)."""
    return sum(
        value
        for key, value in samples(text, "lab_registry_http_requests_total").items()
        if dict(key)["route"] == route and all(dict(key)[k] == v for k, v in labels.items())
    )
