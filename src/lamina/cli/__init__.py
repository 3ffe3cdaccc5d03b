"""The ``lamina`` command. Nothing imports the CLI."""
