"""The web console served by ``lamina up`` under ``/_lamina/console/`` (see ``app``)."""
