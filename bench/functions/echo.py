# Python echo handler for the Grid python runtime benchmark.
def handler(event, context):
    return event
