raise RuntimeError("init failed on purpose")


def handler(event, context):
    return "never"
