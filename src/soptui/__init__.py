"""soptui: community-operations SOPs as playbooks you run in a terminal."""

__version__ = "0.1.0"
