#!/usr/bin/env python3
"""Run the recorded AWS Lambda cases against a running lambkin.

Usage: run_cases.py CASES_JSON FAST_URL SLOW_URL ISOLATED_URL [ID,ID...]

FAST_URL is a server without a state delay, shared by most cases; SLOW_URL
one that keeps functions Pending/InProgress for a while, for the cases that
must observe those states; ISOLATED_URL a server on which no concurrency is
ever reserved or provisioned, for the cases whose messages quote
account-wide concurrency figures (the recordings come from an otherwise
empty account).
Prints one JSON line per case: {"id", "pass", "expected", "actual", "why"}.

Every case gets its own function names, so cases run concurrently. The setup
of each case is a small function (SETUPS below) that builds exactly the state
the case's prose "setup" describes, through the same real client.
"""

import concurrent.futures
import io
import json
import os
import re
import sys
import threading
import time
import traceback
import urllib.request
import uuid
import zipfile

import boto3
import botocore.exceptions
from botocore.config import Config

ACCOUNT = "000000000000"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"
ECR_URI = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/conformance:latest"
SUBNET = "subnet-0a1b2c3d4e5f60718"
SECURITY_GROUP = "sg-0a1b2c3d4e5f60718"
# The documented AWS default minimum of unreserved concurrency (lambkin's
# Limits.UnreservedConcurrency default); the API does not expose it.
MIN_UNRESERVED = 100
RUN = uuid.uuid4().hex[:6]

HANDLER = b'''import os, time

# pc-29: only provisioned-concurrency initialisation fails.
if os.environ.get("FAIL_PC_INIT") and \\
        os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "provisioned-concurrency":
    raise Exception("provisioned-concurrency initialisation refused")


def handler(event, context):
    if isinstance(event, dict) and "wait" in event:
        time.sleep(event["wait"])
    return {
        "version_id": os.environ.get("VERSION_ID"),
        "invoked_arn": context.invoked_function_arn,
        "version_from_ctx": context.function_version,
        "init_type": os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE"),
    }
'''


def make_zip(files, compress=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


ZIP = make_zip({"index.py": HANDLER, "handler.py": HANDLER})
ZIP_V2 = make_zip({"index.py": HANDLER + b"# v2\n", "handler.py": HANDLER})


def big_zip(size):
    """A stored (uncompressed) zip of at least size bytes of random data."""
    return make_zip({"blob.bin": os.urandom(size)}, zipfile.ZIP_STORED)


# ---------------------------------------------------------------- clients

def client(url):
    """A boto3 Lambda client that sends invalid input as is and never retries,
    and records the raw body of the last response (to check Type/message)."""
    c = boto3.client(
        "lambda", endpoint_url=url, region_name=REGION,
        aws_access_key_id="x", aws_secret_access_key="x",
        config=Config(parameter_validation=False, retries={"max_attempts": 0},
                      read_timeout=120, connect_timeout=10))
    c.raw = {}

    def after_call(http_response=None, **_):
        # Error bodies only: reading a success body would consume the
        # streaming Invoke payload before the caller gets it.
        c.raw["status"] = http_response.status_code
        if http_response.status_code >= 300:
            c.raw["body"] = http_response.content
    c.meta.events.register("after-call.lambda", after_call)
    return c


class Ctx:
    """Per-case state: clients, names and placeholder values."""

    def __init__(self, case, fast, slow, isolated):
        self.case = case
        self.fast, self.slow, self.isolated = fast, slow, isolated
        base = re.sub(r"[^a-z0-9]", "", case["id"])
        self.fn = f"cf-{base}-{RUN}"
        self.values = {
            "<fn-name>": self.fn,
            "<fn-name-2>": self.fn + "-2",
            "<fn>": self.fn,
            "<account>": ACCOUNT,
            "<region>": REGION,
            "<partition>": "aws",
            "<alias-name>": "pcalias",
            "<layer-name>": "conformance-layer",
            "<other-region>": "eu-west-1",
            "<role-arn>": ROLE,
            "<role-not-assumable-by-lambda>": "not-assumable-by-lambda",
            "<ecr-uri>": ECR_URI,
            "<missing-bucket>": f"conformance-missing-bucket-{RUN}",
            "<bucket>": f"conformance-bucket-{RUN}",
            "<subnet-2>": SUBNET, "<subnet_id_2>": SUBNET,
            "<sg-2>": SECURITY_GROUP, "<security_group_id_2>": SECURITY_GROUP,
            "<min_unreserved_concurrency>": str(MIN_UNRESERVED),
        }
        self.server = fast
        # request values too big to print (big zips) and what setups
        # record for the note checks (revisions before the request)
        self.extra = {}

    def use_slow(self):
        self.server = self.slow

    def use_isolated(self):
        self.server = self.isolated


# ---------------------------------------------------------------- helpers

def wait_ready(c, name, qualifier=None, timeout=30):
    """The function_updated_v2 / function_active_v2 waiters, by polling."""
    args = {"FunctionName": name}
    if qualifier:
        args["Qualifier"] = qualifier
    deadline = time.time() + timeout
    while True:
        cfg = c.get_function_configuration(**args)
        if cfg.get("State") != "Pending" and cfg.get("LastUpdateStatus") != "InProgress":
            return cfg
        if time.time() > deadline:
            raise RuntimeError(f"{name} still {cfg.get('State')}/{cfg.get('LastUpdateStatus')}")
        time.sleep(0.05)


def create(ctx, name=None, wait=True, **kw):
    c = ctx.server
    args = dict(FunctionName=name or ctx.fn, Runtime="python3.12", Handler="index.handler",
                Role=ROLE, Code={"ZipFile": ZIP})
    args.update(kw)
    args = {k: v for k, v in args.items() if v is not None}  # None = leave out
    out = c.create_function(**args)
    if wait:
        wait_ready(c, args["FunctionName"])
    return out


def publish(ctx, **kw):
    return ctx.server.publish_version(FunctionName=ctx.fn, **kw)


def touch(ctx, description):
    """Change $LATEST so that the next PublishVersion creates a new version."""
    ctx.server.update_function_configuration(FunctionName=ctx.fn, Description=description)
    wait_ready(ctx.server, ctx.fn)


def wait_pc(ctx, qualifier, status, timeout=60):
    deadline = time.time() + timeout
    while True:
        out = ctx.server.get_provisioned_concurrency_config(FunctionName=ctx.fn, Qualifier=qualifier)
        if out["Status"] == status:
            return out
        if time.time() > deadline:
            raise RuntimeError(f"provisioned concurrency still {out['Status']}")
        time.sleep(0.1)


# ---------------------------------------------------------------- setups

def s_none(ctx):
    pass


def s_function(ctx):
    create(ctx)


def s_version1(ctx):
    create(ctx)
    publish(ctx)


def s_versions12(ctx):
    create(ctx)
    publish(ctx)
    touch(ctx, "v2")
    publish(ctx)


def s_ufc07(ctx):
    # ufc-06: a handler.handler function updated to python3.11/512/10, then
    # the function_updated_v2 waiter.
    create(ctx, Handler="handler.handler")
    before = ctx.server.get_function_configuration(FunctionName=ctx.fn)
    ctx.extra["python3.12 runtime version"] = before["RuntimeVersionConfig"]["RuntimeVersionArn"]
    out = ctx.server.update_function_configuration(FunctionName=ctx.fn, Runtime="python3.11",
                                                   MemorySize=512, Timeout=10)
    ctx.extra["update revision"] = out["RevisionId"]
    wait_ready(ctx.server, ctx.fn)


def s_ufc08(ctx):
    create(ctx)
    touch(ctx, "1st update description")
    ctx.extra["revision"] = ctx.server.get_function_configuration(FunctionName=ctx.fn)["RevisionId"]


def s_ufc17(ctx):
    create(ctx, LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "INFO",
                               "SystemLogLevel": "INFO"})


def s_ufcode02(ctx):
    # Needs the slow server: the first code update must still be InProgress.
    ctx.use_slow()
    create(ctx)
    ctx.server.update_function_code(FunctionName=ctx.fn, ZipFile=ZIP)


def s_image(ctx):
    create(ctx, PackageType="Image", Code={"ImageUri": ECR_URI}, Runtime=None, Handler=None)


def pc_on_alias(ctx):
    """Version 1 with provisioned concurrency 1 through the alias pcalias."""
    create(ctx)
    publish(ctx)
    c = ctx.server
    c.create_alias(FunctionName=ctx.fn, Name="pcalias", FunctionVersion="1")
    c.put_provisioned_concurrency_config(FunctionName=ctx.fn, Qualifier="pcalias",
                                         ProvisionedConcurrentExecutions=1)


def s_pc24(ctx):
    pc_on_alias(ctx)
    ctx.server.delete_alias(FunctionName=ctx.fn, Name="pcalias")


def s_pc28(ctx):
    create(ctx)
    publish(ctx)
    ctx.server.put_provisioned_concurrency_config(FunctionName=ctx.fn, Qualifier="1",
                                                  ProvisionedConcurrentExecutions=5)
    wait_pc(ctx, "1", "READY")


def s_pc29(ctx):
    create(ctx, Environment={"Variables": {"FAIL_PC_INIT": "1"}})
    publish(ctx)
    ctx.server.put_provisioned_concurrency_config(FunctionName=ctx.fn, Qualifier="1",
                                                  ProvisionedConcurrentExecutions=1)
    wait_pc(ctx, "1", "FAILED", timeout=90)


def s_reserved2_pc2(ctx):
    create(ctx)
    c = ctx.server
    c.put_function_concurrency(FunctionName=ctx.fn, ReservedConcurrentExecutions=2)
    publish(ctx)
    c.put_provisioned_concurrency_config(FunctionName=ctx.fn, Qualifier="1",
                                         ProvisionedConcurrentExecutions=2)


def s_pc31(ctx):
    s_reserved2_pc2(ctx)
    touch(ctx, "v2")
    publish(ctx)


def s_pc33(ctx):
    pc_on_alias(ctx)
    wait_pc(ctx, "pcalias", "READY")
    touch(ctx, "v2")
    publish(ctx)
    ctx.server.update_alias(FunctionName=ctx.fn, Name="pcalias", FunctionVersion="2")


def s_fc10(ctx):
    create(ctx)
    publish(ctx)
    ctx.server.put_provisioned_concurrency_config(FunctionName=ctx.fn, Qualifier="1",
                                                  ProvisionedConcurrentExecutions=2)


def s_fc11(ctx):
    create(ctx)
    ctx.server.put_function_concurrency(FunctionName=ctx.fn, ReservedConcurrentExecutions=3)


def s_fc14(ctx):
    create(ctx)
    c = ctx.server
    c.put_function_concurrency(FunctionName=ctx.fn, ReservedConcurrentExecutions=0)
    c.put_function_event_invoke_config(
        FunctionName=ctx.fn, MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {
            "Destination": f"arn:aws:sqs:{REGION}:{ACCOUNT}:conformance-failures"}})


def s_cf09(ctx):
    # Just over the 50 MiB zipped limit; base64 keeps the body under 70167211.
    ctx.extra["<zip > 50 MiB>"] = big_zip(52428800 + 1024)


def s_cf10(ctx):
    # A body over 70167211 bytes once base64-encoded.
    ctx.extra["<request body > 70167211 bytes>"] = big_zip(53 * 1024 * 1024)


def s_pv04(ctx):
    # Versions 1 and 2 published; $LATEST unchanged since version 2.
    create(ctx)
    publish(ctx, Description="First version description :)")
    touch(ctx, "Second version :))")
    ctx.extra["v2 revision"] = publish(ctx)["RevisionId"]


def s_pv05(ctx):
    # As pv-04, then version 1 deleted: numbers are not reused, list is $LATEST, 2.
    s_pv04(ctx)
    ctx.server.delete_function(FunctionName=ctx.fn, Qualifier="1")


def s_al16(ctx):
    s_version1(ctx)
    ctx.server.create_alias(FunctionName=ctx.fn, Name="revision_alias", FunctionVersion="1")


def s_al18(ctx):
    s_versions12(ctx)
    out = ctx.server.create_alias(FunctionName=ctx.fn, Name="aliasname1_1", FunctionVersion="1",
                                  Description="custom-alias",
                                  RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    ctx.extra["revision"] = out["RevisionId"]


def s_gf01(ctx):
    s_version1(ctx)
    ctx.server.create_alias(FunctionName=ctx.fn, Name="aliasname1_1", FunctionVersion="1")


def s_gf17(ctx):
    create(ctx, Environment={"Variables": {}})
    create(ctx, name=ctx.fn + "-2", Environment={"Variables": {}})
    publish(ctx)


def s_inv08(ctx):
    create(ctx, Timeout=1)


def s_inv11(ctx):
    create(ctx, Environment={"Variables": {"VERSION_ID": "version1"}})
    publish(ctx)
    ctx.server.create_alias(FunctionName=ctx.fn, Name="alias1", FunctionVersion="1")
    # $LATEST moves on; alias1 must still run version 1.
    ctx.server.update_function_configuration(
        FunctionName=ctx.fn, Environment={"Variables": {"VERSION_ID": "version2"}})


def s_isolated(ctx):
    ctx.use_isolated()


def s_df04(ctx):
    # While the function exists, deleting a missing version is idempotent.
    create(ctx)
    ctx.server.delete_function(FunctionName=ctx.fn, Qualifier="1233")
    ctx.server.delete_function(FunctionName=ctx.fn)


def s_isolated_version1(ctx):
    ctx.use_isolated()
    s_version1(ctx)


def s_isolated_function(ctx):
    ctx.use_isolated()
    create(ctx)


def s_inv13(ctx):
    ctx.use_slow()
    create(ctx, wait=False)


SETUPS = {
    "ufc-01": s_function, "ufc-02": s_function, "ufc-03": s_function,
    "ufc-04": s_function, "ufc-07": s_ufc07, "ufc-08": s_ufc08,
    "ufc-13": s_function, "ufc-14": s_function, "ufc-17": s_ufc17,
    "ufc-18": s_function, "ufc-19": s_function, "ufc-20": s_function,
    "ufc-22": s_function, "ufc-23": s_function, "ufc-24": s_function,
    "ufcode-01": s_function, "ufcode-02": s_ufcode02, "ufcode-05": s_image,
    "pc-01": s_version1, "pc-02": s_none, "pc-03": s_function, "pc-04": s_function,
    "pc-05": s_function, "pc-06": s_function, "pc-12": s_version1, "pc-13": s_version1,
    "pc-14": s_none, "pc-16": s_function, "pc-17": s_function, "pc-19": s_version1,
    "pc-24": s_pc24, "pc-25": s_isolated_version1, "pc-26": s_isolated_version1, "pc-28": s_pc28,
    "pc-29": s_pc29, "pc-31": s_pc31, "pc-32": s_reserved2_pc2, "pc-33": s_pc33,
    "rm-02": s_function, "rm-03": s_function, "rm-05": s_function, "rm-06": s_none,
    "fc-01": s_none, "fc-02": s_none, "fc-03": s_function, "fc-04": s_function,
    "fc-06": s_function, "fc-08": s_isolated_function, "fc-10": s_fc10, "fc-11": s_fc11,
    "fc-12": s_none, "fc-14": s_fc14, "fc-16": s_isolated,
    "cf-03": s_none, "cf-04": s_none, "cf-05": s_none, "cf-07": s_none, "cf-08": s_none,
    "cf-09": s_cf09, "cf-10": s_cf10, "cf-11": s_none, "cf-12": s_none, "cf-15": s_none,
    "cf-19": s_none, "cf-20": s_none, "cf-21": s_none, "cf-23": s_function, "cf-24": s_none,
    "pv-02": s_function, "pv-03": s_function, "pv-04": s_pv04, "pv-05": s_pv05,
    "al-02": s_versions12, "al-03": s_versions12, "al-04": s_versions12,
    "al-05": s_versions12, "al-06": s_versions12, "al-07": s_versions12,
    "al-09": s_none, "al-12": s_version1, "al-14": s_function, "al-15": s_function,
    "al-16": s_al16, "al-18": s_al18,
    "gf-01": s_gf01, "gf-02": s_function, "gf-04": s_function, "gf-09": s_none,
    "gf-10": s_none, "gf-11": s_none, "gf-12": s_none, "gf-14": s_none,
    "gf-15": s_function, "gf-17": s_gf17,
    "df-01": s_function, "df-04": s_df04, "df-05": s_none,
    "inv-01": s_none, "inv-02": s_function, "inv-03": s_none, "inv-05": s_function,
    "inv-08": s_inv08, "inv-11": s_inv11, "inv-13": s_inv13,
}

# Request members the recording used but the case's request leaves out.
REQUEST_EXTRA = {
    # LocalStack's TestLambdaImages::test_lambda_image_versions created the
    # recorded function with Environment and Publish=True; that is why the
    # recorded key set has Environment (cf-21: only when passed).
    "rm-06": {"Environment": {"Variables": {"CUSTOM_ENV": "test"}}, "Publish": True},
}

# Keys the case's notes say must be ABSENT from the success response (a
# subset comparison alone would not notice them). Paths are dotted.
ABSENT = {
    "ufc-07": ["Configuration.LastUpdateStatusReason", "Configuration.LastUpdateStatusReasonCode"],
    "ufc-17": ["LoggingConfig.ApplicationLogLevel", "LoggingConfig.SystemLogLevel"],
    "pc-19": ["StatusReason"],
    "cf-21": ["LastUpdateStatus", "LastUpdateStatusReason", "LastUpdateStatusReasonCode"],
    "al-12": ["RoutingConfig"],
    "al-18": ["RoutingConfig"],
    "rm-02": ["RuntimeVersionArn"],
}

# ---------------------------------------------------------------- note checks
# Behaviour the cases' notes state beyond the expected fields. Each returns
# a list of failures; it runs after the main request passed or failed.

def n_ufc07(ctx, out):
    cfg = out["Configuration"]
    errs = []
    if cfg["RevisionId"] == ctx.extra["update revision"]:
        errs.append("RevisionId did not change on InProgress -> Successful")
    if cfg["RuntimeVersionConfig"]["RuntimeVersionArn"] == ctx.extra["python3.12 runtime version"]:
        errs.append("python3.11 and python3.12 have the same runtime version ARN")
    return errs


def n_ufc08(ctx, out):
    return ["a no-op update kept the RevisionId"] if out["RevisionId"] == ctx.extra["revision"] else []


def n_pv04(ctx, out):
    return ["RevisionId of version 2 changed"] if out["RevisionId"] != ctx.extra["v2 revision"] else []


def n_al18(ctx, out):
    return ["alias update kept the RevisionId"] if out["RevisionId"] == ctx.extra["revision"] else []


def n_delete_pc_same_404(ctx, err):
    # DeleteProvisionedConcurrencyConfig with the same input: identical 404.
    req = subst_request(ctx, ctx.case["request"])
    try:
        ctx.server.delete_provisioned_concurrency_config(**req)
    except botocore.exceptions.ClientError as e:
        got = (e.response["Error"]["Code"], e.response["Error"]["Message"])
        want = (err["error_code"], err["message"])
        return [] if got == want else [f"Delete answered {got}, Get {want}"]
    return ["Delete succeeded"]


def n_pc24(ctx, err):
    left = ctx.server.list_provisioned_concurrency_configs(FunctionName=ctx.fn)
    return [f"configs left after DeleteAlias: {left['ProvisionedConcurrencyConfigs']}"] \
        if left["ProvisionedConcurrencyConfigs"] else []


def invoke_json(ctx, **kw):
    out = ctx.server.invoke(FunctionName=ctx.fn, **kw)
    return out, json.loads(out["Payload"].read())


def n_pc28(ctx, out):
    errs = []
    _, v1 = invoke_json(ctx, Qualifier="1")
    if v1.get("init_type") != "provisioned-concurrency":
        errs.append(f"version 1 ran with init type {v1.get('init_type')!r}")
    _, latest = invoke_json(ctx)
    if latest.get("init_type") != "on-demand":
        errs.append(f"$LATEST ran with init type {latest.get('init_type')!r}")
    return errs


def n_pc29(ctx, out):
    r, p = invoke_json(ctx, Qualifier="1")
    if r.get("FunctionError") or p.get("init_type") != "on-demand":
        return [f"version 1 not served on demand: {r.get('FunctionError')} {p}"]
    return []


def n_cf08(ctx, err):
    errs = ["the function was created"]
    try:
        ctx.server.get_function(FunctionName=ctx.fn)
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] == "ResourceNotFoundException":
            errs = []
    # Exactly 4096 bytes of compact JSON is still allowed.
    variables = {"LARGE_VAR": "x" * 4080}
    assert len(json.dumps(variables, separators=(",", ":"))) == 4096
    try:
        create(ctx, name=ctx.fn + "-4096", wait=False, Environment={"Variables": variables})
    except botocore.exceptions.ClientError as e:
        errs.append(f"4096 bytes of variables refused: {e}")
    return errs


def n_gf17(ctx, out):
    # Without FunctionVersion=ALL: $LATEST only, under its unqualified ARN.
    arns = sorted(f["FunctionArn"] for f in list_all_functions(ctx.server)
                  if f["FunctionName"] in (ctx.fn, ctx.fn + "-2"))
    base = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{ctx.fn}"
    want = sorted([base, base + "-2"])
    return [] if arns == want else [f"default ListFunctions ARNs {arns}, want {want}"]


def n_gf02(ctx, out):
    arn = ctx.server.get_function(FunctionName=ctx.fn)["Configuration"]["FunctionArn"]
    want = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{ctx.fn}"
    return [] if arn == want else [f"unqualified GetFunction ARN {arn}"]


def n_fc14(ctx, out):
    # The failure record reaches the OnFailure destination (the Go test maps
    # it to an HTTP sink that lists what it received on GET).
    sink = os.environ.get("CONFORMANCE_SINK")
    if not sink:
        return ["CONFORMANCE_SINK not set"]
    deadline = time.time() + 20
    while time.time() < deadline:
        with urllib.request.urlopen(sink) as r:
            for rec in json.load(r):
                ctx_ = rec.get("requestContext", {})
                if ctx_.get("functionArn", "").startswith(
                        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{ctx.fn}"):
                    want = {"condition": "ZeroReservedConcurrency", "approximateInvokeCount": 0}
                    got = {k: ctx_.get(k) for k in want}
                    return [] if got == want else [f"failure record {got}, want {want}"]
        time.sleep(0.2)
    return ["no failure record reached the destination"]


def n_fc16(ctx, out):
    # Run on the isolated server: nothing reserved, so unreserved = limit.
    s = ctx.server.get_account_settings()["AccountLimit"]
    want = {"TotalCodeSize": 80530636800, "CodeSizeUnzipped": 262144000,
            "CodeSizeZipped": 52428800, "ConcurrentExecutions": 1000,
            "UnreservedConcurrentExecutions": 1000}
    got = {k: s.get(k) for k in want}
    return [] if got == want else [f"AccountLimit {got}, want {want}"]


NOTE_CHECKS = {
    "ufc-07": n_ufc07, "ufc-08": n_ufc08, "pv-04": n_pv04, "al-18": n_al18,
    "pc-03": n_delete_pc_same_404, "pc-04": n_delete_pc_same_404, "pc-24": n_pc24,
    "pc-28": n_pc28, "pc-29": n_pc29, "cf-08": n_cf08, "gf-02": n_gf02, "gf-17": n_gf17,
    "fc-14": n_fc14, "fc-16": n_fc16,
}

# ---------------------------------------------------------------- placeholders

REPEAT = re.compile(r'<(\d+) x "?([a-z])"?>')


def account_limit(ctx):
    return ctx.server.get_account_settings()["AccountLimit"]["ConcurrentExecutions"]


def subst_request(ctx, v):
    """Replace placeholders in request values with concrete ones."""
    if isinstance(v, dict):
        return {k: subst_request(ctx, x) for k, x in v.items()}
    if isinstance(v, list):
        return [subst_request(ctx, x) for x in v]
    if not isinstance(v, str):
        return v
    if v in ctx.extra:
        return ctx.extra[v]
    if v in ("<zip>",):
        return ZIP
    if v == "<zip-v2>":
        return ZIP_V2
    if v == "<AccountLimit.ConcurrentExecutions>":
        return account_limit(ctx)
    if v == "<AccountLimit.ConcurrentExecutions + 1>":
        return account_limit(ctx) + 1
    v = REPEAT.sub(lambda m: m.group(2) * int(m.group(1)), v)
    for k, x in ctx.values.items():
        v = v.replace(k, x)
    return v


# Placeholders in expected values that stand for "present and of this form".
FORMS = {
    "<uuid>": r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "<runtime-version-sha256>": r"[0-9a-f]{64}",
    "<code-sha256>": r"[A-Za-z0-9+/]{43}=",
    "<location>": r"https?://\S+",
    # lambkin has no VPCs to look subnets up in: any string (it answers "").
    "<vpc_id>": r".*",
    "<timeout_error_msg>": r"\S+",
    "<function arn>": rf"arn:aws:lambda:{REGION}:{ACCOUNT}:function:[^:]+(:\$LATEST)?",
}


def expected_regex(ctx, s):
    out, pos = [], 0
    for m in re.finditer(r"<[^<>]+>", s):
        out.append(re.escape(s[pos:m.start()]))
        ph = m.group(0)
        if ph in FORMS:
            out.append(FORMS[ph])
        elif ph in ctx.values:
            out.append(re.escape(ctx.values[ph]))
        elif REPEAT.fullmatch(ph):
            r = REPEAT.fullmatch(ph)
            out.append(re.escape(r.group(2) * int(r.group(1))))
        elif ph == "<account-concurrency-limit>":
            out.append(re.escape(str(account_limit(ctx))))
        elif ph == "<the full 4083-character value>":
            out.append(re.escape("x" * 4083))
        else:
            raise ValueError(f"unknown placeholder {ph}")
        pos = m.end()
    out.append(re.escape(s[pos:]))
    return "".join(out)


def expected_text(ctx, s):
    """An expected message with every placeholder made concrete."""
    s = REPEAT.sub(lambda m: m.group(2) * int(m.group(1)), s)
    s = s.replace("<the full 4083-character value>", "x" * 4083)
    if "<account-concurrency-limit>" in s:
        s = s.replace("<account-concurrency-limit>", str(account_limit(ctx)))
    for k, x in ctx.values.items():
        s = s.replace(k, x)
    return s


# ---------------------------------------------------------------- comparing

def compare(ctx, exp, act, path, errs):
    """exp is a subset of act: every expected key present with a matching value."""
    if isinstance(exp, dict):
        if not isinstance(act, dict):
            errs.append(f"{path}: expected object, got {act!r}")
            return
        for k, v in exp.items():
            if k not in act:
                errs.append(f"{path}.{k}: missing")
            else:
                compare(ctx, v, act[k], f"{path}.{k}", errs)
    elif isinstance(exp, list):
        if not isinstance(act, list) or len(act) != len(exp):
            errs.append(f"{path}: expected {exp!r}, got {act!r}")
            return
        for i, (e, a) in enumerate(zip(exp, act)):
            compare(ctx, e, a, f"{path}[{i}]", errs)
    elif isinstance(exp, str):
        if exp == "date":
            ok = isinstance(act, str) and re.match(r"\d{4}-\d{2}-\d{2}T", act)
        else:
            ok = isinstance(act, str) and re.fullmatch(expected_regex(ctx, exp), act, re.S)
        if not ok:
            errs.append(f"{path}: expected {exp!r}, got {act!r}")
    elif isinstance(exp, bool) or exp is None:
        if act is not exp:
            errs.append(f"{path}: expected {exp!r}, got {act!r}")
    elif exp != act:
        errs.append(f"{path}: expected {exp!r}, got {act!r}")


def lookup(d, path):
    for p in path.split("."):
        if not isinstance(d, dict) or p not in d:
            return False
        d = d[p]
    return True


def list_all_functions(c, **kw):
    items, marker = [], None
    while True:
        args = dict(kw, **({"Marker": marker} if marker else {}))
        out = c.list_functions(**args)
        items += out["Functions"]
        marker = out.get("NextMarker")
        if not marker:
            return items


def check_success(ctx, case, out, errs):
    exp = case["expected"]["response"]
    out = {k: v for k, v in out.items() if k != "ResponseMetadata"}
    if "Payload" in out:
        raw = out["Payload"].read()
        if isinstance(exp.get("Payload"), dict):
            try:
                out["Payload"] = json.loads(raw)
            except ValueError:
                out["Payload"] = raw.decode(errors="replace")
        else:
            out["Payload"] = raw.decode(errors="replace")
    cid = case["id"]
    if cid == "gf-17":
        # ListFunctions(ALL) spans the whole shared server: look at this
        # case's two functions only; their items carry exactly item_keys.
        mine = [f for f in list_all_functions(ctx.server, FunctionVersion="ALL")
                if f["FunctionName"] in (ctx.fn, ctx.fn + "-2")]
        arns = sorted(f["FunctionArn"] for f in mine)
        want = sorted(expected_text(ctx, a) for a in exp["arns"])
        if arns != want:
            errs.append(f"arns: expected {want}, got {arns}")
        for f in mine:
            if sorted(f) != sorted(exp["item_keys"]):
                errs.append(f"{f['FunctionArn']} keys: expected {exp['item_keys']}, got {sorted(f)}")
        return {"arns": arns, "item_keys": sorted(mine[0]) if mine else []}
    if cid == "rm-06":
        if sorted(out) != sorted(exp["keys"]):
            errs.append(f"keys: expected {sorted(exp['keys'])}, got {sorted(out)}")
        return {"keys": sorted(out)}
    if cid == "fc-16":
        got = {k: sorted(out.get(k, {})) for k in exp}
        for k, keys in exp.items():
            if got[k] != sorted(keys):
                errs.append(f"{k} keys: expected {sorted(keys)}, got {got[k]}")
        return got
    if cid == "pv-05":
        compare(ctx, exp, out.get("Versions"), "Versions", errs)
        return out
    compare(ctx, exp, out, "", errs)
    for p in ABSENT.get(cid, []):
        if lookup(out, p):
            errs.append(f"{p}: must be absent")
    return out


def snake(op):
    return re.sub(r"(?<!^)([A-Z])", r"_\1", op).lower()


def run_case(case, urls):
    ctx = Ctx(case, *(client(u) for u in urls))
    exp = case["expected"]
    result = {"id": case["id"], "expected": exp}
    try:
        SETUPS[case["id"]](ctx)
        req = subst_request(ctx, dict(case["request"], **REQUEST_EXTRA.get(case["id"], {})))
        c = ctx.server
        c.raw.clear()
        errs = []
        try:
            out = getattr(c, snake(case["operation"]))(**req)
            status = out["ResponseMetadata"]["HTTPStatusCode"]
            actual = {"http_status": status}
            if "error_code" in exp:
                errs.append("expected an error, the call succeeded")
            else:
                actual["response"] = check_success(ctx, case, out, errs)
        except botocore.exceptions.ClientError as e:
            r = e.response
            actual = {"http_status": r["ResponseMetadata"]["HTTPStatusCode"],
                      "error_code": r["Error"].get("Code"),
                      "message": r["Error"].get("Message")}
            try:
                body = json.loads(c.raw.get("body") or b"{}")
            except ValueError:
                body = {}
            actual["body_keys"] = sorted(body) if isinstance(body, dict) else None
            if "error_code" not in exp:
                errs.append("expected success, got an error")
            else:
                if actual["error_code"] != exp["error_code"]:
                    errs.append("error code differs")
                if actual["message"] != expected_text(ctx, exp["message"]):
                    errs.append("message differs")
                check_body(exp, body, errs)
        if actual["http_status"] != exp["http_status"]:
            errs.append("HTTP status differs")
        if not errs and case["id"] in NOTE_CHECKS:
            # error cases get the concrete expected error, success cases the response
            arg = out if "error_code" not in exp else dict(exp, message=expected_text(ctx, exp["message"]))
            errs += [f"note: {e}" for e in NOTE_CHECKS[case["id"]](ctx, arg)]
        result.update(actual=actual, why=errs)
        result["pass"] = not errs
    except Exception as e:  # a setup failure is a failure of the case
        result.update({"pass": False, "actual": None,
                       "why": [f"{type(e).__name__}: {e}", traceback.format_exc(limit=3)]})
    return result


def check_body(exp, body, errs):
    """Type and message-key checks on the raw JSON error body."""
    key = exp.get("body_message_key")
    if key is None:
        return
    if "body_Type" in exp:
        if body.get("Type") != exp["body_Type"]:
            errs.append(f"body Type: expected {exp['body_Type']!r}, got {body.get('Type')!r}")
    elif "Type" in body:
        # every case with a body_message_key but no body_Type says "no Type"
        errs.append(f"body has Type {body['Type']!r}, AWS sends none")
    if key in ("message", "Message") and key not in body:
        errs.append(f"body lacks key {key!r}: {sorted(body)}")


def main():
    path, urls = sys.argv[1], sys.argv[2:5]
    only = set(sys.argv[5].split(",")) if len(sys.argv) > 5 and sys.argv[5] else None
    cases = json.load(open(path))["cases"]
    if only:
        cases = [c for c in cases if c["id"] in only]
    missing = [c["id"] for c in cases if c["id"] not in SETUPS]
    lock = threading.Lock()

    def emit(r):
        # bytes (big zips) never reach the output; keep lines readable
        with lock:
            print(json.dumps(r, default=lambda o: f"<{len(o)} bytes>"), flush=True)

    for cid in missing:
        emit({"id": cid, "pass": False, "why": ["no setup written for this case"]})
    cases = [c for c in cases if c["id"] in SETUPS]
    # The huge-body cases run alone at the end so they do not starve the rest.
    big = [c for c in cases if c["id"] in ("cf-09", "cf-10")]
    small = [c for c in cases if c not in big]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for r in pool.map(lambda c: run_case(c, urls), small):
            emit(r)
    for c in big:
        emit(run_case(c, urls))


if __name__ == "__main__":
    main()
