"""Customer records under field-level encryption: the only package combining crypto and storage."""
