package lambda

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/awserr"
)

// Every error message lambkin sends is built here, worded as AWS words it.
// Where a text was recorded from real AWS, the conformance case id or the
// source is named; anything else is lambkin's own honest wording.

func errFunctionNotFound(arn string) error {
	return awserr.NotFound("Function not found: " + arn)
}

func errOtherRegion(arnRegion, region string) error {
	return awserr.NotFound(fmt.Sprintf("Functions from '%s' are not reachable in this region ('%s')", arnRegion, region))
}

func errQualifierMismatch() error {
	return awserr.InvalidParameter("The derived qualifier from the function name does not match the specified qualifier.")
}

// errNameTooLong is the create-time check of a bare name's length; AWS sends
// it as an InvalidParameterValueException in validation grammar.
func errNameTooLong(name string) error {
	return awserr.InvalidParameter(fmt.Sprintf("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64", name))
}

// errQualifiedCreate answers a CreateFunction whose name carries a qualifier.
func errQualifiedCreate() error {
	return awserr.InvalidParameter("A function name with a version or alias qualifier cannot be used to create a function.")
}

// errFunctionExists is cf-23.
func errFunctionExists(name string) error {
	return awserr.Conflict("Function already exist: " + name)
}

// errUnknownRuntime is ufc-02/cf-03: the value is not quoted and the list is
// the service's own order.
func errUnknownRuntime(runtime string) error {
	return awserr.InvalidParameter(fmt.Sprintf("Value %s at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [%s] or be a valid ARN",
		runtime, strings.Join(acceptedRuntimes, ", ")))
}

// errDeprecatedRuntime is cf-07.
func errDeprecatedRuntime(runtime string) error {
	return awserr.InvalidParameter(fmt.Sprintf("The runtime parameter of %s is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.", runtime))
}

func errRuntimeAndHandlerRequired() error {
	return awserr.InvalidParameter("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
}

func errImageWithRuntime() error {
	return awserr.InvalidParameter("Runtime and Handler are not supported for functions created with container images.")
}

func errImageConfigForZip() error {
	return awserr.InvalidParameter("ImageConfig is not supported for functions created with deployment packages.")
}

// errEnvironmentTooLarge is cf-08: the message echoes the measured JSON.
func errEnvironmentTooLarge(measured string) error {
	return awserr.InvalidParameter("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: " + measured)
}

func errEnvironmentReservedKeys(keys []string) error {
	return awserr.InvalidParameter("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: " + strings.Join(keys, ", "))
}

// errZipTooLarge is cf-09: 413, message only.
func errZipTooLarge(limit int64) error {
	return &awserr.Error{Code: "RequestEntityTooLargeException", Status: http.StatusRequestEntityTooLarge,
		Message: fmt.Sprintf("Zipped size must be smaller than %d bytes", limit)}
}

// errUnzippedTooLarge is cf-11.
func errUnzippedTooLarge(limit int64) error {
	return awserr.InvalidParameter(fmt.Sprintf("Unzipped size must be smaller than %d bytes", limit))
}

func errCombinedTooLarge(limit, actual int64) error {
	return awserr.InvalidParameter(fmt.Sprintf("Function code combined with layers exceeds the maximum allowed size of %d bytes. The actual size is %d bytes.", limit, actual))
}

func errBadZip() error {
	return awserr.InvalidParameter("Could not unzip uploaded file. Please check your file, then try to upload again.")
}

// errNoSuchBucket is cf-12. lambkin holds no S3 buckets, so every bucket is
// one that does not exist.
func errNoSuchBucket() error {
	return awserr.InvalidParameter("Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does not exist")
}

func errNoCodeSource() error {
	return awserr.InvalidParameter("Please provide a source for function code.")
}

// errContainerImages answers image-based code: lambkin has no container
// runtime to pull or run images.
func errImageUpdateForZip() error {
	return awserr.InvalidParameter("Please don't provide ImageUri when updating a function with packageType Zip.")
}

// errZipUpdateForImage is ufcode-05.
func errZipUpdateForImage() error {
	return awserr.InvalidParameter("Please provide ImageUri when updating a function with packageType Image.")
}

func errCodeSigningConfigNotFound(arn string) error {
	return &awserr.Error{Code: "CodeSigningConfigNotFoundException", Status: http.StatusNotFound, Type: "User", UpperMessage: true,
		Message: "Code signing configuration not found: " + arn}
}

// errUnsupportedFeature answers configuration for features lambkin does not
// run (capacity providers, durable functions, tenancy isolation), rather
// than storing settings that would silently have no effect.
func errUnsupportedFeature(param, feature string) error {
	return awserr.InvalidParameter(fmt.Sprintf("%s is not supported by lambkin: it does not implement %s.", param, feature))
}

// errRevisionMismatch is ufc-04, ufcode-01, pv-02, al-16.
func errRevisionMismatch() error {
	return awserr.PreconditionFailed("The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
}

// errUpdateInProgress is ufcode-02: the ARN is unqualified.
func errUpdateInProgress(arn string) error {
	return awserr.Conflict("The operation cannot be performed at this time. An update is in progress for resource: " + arn)
}

// errNotReadyForUpdate answers updates and publishes while the function is
// Pending (or in another non-Active state).
func errNotReadyForUpdate(arn, state, reasonCode string) error {
	return awserr.Conflict(fmt.Sprintf("The operation cannot be performed at this time. The resource %s is currently in the following state: '%s'. StateReasonCode: '%s'", arn, state, reasonCode))
}

func errPublishedVersionImmutable() error {
	return awserr.InvalidParameter("Published versions are immutable: only the unpublished version ($LATEST) can be updated.")
}

// errDeleteLatest and errDeleteAlias are the DeleteFunction qualifier checks (df-05).
func errDeleteLatest() error {
	return awserr.InvalidParameter("$LATEST version cannot be deleted without deleting the function.")
}

func errDeleteAlias() error {
	return awserr.InvalidParameter("Deletion of aliases is not currently supported.")
}

func errLogLevelWithText() error {
	return awserr.InvalidParameter(`LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request or change the LogFormat to "JSON" and try again.`)
}

func errSnapStartRuntime(runtime string) error {
	return awserr.InvalidParameter(runtime + " is not supported for SnapStart enabled functions.")
}

func errInvalidMarker() error {
	return awserr.InvalidParameter("Invalid pagination token or marker.")
}

// errQualifiedName answers operations that need the function itself, not
// a version or alias.
func errQualifiedName() error {
	return awserr.InvalidParameter("This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.")
}

// errConcurrencyOnQualified is fc-03.
func errConcurrencyOnQualified() error { return errQualifiedName() }

func errCodeShaMismatch(given, actual string) error {
	return awserr.InvalidParameter(fmt.Sprintf("CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again with the CodeSHA256 in $LATEST.", given, actual))
}

func errVersionInUse(aliases []string) error {
	return awserr.Conflict("Unable to delete version because the following aliases reference it: [" + strings.Join(aliases, ", ") + "]")
}

func errResourceNotFound() error {
	return awserr.NotFound("The resource you requested does not exist.")
}

// Aliases (al-*).

func errAliasExists(arn string) error { return awserr.Conflict("Alias already exists: " + arn) }

func errAliasNotFound(arn string) error { return awserr.NotFound("Cannot find alias arn: " + arn) }

// errAliasUpdateNotFound is al-14: UpdateAlias words it differently from GetAlias.
func errAliasUpdateNotFound(arn string) error { return awserr.NotFound("Alias not found: " + arn) }

func errTooManyWeights() error {
	return awserr.InvalidParameter("Number of items in AdditionalVersionWeights cannot be greater than 1")
}

// errLatestWithWeights is al-07: message only, no Type.
func errLatestWithWeights() error {
	return awserr.InvalidParameterNoType("$LATEST is not supported for an alias pointing to more than 1 version")
}

func errVersionAlreadyRouted(version string) error {
	return awserr.InvalidParameter(fmt.Sprintf("Invalid function version %s. Function version %s is already included in routing configuration.", version, version))
}

// Layers.

func errLayerResourceNotFound() error { return errResourceNotFound() }

func errLayerVersionBelowOne() error {
	return awserr.InvalidParameter("Layer Version Cannot be less than 1")
}

func errTooManyLayers() error { return awserr.InvalidParameter("Cannot reference more than 5 layers.") }

// errLayerVersionMissing is the function-side check: a 400, not a 404.
func errLayerVersionMissing(arn string) error {
	return awserr.InvalidParameter(fmt.Sprintf("Layer version %s does not exist.", arn))
}

// errLayerOtherRegion is cf-15.
func errLayerOtherRegion(region string) error {
	return awserr.InvalidParameter(fmt.Sprintf("Layers are not in the same region as the function. Layers are expected to be in region %s.", region))
}

func errLayerTwoVersions(a, b string) error {
	return awserr.InvalidParameter(fmt.Sprintf("Two different versions of the same layer are not allowed to be referenced in the same function. %s and %s are versions of the same layer.", a, b))
}

func errLayerVersionNotFound(arn string) error {
	return awserr.NotFound(fmt.Sprintf("Layer version %s does not exist.", arn))
}

// Resource policies.

func errPolicyOnLatest() error {
	return awserr.InvalidParameter("We currently do not support adding policies for $LATEST.")
}

func errInvalidPrincipal() error {
	return awserr.InvalidParameter("The provided principal was invalid. Please check the principal and try again.")
}

func errPolicyRevisionMismatch() error {
	return awserr.PreconditionFailed("The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id")
}

func errLayerPolicyRevisionMismatch() error {
	return awserr.PreconditionFailed("The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id")
}

func errStatementExists(sid string) error {
	return awserr.Conflict(fmt.Sprintf("The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", sid))
}

func errPolicyTooLarge(size, limit int) error {
	return awserr.User(http.StatusBadRequest, "PolicyLengthExceededException", fmt.Sprintf("The final policy size (%d) is bigger than the limit (%d).", size, limit))
}

func errNoPolicyAssociated() error {
	return awserr.NotFound("No policy is associated with the given resource.")
}

func errStatementNotFound(sid string) error {
	return awserr.NotFound(fmt.Sprintf("Statement %s is not found in resource policy.", sid))
}

func errNoPolicyFound(arn string) error { return awserr.NotFound("No policy found for: " + arn) }

// Tags.

func errTooManyTags() error {
	return awserr.InvalidParameter("Number of tags exceeds resource tag limit.")
}

func errReservedTagKey(key string) error {
	return awserr.InvalidParameter(fmt.Sprintf("The tag key %s is not allowed: keys beginning with aws: are reserved for use by AWS.", key))
}

func errTagsOnQualified() error {
	return awserr.InvalidParameter("Tags on function aliases and versions are not supported. Please specify a function ARN.")
}

func errEmptyTags() error {
	return awserr.InvalidParameter("An error occurred and the request cannot be processed.")
}

// Concurrency (fc-*, pc-*): the quota messages carry no Type.

func errReservedBelowProvisioned(reserved, provisioned int) error {
	return awserr.InvalidParameterNoType(fmt.Sprintf(" ReservedConcurrentExecutions  %d should not be lower than function's total provisioned concurrency [%d].", reserved, provisioned))
}

func errReservedBelowUnreservedMinimum(min int) error {
	return awserr.InvalidParameterNoType(fmt.Sprintf("Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [%d].", min))
}

func errProvisionedOnUnpublished() error {
	return awserr.InvalidParameter("Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
}

func errNotAliasOrVersion() error {
	return awserr.InvalidParameter("The function resource provided must be an alias or a published version.")
}

func errProvisionedConfigNotFound() error {
	return awserr.User(http.StatusNotFound, "ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function")
}

func errProvisionedWeightedAlias() error {
	return awserr.InvalidParameter("Alias with weights can not be used with Provisioned Concurrency")
}

func errProvisionedVersionAlreadyProvisioned() error {
	return awserr.Conflict("Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version")
}

func errProvisionedVersionPointedByAlias() error {
	return awserr.Conflict("Version is pointed by a Provisioned Concurrency alias")
}

func errProvisionedOverReserved() error {
	return awserr.InvalidParameter("Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function")
}

func errProvisionedOverUnreserved(unreserved int) error {
	return awserr.InvalidParameterNoType(fmt.Sprintf("Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [%d].", unreserved))
}

func errProvisionedBelowUnreservedMinimum(min int) error {
	return awserr.InvalidParameterNoType(fmt.Sprintf("Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [%d].", min))
}

// Runtime management.

func errManualBlocksRuntimeChange() error {
	return awserr.InvalidParameter("The runtime or architecture of a function cannot be changed while the runtime update mode of $LATEST is Manual. Set UpdateRuntimeOn to Auto or FunctionUpdate first.")
}

func errManualNeedsARN() error {
	return awserr.InvalidParameter("RuntimeVersionArn is required when UpdateRuntimeOn is Manual.")
}

func errARNOnlyForManual() error {
	return awserr.InvalidParameter("RuntimeVersionArn can only be specified when UpdateRuntimeOn is Manual.")
}

func errRuntimeConfigForImage() error {
	return awserr.InvalidParameter("Runtime management configuration is not supported for functions with package type Image.")
}

func errUnknownRuntimeVersion(arn, runtime string) error {
	return awserr.InvalidParameter(fmt.Sprintf("The runtime version %s is not a version of %s known to this lambkin. Run `lambkin runtimes list` to see the versions of each runtime.", arn, runtime))
}

func errAliasNotAllowed(arn string) error {
	return awserr.InvalidParameter(fmt.Sprintf("The provided function name %s is invalid. Aliases are not allowed.", arn))
}

func errRuntimeUnavailable(runtime string) error {
	return awserr.Service(fmt.Sprintf("The runtime %s has no runtime version lambkin can run.", runtime))
}

// Event invoke configs.

func errEventInvokeEmpty() error {
	return awserr.InvalidParameter("You must specify at least one of error handling or destination setting.")
}

func errNoEventInvokeConfig(arn string) error {
	return awserr.NotFound(fmt.Sprintf("The function %s doesn't have an EventInvokeConfig", arn))
}

func errFunctionDoesntExist() error { return awserr.NotFound("The function doesn't exist.") }

func errInvalidDestinationConfig(d *model.DestinationConfig) error {
	return awserr.InvalidParameter(fmt.Sprintf("The provided destination config %s is invalid.", renderDestinationConfig(d)))
}

func errSelfDestination() error {
	return awserr.InvalidParameter("You can't specify the function as a destination for itself.")
}

func errInvalidDestination(arn string) error {
	return awserr.InvalidParameter(fmt.Sprintf("The destination ARN %s is invalid.", arn))
}

// Function URLs.

func errFunctionDoesNotExist() error { return awserr.NotFound("Function does not exist") }

func errURLConfigExists(arn string) error {
	return awserr.Conflict(fmt.Sprintf("Failed to create function url config for [functionArn = %s]. Error message:  FunctionUrlConfig exists for this Lambda function", arn))
}

// Invoke.

// errNotInvocable is inv-13: invoking a function that is not Active.
func errNotInvocable(state string) error {
	return awserr.Conflict("The operation cannot be performed at this time. The function is currently in the following state: " + state)
}

func errAsyncPayloadTooLarge(size, limit int) error {
	return &awserr.Error{Code: "RequestEntityTooLargeException", Status: http.StatusRequestEntityTooLarge,
		Message: fmt.Sprintf("%d byte payload is too large for the Event invocation type (limit %d bytes)", size, limit)}
}

func errPayloadNotJSON(detail string) error {
	return awserr.User(http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: Could not parse payload into json: "+detail)
}

func errClientContextTooLarge(limit int) error {
	return awserr.InvalidParameter(fmt.Sprintf("Client context must be at most %d bytes.", limit))
}

func errClientContextInvalid() error {
	return awserr.InvalidParameter("Client context must be a valid Base64-encoded JSON object.")
}

func errSnapStartWith(feature string) error {
	return awserr.InvalidParameter("SnapStart cannot be enabled on functions that use " + feature + ".")
}

func errProvisionedWithSnapStart() error {
	return awserr.InvalidParameter("Provisioned Concurrency cannot be configured on a function version with SnapStart enabled.")
}

func errDeadLetterTarget(arn string) error {
	return awserr.InvalidParameter(fmt.Sprintf("The target ARN %s of the dead-letter queue is invalid: it must be an Amazon SQS queue or an Amazon SNS topic.", arn))
}
