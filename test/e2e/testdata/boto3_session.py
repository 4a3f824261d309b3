"""boto3 session against lambkin: waiters, versions and aliases.

usage: boto3_session.py ENDPOINT FUNCTION ZIP1 ZIP2
Prints one JSON object with timings on success; exits non-zero (with a
message on stderr) when anything is off.
"""
import json
import sys
import time

import boto3
import botocore.exceptions
from botocore.config import Config

endpoint, fn, zip1, zip2 = sys.argv[1:5]
client = boto3.client(
    "lambda",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="x",
    aws_secret_access_key="x",
    config=Config(retries={"max_attempts": 1, "mode": "standard"}),
)
role = "arn:aws:iam::000000000000:role/lambda-role"
timings = {}


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def waiter(name, **kwargs):
    t0 = time.monotonic()
    w = client.get_waiter(name)
    w.wait(**kwargs, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    return time.monotonic() - t0


with open(zip1, "rb") as f:
    code1 = f.read()
with open(zip2, "rb") as f:
    code2 = f.read()

# function_exists: a missing function never "exists".
try:
    client.get_waiter("function_exists").wait(
        FunctionName=fn, WaiterConfig={"Delay": 0.1, "MaxAttempts": 2})
    raise AssertionError("function_exists succeeded for a missing function")
except botocore.exceptions.WaiterError:
    pass

created = client.create_function(
    FunctionName=fn, Runtime="python3.12", Role=role,
    Handler="lambda_function.handler", Code={"ZipFile": code1})
check(created["ResponseMetadata"]["HTTPStatusCode"] == 201, "create status")
check(created["State"] == "Pending", f"created State {created['State']}, want Pending")
timings["exists"] = waiter("function_exists", FunctionName=fn)
cfg = client.get_function_configuration(FunctionName=fn)
check(cfg["State"] == "Pending", f"State right after create: {cfg['State']}")
# Pending functions refuse updates.
try:
    client.update_function_configuration(FunctionName=fn, Description="too early")
    raise AssertionError("update of a Pending function succeeded")
except client.exceptions.ResourceConflictException:
    pass
timings["active_v2"] = waiter("function_active_v2", FunctionName=fn)
cfg = client.get_function_configuration(FunctionName=fn)
check(cfg["State"] == "Active", f"State after function_active_v2: {cfg['State']}")
check(cfg["LastUpdateStatus"] == "Successful", f"LastUpdateStatus {cfg.get('LastUpdateStatus')}")

upd = client.update_function_configuration(FunctionName=fn, Description="two", Timeout=9)
check(upd["LastUpdateStatus"] == "InProgress", f"update LastUpdateStatus {upd.get('LastUpdateStatus')}")
check(upd["Description"] == "two" and upd["Timeout"] == 9, "update echo")
timings["updated_v2"] = waiter("function_updated_v2", FunctionName=fn)
cfg = client.get_function_configuration(FunctionName=fn)
check(cfg["LastUpdateStatus"] == "Successful", f"after function_updated_v2: {cfg.get('LastUpdateStatus')}")

v1 = client.publish_version(FunctionName=fn, Description="version one")
check(v1["Version"] == "1", f"first version {v1['Version']}")
again = client.publish_version(FunctionName=fn)
check(again["Version"] == "1", f"publishing an unchanged $LATEST gave {again['Version']}")

uc = client.update_function_code(FunctionName=fn, ZipFile=code2, Publish=True)
check(uc["Version"] == "2", f"update_function_code Publish=True Version {uc['Version']}")
timings["updated_v2_code"] = waiter("function_updated_v2", FunctionName=fn)
v2 = client.get_function_configuration(FunctionName=fn, Qualifier="2")
check(v2["State"] == "Active", f"version 2 State {v2['State']}")
versions = [v["Version"] for v in client.list_versions_by_function(FunctionName=fn)["Versions"]]
check(versions == ["$LATEST", "1", "2"], f"versions {versions}")

alias = client.create_alias(
    FunctionName=fn, Name="live", FunctionVersion="1",
    RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
check(alias["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.5}, f"alias {alias}")
got = client.get_alias(FunctionName=fn, Name="live")
check(got["AliasArn"] == alias["AliasArn"] and got["RevisionId"] == alias["RevisionId"], "get_alias")
try:
    client.update_alias(FunctionName=fn, Name="live", FunctionVersion="2", RevisionId="stale")
    raise AssertionError("update_alias with a wrong RevisionId succeeded")
except client.exceptions.PreconditionFailedException:
    pass
moved = client.update_alias(FunctionName=fn, Name="live", FunctionVersion="2",
                            RoutingConfig={"AdditionalVersionWeights": {}},
                            RevisionId=alias["RevisionId"])
check(moved["FunctionVersion"] == "2", f"update_alias {moved}")
check(not moved.get("RoutingConfig", {}).get("AdditionalVersionWeights"), f"routing left: {moved}")
aliases = client.list_aliases(FunctionName=fn)["Aliases"]
check([a["Name"] for a in aliases] == ["live"], f"aliases {aliases}")
inv = client.invoke(FunctionName=fn, Qualifier="live", Payload=b'{"k": "v"}')
body = json.loads(inv["Payload"].read())
check(inv["StatusCode"] == 200 and "FunctionError" not in inv, f"invoke {inv}")
check(inv["ExecutedVersion"] == "2" and body["code"] == 2 and body["echo"] == {"k": "v"}, f"invoke live {inv} {body}")
# Deleting a version an alias points to is refused.
try:
    client.delete_function(FunctionName=fn, Qualifier="2")
    raise AssertionError("deleted a version an alias uses")
except client.exceptions.ResourceConflictException:
    pass
client.delete_alias(FunctionName=fn, Name="live")
try:
    client.get_alias(FunctionName=fn, Name="live")
    raise AssertionError("alias still there after delete_alias")
except client.exceptions.ResourceNotFoundException:
    pass

client.delete_function(FunctionName=fn)
try:
    client.get_function(FunctionName=fn)
    raise AssertionError("function still there after delete_function")
except client.exceptions.ResourceNotFoundException:
    pass
print(json.dumps(timings))
