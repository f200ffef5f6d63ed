import os


def handler(event, context):
    """Greets whoever the event names; fails on purpose when asked, to show `grid invoke`'s exit code 1."""
    if event.get("fail"):
        raise ValueError("asked to fail")
    name = event.get("name", "world")
    print(f"greeting {name} from {context.function_name}")
    return {"message": f"{os.environ.get('GREETING', 'Hello')}, {name}!", "version": context.function_version}
