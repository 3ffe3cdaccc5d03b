"""SQLite plumbing: connections in WAL mode, migrations, durability. Imports nothing of Lamina."""
