"""Virtual patients and virtual clinical trials."""
