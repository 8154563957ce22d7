"""Statistics: the press release's figures, computed by aggregate SQL from whatever data is loaded."""
