"""The playbook format: models, loading with positioned problems, and the library."""
