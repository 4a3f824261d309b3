// lambkin's Node.js runtime bootstrap.
//
// Runs one Lambda handler through the Lambda Runtime API, behaving like the
// official runtime interface client that Lambda's nodejs20.x runtime uses
// (aws-lambda-nodejs-runtime-interface-client 3.x): same handler resolution,
// context object, callback semantics, error bodies and console format. No
// dependencies beyond Node's standard library.
//
// The file is called index.mjs, like the official runtime's, because its path
// appears in error texts users see ("Require stack: - /var/runtime/index.mjs").
//
// Started as `node index.mjs [handler]` with the working directory set to the
// task root. Environment:
//
//   _HANDLER                 "dir/module.nested.fn" (argv[2] wins when given)
//   AWS_LAMBDA_RUNTIME_API   host:port of the Runtime API
//   LAMBDA_TASK_ROOT         the function's code (default: the working directory)
//   AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_VERSION,
//   AWS_LAMBDA_FUNCTION_MEMORY_SIZE, AWS_LAMBDA_LOG_GROUP_NAME,
//   AWS_LAMBDA_LOG_STREAM_NAME
//                            copied into the context object
//   AWS_LAMBDA_LOG_FORMAT    Text (default) or JSON, for the patched console
//   AWS_LAMBDA_LOG_LEVEL     minimum console level (default TRACE)
//   NODE_PATH                when unset, set as Lambda's bootstrap does, to
//                            <opt>/nodejs/nodeNN/node_modules, <opt>/nodejs/node_modules,
//                            this directory's node_modules, this directory, the task root
//   LAMBKIN_OPT_DIR          where layers are mounted, default /opt

import Module, { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import util from "node:util";

const require = createRequire(import.meta.url);

const API_PREFIX = "/2018-06-01/runtime";
const ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type";
const XRAY_CAUSE_HEADER = "Lambda-Runtime-Function-XRay-Error-Cause";

// Globals shared with tools that integrate with the official runtime.
const BEFORE_EXIT_SYMBOL = Symbol.for("aws.lambda.beforeExit");
const REQUEST_ID_SYMBOL = Symbol.for("aws.lambda.runtime.requestId");
const TENANT_ID_SYMBOL = Symbol.for("aws.lambda.runtime.tenantId");
const HANDLER_STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");

// ---------------------------------------------------------------------------
// Errors

function isErrorLike(obj) {
  return (
    obj &&
    typeof obj.name === "string" &&
    obj.name &&
    typeof obj.message === "string" &&
    obj.message &&
    typeof obj.stack === "string" &&
    obj.stack
  );
}

function intoError(err) {
  return err instanceof Error ? err : new Error(err);
}

// The body posted to /error and /init/error.
function toRapidResponse(error) {
  const escape = (s) => s?.replace(/\x7F/g, "%7F");
  try {
    if (util.types.isNativeError(error) || isErrorLike(error)) {
      return {
        errorType: escape(error.name),
        errorMessage: escape(error.message),
        trace: escape(error.stack).split("\n"),
      };
    }
    return { errorType: typeof error, errorMessage: error.toString(), trace: [] };
  } catch {
    return {
      errorType: "handled",
      errorMessage:
        "callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack",
    };
  }
}

// Error name, message, code and stack are not enumerable; logs want them.
function withEnumerableProperties(value) {
  if (!(value instanceof Error)) {
    return value;
  }
  const ret = Object.assign({ errorType: value.name, errorMessage: value.message, code: value.code }, value);
  if (typeof value.stack === "string") {
    ret.stack = value.stack.split("\n");
  }
  return ret;
}

// The text appended to "Invoke Error" and friends; starts with a tab.
function toFormatted(error) {
  try {
    return "\t" + JSON.stringify(error, (_k, v) => withEnumerableProperties(v));
  } catch {
    return "\t" + JSON.stringify(toRapidResponse(error));
  }
}

function xrayCause(err) {
  try {
    const stack = [];
    if (err.stack) {
      const lines = err.stack.replace(/\x7F/g, "%7F").split("\n");
      lines.shift();
      for (const stackLine of lines) {
        let line = stackLine.trim().replace(/\(|\)/g, "");
        line = line.substring(line.indexOf(" ") + 1);
        const space = line.lastIndexOf(" ");
        const label = space >= 0 ? line.slice(0, space) : null;
        const location = (label ? line.slice(space + 1) : line).split(":");
        stack.push({ path: location[0], line: parseInt(location[1]), label: label || "anonymous" });
      }
    }
    return JSON.stringify({
      working_directory: process.cwd(),
      exceptions: [
        {
          type: err.name?.replace(/\x7F/g, "%7F"),
          message: err.message?.replace(/\x7F/g, "%7F"),
          stack,
        },
      ],
      paths: [...new Set(stack.map((entry) => entry.path))],
    });
  } catch {
    return "";
  }
}

// Runtime.* errors, named so errorType reads e.g. "Runtime.ImportModuleError".
class ImportModuleError extends Error {}
class HandlerNotFound extends Error {}
class MalformedHandlerName extends Error {}
class UserCodeSyntaxError extends Error {}
class MalformedStreamingHandler extends Error {}
class NodeJsExit extends Error {
  constructor() {
    super(
      "The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes",
    );
  }
}
class UnhandledPromiseRejection extends Error {
  constructor(reason, promise) {
    super(reason);
    this.reason = reason;
    this.promise = promise;
  }
}
for (const cls of [
  ImportModuleError,
  HandlerNotFound,
  MalformedHandlerName,
  UserCodeSyntaxError,
  MalformedStreamingHandler,
  NodeJsExit,
  UnhandledPromiseRejection,
]) {
  cls.prototype.name = `Runtime.${cls.name}`;
}

// ---------------------------------------------------------------------------
// Console

const LEVELS = {
  TRACE: { name: "TRACE", priority: 1 },
  DEBUG: { name: "DEBUG", priority: 2 },
  INFO: { name: "INFO", priority: 3 },
  WARN: { name: "WARN", priority: 4 },
  ERROR: { name: "ERROR", priority: 5 },
  FATAL: { name: "FATAL", priority: 6 },
};

const logContext = {
  get requestId() {
    return globalThis[REQUEST_ID_SYMBOL];
  },
  get tenantId() {
    return globalThis[TENANT_ID_SYMBOL];
  },
  set(requestId, tenantId) {
    globalThis[REQUEST_ID_SYMBOL] = requestId;
    globalThis[TENANT_ID_SYMBOL] = tenantId;
  },
};

// Errors inside a logged object keep their type, message and stack.
function jsonErrorReplacer(_key, value) {
  if (!(value instanceof Error)) {
    return value;
  }
  return Object.assign(
    {
      errorType: value?.constructor?.name ?? "UnknownError",
      errorMessage: value.message,
      stackTrace: typeof value.stack === "string" ? value.stack.split("\n") : value.stack,
    },
    value,
  );
}

function formatJson(level, params) {
  const result = { timestamp: new Date().toISOString(), level: level.name, requestId: logContext.requestId };
  if (logContext.tenantId != null) {
    result.tenantId = logContext.tenantId;
  }
  if (params.length === 1) {
    result.message = params[0];
    try {
      return JSON.stringify(result, jsonErrorReplacer);
    } catch {
      result.message = util.format(result.message);
      return JSON.stringify(result);
    }
  }
  result.message = util.format(...params);
  const error = params.find((param) => param instanceof Error);
  if (error) {
    result.errorType = error?.constructor?.name ?? "UnknownError";
    result.errorMessage = error.message;
    result.stackTrace = typeof error.stack === "string" ? error.stack.split("\n") : [];
  }
  return JSON.stringify(result);
}

function formatText(level, params) {
  return `${new Date().toISOString()}\t${logContext.requestId}\t${level.name}\t${util.format(...params)}`;
}

// Replaces console.* so each call becomes one log record on stdout (newlines
// inside a record become carriage returns). Returns the error logger the
// runtime uses for its own reports.
function patchConsole() {
  const json = process.env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === "JSON";
  const minimum = LEVELS[process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? LEVELS.TRACE;
  const format = json ? formatJson : formatText;
  const logAt = (level) => (message, ...params) => {
    process.stdout.write(format(level, [message, ...params]).replace(/\n/g, "\r") + "\n");
  };
  const noop = () => {};
  for (const [method, level] of [
    ["trace", LEVELS.TRACE],
    ["debug", LEVELS.DEBUG],
    ["info", LEVELS.INFO],
    ["warn", LEVELS.WARN],
    ["error", LEVELS.ERROR],
  ]) {
    console[method] = level.priority >= minimum.priority ? logAt(level) : noop;
  }
  console.log = console.info;
  console.fatal = logAt(LEVELS.FATAL); // never filtered, as in the official client

  return json
    ? (_message, err) => console.error(intoError(err))
    : (message, err) => console.error(message, toFormatted(intoError(err)));
}

const logError = patchConsole();

// ---------------------------------------------------------------------------
// Runtime API client

// Transport failures leave nothing to report to: the environment is gone.
function fatal(err) {
  process.stderr.write(`lambkin bootstrap: Runtime API request failed: ${err}\n`);
  process.exit(1);
}

// Node refuses header values outside printable Latin-1; error names and
// messages can hold anything, so escape the rest JSON-style.
function headerValue(s) {
  return s.replace(/[^\x20-\x7e]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

function serialize(value) {
  try {
    return JSON.stringify(value === undefined ? null : value);
  } catch {
    throw new Error("Unable to stringify response body");
  }
}

class RuntimeAPIClient {
  constructor(hostPort) {
    if (!hostPort) {
      throw new Error("AWS_LAMBDA_RUNTIME_API is not set");
    }
    const colon = hostPort.lastIndexOf(":");
    this.hostname = hostPort.slice(0, colon).replace(/^\[|\]$/g, "");
    this.port = Number(hostPort.slice(colon + 1));
    // One keep-alive connection for everything; /next must never time out.
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  }

  request(method, urlPath, body, headers = {}) {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { hostname: this.hostname, port: this.port, path: urlPath, method, headers, agent: this.agent },
        (res) => {
          const chunks = [];
          res.on("data", (chunk) => chunks.push(chunk));
          res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  async nextInvocation() {
    const { status, headers, body } = await this.request("GET", `${API_PREFIX}/invocation/next`);
    if (status !== 200) {
      throw new Error(`Failed to get next invocation: HTTP ${status}: ${body}`);
    }
    return { bodyJson: body.toString("utf8"), headers };
  }

  postInvocationResponse(result, id, callback) {
    this.post(`${API_PREFIX}/invocation/${encodeURIComponent(id)}/response`, serialize(result), {}, callback);
  }

  postInvocationError(error, id, callback) {
    const body = serialize(toRapidResponse(error));
    const cause = xrayCause(error);
    const headers = cause ? { [XRAY_CAUSE_HEADER]: headerValue(cause) } : {};
    this.post(`${API_PREFIX}/invocation/${encodeURIComponent(id)}/error`, body, headers, callback);
  }

  postInitError(error, callback) {
    const response = toRapidResponse(error);
    const headers = { [ERROR_TYPE_HEADER]: headerValue(String(response.errorType)) };
    this.post(`${API_PREFIX}/init/error`, serialize(response), headers, callback);
  }

  post(urlPath, body, headers, callback) {
    const allHeaders = { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), ...headers };
    this.request("POST", urlPath, body, allHeaders).then(({ status, body: reply }) => {
      // A rejected post (say 413 for an oversized response) ends the invoke
      // on the server's side too, so the loop carries on.
      if (status >= 300) {
        process.stderr.write(`lambkin bootstrap: POST ${urlPath}: HTTP ${status}: ${reply}\n`);
      }
      callback();
    }, fatal);
  }
}

// ---------------------------------------------------------------------------
// Loading the handler

const FUNCTION_EXPR = /^([^.]*)\.(.*)$/;

// "dir/sub/module.nested.fn" → ["dir/sub/", "module", "nested.fn"]
function parseHandler(fullHandler) {
  if (fullHandler.includes("..")) {
    throw new MalformedHandlerName(
      `'${fullHandler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const moduleAndHandler = path.basename(fullHandler);
  const moduleRoot = fullHandler.substring(0, fullHandler.indexOf(moduleAndHandler));
  const match = moduleAndHandler.match(FUNCTION_EXPR);
  if (!match) {
    throw new MalformedHandlerName("Bad handler");
  }
  return [moduleRoot, match[1], match[2]];
}

// Whether the nearest package.json above folder says "type": "module".
function packageTypeIsModule(folder) {
  if (folder.endsWith("/node_modules")) {
    return false;
  }
  const pj = path.join(folder, "package.json");
  if (existsSync(pj)) {
    try {
      const pkg = JSON.parse(readFileSync(pj));
      if (pkg) {
        return pkg.type === "module";
      }
    } catch (e) {
      console.warn(`${pj} cannot be read, it will be ignored for ES module detection purposes.`, e);
      return false;
    }
  }
  return folder !== "/" && packageTypeIsModule(path.resolve(folder, ".."));
}

// Lambda's lookup order: the exact path, then .js (CommonJS unless the nearest
// package.json says module), .mjs, .cjs, and finally Node's own resolution.
async function loadModule(appRoot, moduleRoot, moduleName) {
  const base = path.resolve(appRoot, moduleRoot, moduleName);
  const requireFile = (ext = "") => (existsSync(base + ext) ? require(base + ext) : undefined);
  const importFile = async (ext) => (existsSync(base + ext) ? await import(pathToFileURL(base + ext).href) : undefined);

  const extensionless = requireFile();
  if (extensionless) {
    return extensionless;
  }
  const isModule = existsSync(base + ".js") && packageTypeIsModule(path.dirname(base + ".js"));
  if (!isModule) {
    const loaded = requireFile(".js");
    if (loaded) {
      return loaded;
    }
  }
  const loaded = (isModule && (await importFile(".js"))) || (await importFile(".mjs")) || requireFile(".cjs");
  if (loaded) {
    return loaded;
  }
  return require(require.resolve(moduleName, { paths: [appRoot, moduleRoot] }));
}

function installAwsLambdaGlobal() {
  const disabled = ["1", "true"].includes(process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA);
  if (!disabled) {
    globalThis.awslambda = {
      streamifyResponse: (handler) => {
        handler[HANDLER_STREAMING] = "response";
        return handler;
      },
    };
  }
}

async function loadHandler(appRoot, fullHandler) {
  const [moduleRoot, moduleName, handlerPath] = parseHandler(fullHandler);
  installAwsLambdaGlobal();
  let userModule;
  try {
    userModule = await loadModule(appRoot, moduleRoot, moduleName);
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw new UserCodeSyntaxError(e);
    }
    if (e.code === "MODULE_NOT_FOUND") {
      throw new ImportModuleError(e);
    }
    throw e;
  }
  const handler = handlerPath.split(".").reduce((nested, key) => nested && nested[key], userModule);
  if (!handler) {
    throw new HandlerNotFound(`${fullHandler} is undefined or not exported`);
  }
  if (typeof handler !== "function") {
    throw new HandlerNotFound(`${fullHandler} is not a function`);
  }
  if (handler[HANDLER_STREAMING]) {
    throw new MalformedStreamingHandler("lambkin does not support response streaming yet.");
  }
  return handler;
}

// ---------------------------------------------------------------------------
// Invocation

// What runs when the event loop drains: a sync handler that never called back
// answers null, an async one whose promise never settled fails, and a callback
// made with callbackWaitsForEmptyEventLoop posts its result.
const beforeExit = {
  set: (listener) => {
    globalThis[BEFORE_EXIT_SYMBOL] = listener;
  },
  reset: () => {
    globalThis[BEFORE_EXIT_SYMBOL] = () => {};
  },
  invoke: () => globalThis[BEFORE_EXIT_SYMBOL](),
};

// The context members that end the invoke, and the handler's callback.
function buildCallbackContext(client, id, scheduleNext) {
  let completed = false;
  let waitForEmptyEventLoop = true;
  const postError = (err, callback) => {
    logError("Invoke Error", err);
    client.postInvocationError(err, id, callback);
  };
  const complete = (result, callback) => {
    if (completed) {
      console.error("Invocation has already been reported as done. Cannot call complete more than once per invocation.");
      return;
    }
    completed = true;
    client.postInvocationResponse(result, id, callback);
  };
  const done = (err, result) => {
    beforeExit.reset();
    if (err !== undefined && err !== null) {
      postError(err, scheduleNext);
    } else {
      complete(result, scheduleNext);
    }
  };
  const callback = (err, result) => {
    if (!waitForEmptyEventLoop || (err !== undefined && err !== null)) {
      done(err, result);
    } else {
      beforeExit.set(() => setImmediate(() => complete(result, scheduleNext)));
    }
  };

  // Only the first of callback/succeed/fail/done counts.
  let finished = false;
  const once =
    (fn) =>
    (...args) => {
      if (!finished) {
        fn(...args);
        finished = true;
      }
    };
  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
    succeed: once((result) => done(null, result)),
    fail: once((err) => (err === undefined || err === null ? done("handled") : done(err, null))),
    done: once(done),
  };
  const markCompleted = () => {
    completed = true;
  };
  return { callback: once(callback), context, markCompleted };
}

function parseJsonHeader(value, name) {
  if (value === undefined) {
    return undefined;
  }
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new Error(`Cannot parse ${name} as json: ${err.toString()}`);
  }
}

// Adds the invoke's data to the callback context, giving the handler's context.
function attachInvokeData(context, headers) {
  const traceId = headers["lambda-runtime-trace-id"];
  if (traceId) {
    process.env._X_AMZN_TRACE_ID = traceId;
  } else {
    delete process.env._X_AMZN_TRACE_ID;
  }
  const deadline = headers["lambda-runtime-deadline-ms"];
  return Object.assign(context, {
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parseJsonHeader(headers["lambda-runtime-client-context"], "ClientContext"),
    identity: parseJsonHeader(headers["lambda-runtime-cognito-identity"], "CognitoIdentity"),
    invokedFunctionArn: headers["lambda-runtime-invoked-function-arn"],
    awsRequestId: headers["lambda-runtime-aws-request-id"],
    tenantId: headers["lambda-runtime-aws-tenant-id"],
    getRemainingTimeInMillis: () => deadline - Date.now(),
  });
}

class Runtime {
  constructor(client, handler, errorCallbacks) {
    this.client = client;
    // Called as this.handler(...) so stack traces read "at Runtime.handler",
    // as they do on Lambda.
    this.handler = handler;
    this.isAsync = handler.constructor?.name === "AsyncFunction";
    this.errorCallbacks = errorCallbacks;
  }

  scheduleIteration() {
    setImmediate(() => {
      this.handleOnceNonStreaming().catch((err) => {
        console.log(`Unexpected Top Level Error: ${err.toString()}`);
        this.errorCallbacks.uncaughtException(err);
      });
    });
  }

  // Named as in the official client: the name appears in users' stack traces.
  async handleOnceNonStreaming() {
    const { bodyJson, headers } = await this.client.nextInvocation();
    const id = headers["lambda-runtime-aws-request-id"];
    if (!id) {
      throw new Error("invocation id is missing or invalid");
    }
    logContext.set(id, headers["lambda-runtime-aws-tenant-id"]);
    const { callback, context, markCompleted } = buildCallbackContext(this.client, id, () => this.scheduleIteration());
    try {
      this.setErrorCallbacks(id);
      this.setDefaultExitListener(id, markCompleted);
      const result = this.handler(JSON.parse(bodyJson), attachInvokeData(context, headers), callback);
      if (result && typeof result.then === "function") {
        result.then(context.succeed, context.fail).catch(context.fail);
      }
    } catch (err) {
      callback(err);
    }
  }

  // Errors escaping the handler end this invoke, then the process.
  setErrorCallbacks(id) {
    this.errorCallbacks.uncaughtException = (error) => {
      this.client.postInvocationError(error, id, () => process.exit(129));
    };
    this.errorCallbacks.unhandledRejection = (error) => {
      this.client.postInvocationError(error, id, () => process.exit(128));
    };
  }

  setDefaultExitListener(id, markCompleted) {
    beforeExit.set(() => {
      markCompleted();
      if (this.isAsync) {
        const error = new NodeJsExit();
        logError("Invoke Error", error);
        this.client.postInvocationError(error, id, () => this.scheduleIteration());
      } else {
        this.client.postInvocationResponse(null, id, () => this.scheduleIteration());
      }
    });
  }
}

// ---------------------------------------------------------------------------
// Start

function setNodePath(taskRoot) {
  if (process.env.NODE_PATH) {
    return;
  }
  const opt = process.env.LAMBKIN_OPT_DIR || "/opt";
  const runtimeDir = path.dirname(fileURLToPath(import.meta.url));
  const major = process.versions.node.split(".")[0];
  process.env.NODE_PATH = [
    `${opt}/nodejs/node${major}/node_modules`,
    `${opt}/nodejs/node_modules`,
    `${runtimeDir}/node_modules`,
    runtimeDir,
    taskRoot,
  ].join(":");
  Module._initPaths(); // Node reads NODE_PATH only at startup otherwise
}

async function main() {
  const client = new RuntimeAPIClient(process.env.AWS_LAMBDA_RUNTIME_API);
  // Until the first invoke, errors are init errors.
  const errorCallbacks = {
    uncaughtException: (error) => client.postInitError(error, () => process.exit(129)),
    unhandledRejection: (error) => client.postInitError(error, () => process.exit(128)),
  };
  process.on("uncaughtException", (error) => {
    logError("Uncaught Exception", error);
    errorCallbacks.uncaughtException(error);
  });
  process.on("unhandledRejection", (reason, promise) => {
    const error = new UnhandledPromiseRejection(reason, promise);
    logError("Unhandled Promise Rejection", error);
    errorCallbacks.unhandledRejection(error);
  });
  beforeExit.reset();
  process.on("beforeExit", beforeExit.invoke);

  const taskRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
  setNodePath(taskRoot);
  const handler = await loadHandler(taskRoot, process.argv[2] || process.env._HANDLER || "");
  new Runtime(client, handler, errorCallbacks).scheduleIteration();
}

await main();
