import os


def plain(event, context):
    # The host's pid (/proc is the host's): inside its PID namespace each environment is 1.
    return {"pid": int(os.readlink("/proc/self"))}
