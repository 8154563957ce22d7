"""The registry as open data: the Frictionless Data Package that describes every list export."""
