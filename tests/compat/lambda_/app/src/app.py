def handler(event, context):
    return {"from": "template", "version": context.function_version}
