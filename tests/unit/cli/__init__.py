"""Unit tests of the ``lamina`` command surface."""
