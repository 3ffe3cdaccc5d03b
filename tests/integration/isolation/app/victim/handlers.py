"""A function the attacker goes after: it says which process it is."""

import os

SECRET = "the victim's code"


def whoami(event, context):
    # The host's pid (/proc is the host's): inside its PID namespace every environment is 1.
    return {
        "pid": int(os.readlink("/proc/self")),
        "own_pid": os.getpid(),
        "task_root": os.environ["LAMBDA_TASK_ROOT"],
    }
