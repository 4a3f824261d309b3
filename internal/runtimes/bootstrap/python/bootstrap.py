"""lambkin's Python runtime bootstrap.

Runs one Lambda handler through the Lambda Runtime API, behaving like the
official runtime interface client (awslambdaric): same handler resolution,
same context object, same error bodies and log formats. Standard library
only; runs on Python 3.8 and later.

Started as ``python3 bootstrap.py [handler]`` with the working directory set
to the task root. Environment:

  _HANDLER                  "module.function" (argv[1] wins when given)
  AWS_LAMBDA_RUNTIME_API    host:port of the Runtime API
  LAMBDA_TASK_ROOT          the function's code (default: the working directory)
  AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_VERSION,
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE, AWS_LAMBDA_LOG_GROUP_NAME,
  AWS_LAMBDA_LOG_STREAM_NAME
                            copied into the context object
  AWS_LAMBDA_LOG_FORMAT     Text (default) or JSON, for the logging module
  AWS_LAMBDA_LOG_LEVEL      root logger level (TRACE means DEBUG)
  LAMBKIN_OPT_DIR           where layers are mounted, default /opt: the module
                            path gets <dir>/python/lib/pythonX.Y/site-packages
                            and <dir>/python after the task root

Cold start matters (the interpreter alone takes ~8 ms), so this file imports
as little as it can: the Runtime API is spoken over a raw socket (http.client
would add ~20 ms of email.* imports), traceback is imported on the first
error only, and logging (~8 ms) is configured the moment anything imports it
rather than imported up front.
"""

import _socket
import importlib
import json
import os
import sys
import time

ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
XRAY_CAUSE_HEADER = "Lambda-Runtime-Function-XRay-Error-Cause"
XRAY_CAUSE_LIMIT = 1024 * 1024  # awslambdaric drops larger causes

UNHANDLED_EXCEPTION_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. "
    "The most likely cause is an issue in the function code. "
    "However, in rare cases, a Lambda runtime update can cause unexpected function behavior. "
    "For functions using managed runtimes, runtime updates can be triggered by a function change, "
    "or can be applied automatically. "
    "To determine if the runtime has been updated, check the runtime version in the INIT_START log entry. "
    "If this error correlates with a change in the runtime version, you may be able to mitigate this "
    "error by temporarily rolling back to the previous runtime version. "
    "For more information, see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html"
)

LOG_FORMAT_JSON = (os.environ.get("AWS_LAMBDA_LOG_FORMAT") or "").upper() == "JSON"
# awslambdaric maps only the exact spelling "TRACE"; anything unknown is ignored.
_level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
LOG_LEVEL = {None: "", "TRACE": "DEBUG"}.get(_level, _level).upper()

# The request being handled, for the logging prefix; None during init.
current_request_id = None
current_tenant_id = None


class FaultException(Exception):
    """A failure the runtime reports under a Runtime.* error type."""

    MARSHAL_ERROR = "Runtime.MarshalError"
    UNMARSHAL_ERROR = "Runtime.UnmarshalError"
    USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
    HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
    IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
    BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
    MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
    LAMBDA_CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"

    def __init__(self, exception_type, msg, trace=None):
        super().__init__(msg)
        self.exception_type = exception_type
        self.msg = msg
        self.trace = trace


# --- Runtime API transport -------------------------------------------------


class RuntimeAPIClient:
    """HTTP/1.1 over one keep-alive connection to the Runtime API.

    Requests carry a Content-Length; responses may be sized or chunked. The
    socket never times out: /next blocks until an invoke arrives.
    """

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.host = address
        self.address = (host.strip("[]"), int(port))
        self.sock = None
        self.buffer = b""

    def request(self, method, path, body=b"", headers=None):
        """Sends one request; returns (status, lower-cased headers, body)."""
        head = "%s %s HTTP/1.1\r\nHost: %s\r\n" % (method, path, self.host)
        if method != "GET":
            head += "Content-Length: %d\r\n" % len(body)
        for name, value in (headers or {}).items():
            # Values come from user data (exception names); keep them on one line.
            value = str(value).replace("\r", " ").replace("\n", " ")
            head += "%s: %s\r\n" % (name, value)
        message = (head + "\r\n").encode("latin-1", "replace") + body
        reused = self.sock is not None
        try:
            return self._exchange(message)
        except ConnectionError:
            # A reused connection may have been closed by the server while we
            # were idle; only then is one fresh attempt worth making.
            self.close()
            if not reused:
                raise
            return self._exchange(message)

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock = None
        self.buffer = b""

    def _exchange(self, message):
        if self.sock is None:
            self._connect()
        self.sock.sendall(message)
        status, headers = self._read_head()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            body = self._read_exactly(int(headers.get("content-length", 0)))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body

    def _connect(self):
        family, kind, proto, _, address = _socket.getaddrinfo(
            self.address[0].encode(), self.address[1], 0, _socket.SOCK_STREAM
        )[0]
        sock = _socket.socket(family, kind, proto)
        try:
            sock.settimeout(None)  # whatever socket.setdefaulttimeout() user code set
            sock.connect(address)
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        except BaseException:
            sock.close()
            raise
        self.sock = sock

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionResetError("Runtime API closed the connection")
        self.buffer += data

    def _read_line(self):
        while b"\r\n" not in self.buffer:
            self._fill()
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _read_exactly(self, size):
        if len(self.buffer) >= size:
            data, self.buffer = self.buffer[:size], self.buffer[size:]
            return data
        parts = [self.buffer]
        missing = size - len(self.buffer)
        self.buffer = b""
        while missing > 0:
            data = self.sock.recv(min(missing, 1 << 20))
            if not data:
                raise ConnectionResetError("Runtime API closed the connection")
            parts.append(data)
            missing -= len(data)
        return b"".join(parts)

    def _read_head(self):
        status_line = self._read_line()
        try:
            status = int(status_line.split(b" ", 2)[1])
        except (IndexError, ValueError):
            raise ConnectionError("malformed Runtime API status line %r" % status_line)
        headers = {}
        while True:
            line = self._read_line()
            if not line:
                return status, headers
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()

    def _read_chunked(self):
        parts = []
        while True:
            size = int(self._read_line().split(b";", 1)[0], 16)
            if size == 0:
                while self._read_line():  # trailers end with an empty line
                    pass
                return b"".join(parts)
            parts.append(self._read_exactly(size))
            self._read_line()


class LambdaRuntimeClient:
    """The Runtime API calls the bootstrap makes."""

    def __init__(self, address):
        self.api = RuntimeAPIClient(address)

    def next_invocation(self):
        status, headers, body = self.api.request("GET", "/2018-06-01/runtime/invocation/next")
        if status != 200:
            raise RuntimeError("Failed to get next invocation: HTTP %d: %r" % (status, body))
        return headers, body

    def post_result(self, request_id, body, content_type):
        self._post(
            "/2018-06-01/runtime/invocation/%s/response" % request_id,
            body,
            {"Content-Type": content_type},
        )

    def post_error(self, request_id, error, xray_cause):
        headers = {"Content-Type": "application/json", ERROR_TYPE_HEADER: error["errorType"]}
        if len(xray_cause) < XRAY_CAUSE_LIMIT:
            headers[XRAY_CAUSE_HEADER] = xray_cause
        self._post("/2018-06-01/runtime/invocation/%s/error" % request_id, to_json(error).encode(), headers)

    def post_init_error(self, error):
        headers = {"Content-Type": "application/json", ERROR_TYPE_HEADER: error["errorType"]}
        self._post("/2018-06-01/runtime/init/error", to_json(error).encode(), headers)

    def _post(self, path, body, headers):
        status, _, reply = self.api.request("POST", path, body, headers)
        # A rejected post (say 413 for an oversized response) ends the invoke
        # on the server's side too, so the loop carries on with /next.
        if status >= 300:
            sys.stderr.write("lambkin bootstrap: POST %s: HTTP %d: %s\n" % (path, status, reply.decode("utf-8", "replace")))


# --- JSON -------------------------------------------------------------------

# awslambdaric encodes with simplejson and writes Decimals as bare numbers; the
# stdlib encoder cannot emit raw text, so each Decimal is encoded as this token
# (random per process, so no real string can collide) and swapped afterwards.
_DECIMAL_TOKEN = '"\\u0000lambkin-decimal-%s"' % os.urandom(8).hex()
_DECIMAL_PLACEHOLDER = json.loads(_DECIMAL_TOKEN)
# awslambdaric keeps non-ASCII characters unescaped on the python3.12 runtime only.
_ENSURE_ASCII = os.environ.get("AWS_EXECUTION_ENV") != "AWS_Lambda_python3.12"


def to_json(obj, ensure_ascii=_ENSURE_ASCII):
    decimals = []

    def default(o):
        decimal = sys.modules.get("decimal")  # no Decimal can exist unless it is imported
        if decimal is not None and isinstance(o, decimal.Decimal):
            if o.is_nan():
                return float("nan")  # simplejson would write "-NaN" for some of them
            decimals.append(str(o))
            return _DECIMAL_PLACEHOLDER
        raise TypeError("Object of type %s is not JSON serializable" % o.__class__.__name__)

    text = json.dumps(obj, default=default, ensure_ascii=ensure_ascii)
    if not decimals:
        return text
    pieces = text.split(_DECIMAL_TOKEN)
    return "".join(piece + number for piece, number in zip(pieces, decimals + [""]))


def unmarshal_event(body, content_type):
    if content_type != "application/json":
        return body
    try:
        return json.loads(body)
    except Exception as e:
        raise FaultException(FaultException.UNMARSHAL_ERROR, "Unable to unmarshal input: {}".format(e))


def marshal_response(response):
    if isinstance(response, bytes):
        return response, "application/unknown"
    try:
        return to_json(response).encode(), "application/json"
    except Exception as e:
        raise FaultException(FaultException.MARSHAL_ERROR, "Unable to marshal response: {}".format(e))


# --- Context ----------------------------------------------------------------


def _fields_repr(obj, fields):
    return "%s([%s])" % (type(obj).__name__, ",".join("%s=%s" % (f, getattr(obj, f)) for f in fields))


class _Record:
    """An object whose __slots__ are filled from a JSON object."""

    __slots__ = ()

    @classmethod
    def from_dict(cls, values):
        if values is None:
            return None
        obj = cls()
        for field in cls.__slots__:
            setattr(obj, field, values.get(field))
        return obj

    def __repr__(self):
        return _fields_repr(self, self.__slots__)


class CognitoIdentity(_Record):
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")


class Client(_Record):
    __slots__ = ("installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")


class ClientContext(_Record):
    __slots__ = ("custom", "env", "client")


def _parse_json_header(value, name):
    try:
        return json.loads(value)
    except Exception as e:
        raise FaultException(
            FaultException.LAMBDA_CONTEXT_UNMARSHAL_ERROR, "Unable to parse {} JSON: {}".format(name, e)
        )


class LambdaContext:
    _REPR_FIELDS = (
        "aws_request_id",
        "log_group_name",
        "log_stream_name",
        "function_name",
        "memory_limit_in_mb",
        "function_version",
        "invoked_function_arn",
        "client_context",
        "identity",
        "tenant_id",
    )

    def __init__(self, request_id, headers):
        env = os.environ
        self.aws_request_id = request_id
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = headers.get("lambda-runtime-invoked-function-arn")
        self.tenant_id = headers.get("lambda-runtime-aws-tenant-id")

        client_context = headers.get("lambda-runtime-client-context")
        self.client_context = None
        if client_context:
            self.client_context = ClientContext.from_dict(_parse_json_header(client_context, "Client Context"))
            self.client_context.client = Client.from_dict(self.client_context.client)

        identity = headers.get("lambda-runtime-cognito-identity")
        self.identity = CognitoIdentity.from_dict({})
        if identity:
            identity = _parse_json_header(identity, "Cognito Identity")
            self.identity.cognito_identity_id = identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = identity.get("cognitoIdentityPoolId")

        self._deadline_ms = int(headers.get("lambda-runtime-deadline-ms") or 0)

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        return _fields_repr(self, self._REPR_FIELDS)


# --- Logging ----------------------------------------------------------------


class Unbuffered:
    """Wraps stdout/stderr so every write reaches the platform at once."""

    def __init__(self, stream):
        self.stream = stream

    def __getattr__(self, name):
        return getattr(self.stream, name)

    def write(self, msg):
        self.stream.write(msg)
        self.stream.flush()

    def writelines(self, msgs):
        self.stream.writelines(msgs)
        self.stream.flush()


def log_error(error):
    """Writes an error the way awslambdaric does: one record on stdout."""
    if LOG_FORMAT_JSON:
        timestamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        record = dict({"timestamp": timestamp, "level": "ERROR"}, **error)
        sys.stdout.write(to_json(record) + "\n")
        return
    description = "[ERROR]"
    if error["errorType"]:
        description += " " + error["errorType"]
    if error["errorMessage"]:
        if error["errorType"]:
            description += ":"
        description += " " + error["errorMessage"]
    lines = [description, "Traceback (most recent call last):"]
    for element in error["stackTrace"]:
        for line in element.splitlines() or [""]:
            # Leading spaces become NO-BREAK SPACEs so log viewers keep the indentation.
            stripped = line.lstrip(" ")
            lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    sys.stdout.write("\r".join(lines) + "\n")


def _configure_logging(logging):
    """Gives the root logger awslambdaric's handler, format and level."""
    logging.Formatter.converter = time.gmtime

    class LambdaLoggerHandler(logging.Handler):
        def emit(self, record):
            sys.stdout.write(self.format(record))

    def add_request_id(record):
        record.aws_request_id = current_request_id or ""
        record.tenant_id = current_tenant_id
        return True

    handler = LambdaLoggerHandler()
    if LOG_FORMAT_JSON:
        handler.setFormatter(_json_formatter(logging))
    else:
        handler.setFormatter(
            logging.Formatter(
                "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
                "%Y-%m-%dT%H:%M:%S",
            )
        )
    handler.addFilter(add_request_id)
    root = logging.getLogger()
    if isinstance(logging.getLevelName(LOG_LEVEL), int):
        root.setLevel(LOG_LEVEL)
    root.addHandler(handler)


def _json_formatter(logging):
    import traceback
    from datetime import datetime, timezone

    # LogRecord attributes that are not copied into the JSON object as extras.
    reserved = {
        "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module",
        "exc_info", "exc_text", "stack_info", "lineno", "funcName", "created", "msecs",
        "relativeCreated", "thread", "threadName", "processName", "process",
        "aws_request_id", "tenant_id",
    }
    encode = json.JSONEncoder(ensure_ascii=False).encode

    class JsonFormatter(logging.Formatter):
        def format(self, record):
            record.levelno = min(50, max(0, record.levelno)) // 10 * 10
            record.levelname = logging.getLevelName(record.levelno)
            exc_info = record.exc_info
            created = datetime.fromtimestamp(record.created, tz=timezone.utc)
            result = {
                "timestamp": created.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "level": record.levelname,
                "message": record.getMessage(),
                "logger": record.name,
                "stackTrace": traceback.format_tb(exc_info[2]) if exc_info else None,
                "errorType": exc_info[0].__name__ if exc_info else None,
                "errorMessage": str(exc_info[1]) if exc_info else None,
                "requestId": getattr(record, "aws_request_id", None),
                "location": "%s:%s:%s" % (record.pathname, record.funcName, record.lineno) if exc_info else None,
            }
            if getattr(record, "tenant_id", None) is not None:
                result["tenantId"] = record.tenant_id
            for key, value in record.__dict__.items():
                if key not in reserved and key not in result:
                    result[key] = value
            return encode({k: v for k, v in result.items() if v is not None}) + "\n"

    return JsonFormatter()


class _LoggingConfigurator:
    """Meta-path hook that configures `logging` right after its first import.

    Functions that never log skip the cost of importing logging (~8 ms), while
    code that does sees the root handler already in place, as under awslambdaric.
    """

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != "logging":
            return None
        sys.meta_path.remove(cls)
        for finder in sys.meta_path:
            find_spec = getattr(finder, "find_spec", None)
            spec = find_spec(name, path, target) if find_spec else None
            if spec is not None:
                break
        else:
            return None
        exec_module = spec.loader.exec_module

        def exec_and_configure(module):
            exec_module(module)
            _configure_logging(module)

        # The loader is a fresh SourceFileLoader made for this one spec.
        spec.loader.exec_module = exec_and_configure
        return spec


def install_logging():
    if "logging" in sys.modules:  # imported by site or PYTHONSTARTUP-like hooks
        _configure_logging(sys.modules["logging"])
    else:
        sys.meta_path.insert(0, _LoggingConfigurator)


# --- Errors -------------------------------------------------------------------


def make_error(error_message, error_type, stack_trace, request_id=None):
    return {
        "errorMessage": error_message or "",
        "errorType": error_type or "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack_trace or [],
    }


def user_frames(tb):
    """The traceback as (file, line, function, text) minus this file's frames."""
    import traceback

    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    for i, frame in enumerate(frames):
        if "/bootstrap.py" not in frame[0]:
            return frames[i:]
    return frames


def error_from_exception(exc_info, request_id=None):
    import traceback

    etype, value, tb = exc_info
    frames = user_frames(tb)
    error = make_error(str(value), etype.__name__, traceback.format_list(frames), request_id)
    return error, frames


def xray_cause(error_type, message, frames):
    paths = []
    stack = []
    for path, line, label, _ in frames:
        stack.append({"label": label, "path": path, "line": line})
        if path not in paths:
            paths.append(path)
    cause = {
        "working_directory": os.getcwd(),
        "exceptions": [{"message": message, "type": error_type, "stack": stack}],
        "paths": paths,
    }
    return to_json(cause, ensure_ascii=True)  # sent as an HTTP header


# --- Handler loading ----------------------------------------------------------


def setup_module_path(task_root):
    """Task root first, then the layer directories, in Lambda's order."""
    opt = os.environ.get("LAMBKIN_OPT_DIR") or "/opt"
    version = "python%d.%d" % sys.version_info[:2]
    sys.path[:0] = [
        task_root,
        os.path.join(opt, "python", "lib", version, "site-packages"),
        os.path.join(opt, "python"),
    ]


def load_handler(handler):
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultException(FaultException.MALFORMED_HANDLER_NAME, "Bad handler '{}': {}".format(handler, e))

    if modname.split(".")[0] in sys.builtin_module_names:
        raise FaultException(
            FaultException.BUILT_IN_MODULE_CONFLICT,
            "Cannot use built-in module {} as a handler module".format(modname),
        )
    try:
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise FaultException(
            FaultException.IMPORT_MODULE_ERROR, "Unable to import module '{}': {}".format(modname, e)
        )
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise FaultException(
            FaultException.USER_CODE_SYNTAX_ERROR, "Syntax error in module '{}': {}".format(modname, e), trace
        )

    try:
        return getattr(module, fname)
    except AttributeError:
        raise FaultException(
            FaultException.HANDLER_NOT_FOUND, "Handler '{}' missing on module '{}'".format(fname, modname)
        )


# --- Invoke loop ----------------------------------------------------------------


def handle_invoke(client, request_handler, headers, body):
    global current_request_id, current_tenant_id
    request_id = headers.get("lambda-runtime-aws-request-id")
    current_request_id = request_id
    current_tenant_id = headers.get("lambda-runtime-aws-tenant-id")
    trace_id = headers.get("lambda-runtime-trace-id")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)

    try:
        context = LambdaContext(request_id, headers)
        event = unmarshal_event(body, headers.get("content-type"))
        result, content_type = marshal_response(request_handler(event, context))
    except FaultException as e:
        error = make_error(e.msg, e.exception_type, e.trace, request_id)
        cause = xray_cause("LambdaValidationError", e.msg, [])
    except Exception:
        error, frames = error_from_exception(sys.exc_info(), request_id)
        cause = xray_cause(error["errorType"], error["errorMessage"], frames)
    else:
        client.post_result(request_id, result, content_type)
        return
    log_error(error)
    client.post_error(request_id, error, cause)


def main():
    sys.stdout = Unbuffered(sys.stdout)
    sys.stderr = Unbuffered(sys.stderr)
    install_logging()

    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    setup_module_path(task_root)
    handler = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("_HANDLER", "")
    client = LambdaRuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"])

    try:
        request_handler = load_handler(handler)
    except Exception as e:
        if isinstance(e, FaultException):
            error = make_error(e.msg, e.exception_type, e.trace)
        else:
            error, _ = error_from_exception(sys.exc_info())
        import logging

        logging.warning(UNHANDLED_EXCEPTION_WARNING)
        log_error(error)
        client.post_init_error(error)
        sys.exit(1)

    while True:
        headers, body = client.next_invocation()
        handle_invoke(client, request_handler, headers, body)


if __name__ == "__main__":
    main()
