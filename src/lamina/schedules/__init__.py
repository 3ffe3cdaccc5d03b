"""Schedule expressions as EventBridge and EventBridge Scheduler read them: pure logic."""
