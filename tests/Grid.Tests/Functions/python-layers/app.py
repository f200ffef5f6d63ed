# Reports what the function's layers put under /opt: a module from python/, a tool from bin/ on PATH, plain files.
import os
import subprocess
import uuid

ENVIRONMENT_ID = str(uuid.uuid4())  # differs per environment, so a test can tell a cold start


def probe(event, context):
    result = {"environment": ENVIRONMENT_ID, "stage": os.environ.get("STAGE"), "path": os.environ.get("PATH")}
    try:
        import grid_layer_probe

        result["module"] = grid_layer_probe.VALUE
        result["module_file"] = grid_layer_probe.__file__
    except ImportError as e:
        result["module"] = None
        result["module_error"] = str(e)
    try:
        ran = subprocess.run(["grid-layer-tool.sh", "hello"], capture_output=True, text=True, timeout=10)
        result["tool"] = ran.stdout.strip()
    except OSError as e:
        result["tool"] = None
        result["tool_error"] = str(e)
    files = {}
    for name in (event or {}).get("files", []):
        try:
            with open(name) as f:
                files[name] = f.read().strip()
        except OSError:
            files[name] = None
    result["files"] = files
    return result
