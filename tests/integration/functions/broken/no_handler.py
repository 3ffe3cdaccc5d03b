def something_else(event, context):
    return 1
