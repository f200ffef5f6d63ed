"""Grid Python runtime bootstrap.

Runs one AWS-Lambda-style handler inside a long-lived process and talks to the
Grid host over two inherited pipes using the binary frame protocol described in
../README.md:

    fd 3  host -> runtime frames (INVOKE)
    fd 4  runtime -> host frames (READY, INIT_ERROR, RESPONSE, ERROR)
    fd 1, fd 2  log pipe

Frame: uint32 LE payload length, 1 byte type, payload.
"""

import importlib
import json
import logging
import os
import struct
import sys
import time
import traceback

FD_IN = 3
FD_OUT = 4

T_INVOKE = 0x01
T_READY = 0x10
T_INIT_ERROR = 0x11
T_RESPONSE = 0x12
T_ERROR = 0x13

SENTINEL = b"\x00GRID-END\x00\n"

_HEADER = struct.Struct("<IB")
_U32 = struct.Struct("<I")

_THIS_FILE = os.path.abspath(__file__)
_IMPORTLIB_DIR = os.path.dirname(os.path.abspath(importlib.__file__)) + os.sep

# Request id visible to the logging filter; "" outside an invocation.
_current_request_id = ""

# The stream print() and the log handler share, captured before user code runs
# so that user redirection of sys.stdout does not swallow runtime logs.
_log_out = sys.stdout


# --------------------------------------------------------------------------
# Low level I/O
# --------------------------------------------------------------------------

def _write_all(fd, data):
    view = memoryview(data)
    total = len(view)
    off = 0
    while off < total:
        try:
            off += os.write(fd, view[off:])
        except InterruptedError:
            continue
        except BlockingIOError:
            import select
            select.select([], [fd], [])


def _flush_logs():
    for stream in (_log_out, sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is None:
            continue
        try:
            stream.flush()
        except Exception:
            pass


def _send(frame_type, payload=b""):
    """Flush logs, emit the log sentinel, then write one frame."""
    _flush_logs()
    _write_all(2, SENTINEL)
    n = len(payload)
    if n == 0:
        _write_all(FD_OUT, _HEADER.pack(0, frame_type))
        return
    head = _HEADER.pack(n, frame_type)
    try:
        written = os.writev(FD_OUT, (head, payload))
    except (InterruptedError, BlockingIOError):
        written = 0
    if written < 5 + n:
        if written < 5:
            _write_all(FD_OUT, head[written:])
            _write_all(FD_OUT, payload)
        else:
            _write_all(FD_OUT, memoryview(payload)[written - 5:])


def _exit(code):
    _flush_logs()
    os._exit(code)


# --------------------------------------------------------------------------
# Logging (mirrors the format of the AWS Python runtime)
# --------------------------------------------------------------------------

class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _current_request_id
        return True


class _LambdaLogHandler(logging.Handler):
    def emit(self, record):
        try:
            msg = self.format(record)
            # One log call = one log line; embedded newlines become \r.
            _log_out.write(msg.replace("\n", "\r") + "\n")
        except Exception:
            self.handleError(record)


def _setup_logging():
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    handler = _LambdaLogHandler()
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    if level:
        try:
            root.setLevel(level.upper())
        except (ValueError, TypeError):
            pass


def _log_error(error):
    lines = ["[ERROR] %s: %s" % (error["errorType"], error["errorMessage"]),
             "Traceback (most recent call last):"]
    for entry in error.get("stackTrace") or ():
        lines.append(entry.rstrip("\n"))
    try:
        _log_out.write("\r".join(lines).replace("\n", "\r") + "\n")
    except Exception:
        pass


# --------------------------------------------------------------------------
# Context
# --------------------------------------------------------------------------

class CognitoIdentity(object):
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, identity_id=None, pool_id=None):
        self.cognito_identity_id = identity_id
        self.cognito_identity_pool_id = pool_id

    def __repr__(self):
        return "CognitoIdentity([cognito_identity_id=%s,cognito_identity_pool_id=%s])" % (
            self.cognito_identity_id, self.cognito_identity_pool_id)


class Client(object):
    __slots__ = ("installation_id", "app_title", "app_version_name",
                 "app_version_code", "app_package_name")

    def __init__(self, d):
        for name in self.__slots__:
            setattr(self, name, d.get(name))

    def __repr__(self):
        return "Client([%s])" % ",".join(
            "%s=%s" % (n, getattr(self, n)) for n in self.__slots__)


class ClientContext(object):
    __slots__ = ("custom", "env", "client")

    def __init__(self, d):
        self.custom = d.get("custom")
        self.env = d.get("env")
        client = d.get("client")
        self.client = Client(client) if isinstance(client, dict) else None

    def __repr__(self):
        return "ClientContext([custom=%s,env=%s,client=%s])" % (self.custom, self.env, self.client)


class LambdaContext(object):
    def __init__(self, request_id, deadline_ms, invoked_function_arn,
                 identity, client_context):
        self.aws_request_id = request_id
        self._deadline_ms = deadline_ms
        self.invoked_function_arn = invoked_function_arn
        self.function_name = _FUNCTION_NAME
        self.function_version = _FUNCTION_VERSION
        self.memory_limit_in_mb = _MEMORY_MB
        self.log_group_name = _LOG_GROUP
        self.log_stream_name = _LOG_STREAM
        self.identity = identity
        self.client_context = client_context

    def get_remaining_time_in_millis(self):
        remaining = int(self._deadline_ms - time.time() * 1000.0)
        return remaining if remaining > 0 else 0

    def log(self, msg):
        _log_out.write(str(msg))

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id=%s,log_group_name=%s,log_stream_name=%s,"
            "function_name=%s,memory_limit_in_mb=%s,function_version=%s,"
            "invoked_function_arn=%s,client_context=%s,identity=%s])" % (
                self.aws_request_id, self.log_group_name, self.log_stream_name,
                self.function_name, self.memory_limit_in_mb, self.function_version,
                self.invoked_function_arn, self.client_context, self.identity))


def _parse_identity(text):
    if text:
        try:
            d = json.loads(text)
        except ValueError:
            d = None
        if isinstance(d, dict):
            return CognitoIdentity(d.get("cognitoIdentityId"), d.get("cognitoIdentityPoolId"))
    return CognitoIdentity()


def _parse_client_context(text):
    if not text:
        return None
    try:
        d = json.loads(text)
    except ValueError:
        return None
    return ClientContext(d) if isinstance(d, dict) else None


_FUNCTION_NAME = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
_FUNCTION_VERSION = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
_LOG_GROUP = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
_LOG_STREAM = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
try:
    _MEMORY_MB = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") or 128)
except ValueError:
    _MEMORY_MB = 128


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

def _user_stack(tb):
    """Traceback entries with the bootstrap's own frames removed."""
    frames = [f for f in traceback.extract_tb(tb)
              if f.filename != _THIS_FILE
              and not f.filename.startswith("<frozen importlib")
              and not f.filename.startswith(_IMPORTLIB_DIR)]
    return traceback.format_list(frames)


def _error(message, error_type, request_id, stack):
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": stack,
    }


def _error_from_exc(exc, request_id):
    return _error(str(exc), type(exc).__name__, request_id, _user_stack(exc.__traceback__))


def _dumps(obj):
    return json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass")


class _InitFault(Exception):
    def __init__(self, error_type, message, stack=None):
        Exception.__init__(self, message)
        self.error_type = error_type
        self.message = message
        self.stack = stack or []


# --------------------------------------------------------------------------
# Init
# --------------------------------------------------------------------------

def _setup_sys_path():
    script_dir = os.path.dirname(_THIS_FILE)
    sys.path[:] = [p for p in sys.path
                   if not (p and os.path.abspath(p) == script_dir)]
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    extra = [task_root]
    site = "/opt/python/lib/python%d.%d/site-packages" % sys.version_info[:2]
    if os.path.isdir(site):
        extra.append(site)
    if os.path.isdir("/opt/python"):
        extra.append("/opt/python")
    for p in reversed(extra):
        try:
            sys.path.remove(p)
        except ValueError:
            pass
        sys.path.insert(0, p)


def _load_handler(handler_name):
    try:
        modname, fname = handler_name.rsplit(".", 1)
    except ValueError as e:
        raise _InitFault("Runtime.MalformedHandlerName",
                         "Bad handler '%s': %s" % (handler_name, e))
    if modname.split(".")[0] in sys.builtin_module_names:
        raise _InitFault("Runtime.BuiltInModuleConflict",
                         "Cannot use built-in module %s as a handler module" % modname)
    try:
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise _InitFault("Runtime.ImportModuleError",
                         "Unable to import module '%s': %s" % (modname, e))
    except SyntaxError as e:
        stack = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, (e.text or "").strip())]
        raise _InitFault("Runtime.UserCodeSyntaxError",
                         "Syntax error in module '%s': %s" % (modname, e), stack)
    try:
        fn = getattr(module, fname)
    except AttributeError:
        raise _InitFault("Runtime.HandlerNotFound",
                         "Handler '%s' missing on module '%s'" % (fname, modname))
    return fn


def _init():
    for fd in (FD_IN, FD_OUT):
        os.set_inheritable(fd, False)
    for fd in (FD_IN, FD_OUT, 1, 2):
        try:
            os.set_blocking(fd, True)
        except OSError:
            pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(line_buffering=True)
        except Exception:
            pass
    _setup_sys_path()
    _setup_logging()

    try:
        return _load_handler(os.environ.get("_HANDLER", ""))
    except _InitFault as f:
        err = _error(f.message, f.error_type, "", f.stack)
    except Exception as e:
        err = _error(str(e), type(e).__name__, "", _user_stack(e.__traceback__))
    _log_error(err)
    try:
        payload = _dumps(err)
    except Exception:
        payload = json.dumps(err).encode()
    _send(T_INIT_ERROR, payload)
    _exit(1)


# --------------------------------------------------------------------------
# Invoke loop
# --------------------------------------------------------------------------

def _decimal_default(obj):
    import decimal
    if isinstance(obj, decimal.Decimal):
        return int(obj) if obj == obj.to_integral_value() else float(obj)
    raise TypeError("Object of type %s is not JSON serializable" % type(obj).__name__)


def _invoke(handler, header, body):
    global _current_request_id
    request_id = header.get("requestId") or ""
    _current_request_id = request_id

    trace_id = header.get("traceId")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)

    try:
        event = json.loads(body) if body.strip() else {}
    except Exception as e:
        err = _error("Unable to unmarshal input: %s" % e, "Runtime.UnmarshalError", request_id, [])
        _log_error(err)
        _send(T_ERROR, _dumps(err))
        return

    ctx = LambdaContext(
        request_id,
        header.get("deadlineMs") or 0,
        header.get("invokedFunctionArn"),
        _parse_identity(header.get("cognitoIdentity")),
        _parse_client_context(header.get("clientContext")),
    )

    try:
        result = handler(event, ctx)
    except Exception as e:
        err = _error_from_exc(e, request_id)
        _log_error(err)
        _send(T_ERROR, _dumps(err))
        return

    try:
        payload = json.dumps(result, ensure_ascii=False, default=_decimal_default).encode("utf-8")
    except Exception as e:
        err = _error("Unable to marshal response: %s" % e, "Runtime.MarshalError", request_id, [])
        _log_error(err)
        _send(T_ERROR, _dumps(err))
        return
    _send(T_RESPONSE, payload)


def main():
    handler = _init()
    reader = open(FD_IN, "rb", buffering=1 << 16, closefd=False)
    _send(T_READY)
    read = reader.read
    while True:
        head = read(5)
        if len(head) < 5:
            _exit(0)
        n, frame_type = _HEADER.unpack(head)
        if frame_type != T_INVOKE or n < 4:
            if n and len(read(n)) < n:
                _exit(0)
            continue
        raw = read(4)
        if len(raw) < 4:
            _exit(0)
        h = _U32.unpack(raw)[0]
        header_bytes = read(h)
        body = read(n - 4 - h)
        if len(header_bytes) < h or len(body) < n - 4 - h:
            _exit(0)
        _invoke(handler, json.loads(header_bytes), body)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        os._exit(0)
