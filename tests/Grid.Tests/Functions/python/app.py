# Handlers the invoke tests call; one module, many entry points.
import json
import os
import sys
import time
import uuid

ENVIRONMENT_ID = str(uuid.uuid4())  # differs per warm environment, kept across invokes


def echo(event, context):
    return event


def niceness(event, context):
    return {"nice": os.nice(0)}


def whoami(event, context):
    time.sleep(event.get("sleep", 0) if isinstance(event, dict) else 0)
    return {"environment": ENVIRONMENT_ID}


def context_fields(event, context):
    return {
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": int(context.memory_limit_in_mb),
        "remaining_ms": context.get_remaining_time_in_millis(),
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "client_context": context.client_context.custom if context.client_context else None,
    }


def env(event, context):
    return {name: os.environ.get(name) for name in event["names"]}


def fail(event, context):
    raise ValueError("handler failed on purpose")


def log(event, context):
    print("hello from the log", event.get("marker"))
    print("to stderr too", file=sys.stderr)
    return "logged"


def spin(event, context):
    while True:
        pass


def crash(event, context):
    sys.stdout.flush()
    os._exit(3)


def big(event, context):
    return "x" * (7 * 1024 * 1024)


def hog(event, context):
    hoard = []
    while True:
        hoard.append(bytearray(16 * 1024 * 1024))


def flood(event, context):
    line = "y" * 1023 + "\n"
    chunk = line * 1024
    for _ in range(100):  # 100 MB of stdout
        sys.stdout.write(chunk)
    sys.stdout.flush()
    return "flooded"


def forkbomb(event, context):
    while True:
        try:
            os.fork()
        except OSError:
            time.sleep(0.01)


def write_tmp(event, context):
    path = "/tmp/" + event["name"]
    with open(path, "w") as f:
        f.write("data")
    task_writable = os.access("/var/task", os.W_OK)
    try:
        open("/var/task/new-file", "w").close()
        wrote_task = True
    except OSError:
        wrote_task = False
    return {"tmp": os.path.exists(path), "task_writable": task_writable, "wrote_task": wrote_task,
            "pid": os.getpid(), "shadow": read_or_empty("/etc/shadow")}


def read_or_empty(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""
