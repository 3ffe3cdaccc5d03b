"""EventBridge Scheduler: schedules and schedule groups, run by ``sources/schedules.py``."""
