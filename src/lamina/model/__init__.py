"""Plain data describing what a template deploys. Imports nothing of Lamina."""
