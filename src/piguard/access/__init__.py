"""Access decisions: which role sees which field, for which purpose, clear, masked or not at all."""
