package lambda

import (
	"bytes"
	"encoding/json"
	"regexp"
	"sort"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/store"
)

// settings are the configuration parameters CreateFunction and
// UpdateFunctionConfiguration share. A nil field leaves the setting as it
// is (or at its default on create).
type settings struct {
	Role, Handler, Description, Runtime, KMSKeyArn *string
	Timeout, MemorySize                            *int
	VpcConfig                                      *model.VpcConfig
	Environment                                    *model.Environment
	DeadLetterConfig                               *model.DeadLetterConfig
	TracingConfig                                  *model.TracingConfig
	Layers                                         []string // nil: unchanged; empty: none
	FileSystemConfigs                              []model.FileSystemConfig
	ImageConfig                                    *model.ImageConfig
	EphemeralStorage                               *model.EphemeralStorage
	SnapStart                                      *model.SnapStart
	LoggingConfig                                  *model.LoggingConfig
	// Features lambkin does not run; set when the request carries them.
	CapacityProvider, Durable, Tenancy bool
}

func createSettings(in *model.CreateFunctionRequest) settings {
	return settings{
		Role: in.Role, Handler: in.Handler, Description: in.Description, Runtime: in.Runtime, KMSKeyArn: in.KMSKeyArn,
		Timeout: in.Timeout, MemorySize: in.MemorySize, VpcConfig: in.VpcConfig, Environment: in.Environment,
		DeadLetterConfig: in.DeadLetterConfig, TracingConfig: in.TracingConfig, Layers: in.Layers,
		FileSystemConfigs: in.FileSystemConfigs, ImageConfig: in.ImageConfig, EphemeralStorage: in.EphemeralStorage,
		SnapStart: in.SnapStart, LoggingConfig: in.LoggingConfig,
		CapacityProvider: in.CapacityProviderConfig != nil, Durable: in.DurableConfig != nil, Tenancy: in.TenancyConfig != nil,
	}
}

func updateSettings(in *model.UpdateFunctionConfigurationRequest) settings {
	return settings{
		Role: in.Role, Handler: in.Handler, Description: in.Description, Runtime: in.Runtime, KMSKeyArn: in.KMSKeyArn,
		Timeout: in.Timeout, MemorySize: in.MemorySize, VpcConfig: in.VpcConfig, Environment: in.Environment,
		DeadLetterConfig: in.DeadLetterConfig, TracingConfig: in.TracingConfig, Layers: in.Layers,
		FileSystemConfigs: in.FileSystemConfigs, ImageConfig: in.ImageConfig, EphemeralStorage: in.EphemeralStorage,
		SnapStart: in.SnapStart, LoggingConfig: in.LoggingConfig,
		CapacityProvider: in.CapacityProviderConfig != nil, Durable: in.DurableConfig != nil,
	}
}

// defaultConfiguration is a new function's configuration before its
// settings apply: AWS's defaults (cf-21).
func defaultConfiguration(name, packageType string) model.FunctionConfiguration {
	return model.FunctionConfiguration{
		FunctionName:     ptr(name),
		Description:      ptr(""),
		Timeout:          ptr(3),
		MemorySize:       ptr(128),
		Version:          ptr(latest),
		TracingConfig:    &model.TracingConfigResponse{Mode: ptr("PassThrough")},
		PackageType:      ptr(packageType),
		Architectures:    []string{"x86_64"},
		EphemeralStorage: &model.EphemeralStorage{Size: ptr(512)},
		SnapStart:        &model.SnapStartResponse{ApplyOn: ptr("None"), OptimizationStatus: ptr("Off")},
		LoggingConfig:    &model.LoggingConfig{LogFormat: ptr("Text"), LogGroup: ptr("/aws/lambda/" + name)},
	}
}

// apply checks st against c (the configuration it changes) and writes it
// into c. It changes c only when every check passes; the caller passes a
// copy it may discard.
func (s *Service) apply(tx store.Tx, sc Scope, c *model.FunctionConfiguration, st settings) error {
	switch {
	case st.CapacityProvider:
		return errUnsupportedFeature("CapacityProviderConfig", "Lambda Managed Instances capacity providers")
	case st.Durable:
		return errUnsupportedFeature("DurableConfig", "durable functions")
	case st.Tenancy:
		return errUnsupportedFeature("TenancyConfig", "tenant isolation mode")
	}
	image := deref(c.PackageType) == "Image"
	if st.Runtime != nil {
		if image {
			return errImageWithRuntime()
		}
		if err := checkRuntime(*st.Runtime); err != nil {
			return err
		}
	}
	if st.ImageConfig != nil && !image {
		return errImageConfigForZip()
	}
	if st.Environment != nil {
		if err := s.checkEnvironment(st.Environment.Variables); err != nil {
			return err
		}
	}
	if st.DeadLetterConfig != nil {
		if arn := deref(st.DeadLetterConfig.TargetArn); arn != "" && !deadLetterServiceRE.MatchString(arn) {
			return errDeadLetterTarget(arn)
		}
	}
	logging, err := mergeLogging(c.LoggingConfig, st.LoggingConfig)
	if err != nil {
		return err
	}
	layers := c.Layers
	if st.Layers != nil {
		if layers, err = resolveLayers(tx, sc, st.Layers); err != nil {
			return err
		}
	}

	setString(&c.Role, st.Role)
	setString(&c.Handler, st.Handler)
	setString(&c.Description, st.Description)
	setString(&c.Runtime, st.Runtime)
	if st.Timeout != nil {
		c.Timeout = st.Timeout
	}
	if st.MemorySize != nil {
		c.MemorySize = st.MemorySize
	}
	if st.VpcConfig != nil {
		c.VpcConfig = vpcResponse(st.VpcConfig)
	}
	if st.Environment != nil {
		c.Environment = &model.EnvironmentResponse{Variables: nonNilMap(st.Environment.Variables)}
	}
	if st.DeadLetterConfig != nil {
		c.DeadLetterConfig = nil
		if arn := deref(st.DeadLetterConfig.TargetArn); arn != "" {
			c.DeadLetterConfig = &model.DeadLetterConfig{TargetArn: ptr(arn)}
		}
	}
	if st.KMSKeyArn != nil {
		c.KMSKeyArn = nil
		if *st.KMSKeyArn != "" {
			c.KMSKeyArn = st.KMSKeyArn
		}
	}
	if st.TracingConfig != nil && st.TracingConfig.Mode != nil {
		c.TracingConfig = &model.TracingConfigResponse{Mode: st.TracingConfig.Mode}
	}
	c.Layers = layers
	if st.FileSystemConfigs != nil {
		c.FileSystemConfigs = st.FileSystemConfigs
		if len(c.FileSystemConfigs) == 0 {
			c.FileSystemConfigs = nil
		}
	}
	if st.ImageConfig != nil {
		c.ImageConfigResponse = &model.ImageConfigResponse{ImageConfig: st.ImageConfig}
	}
	if st.EphemeralStorage != nil {
		c.EphemeralStorage = st.EphemeralStorage
	}
	if st.SnapStart != nil {
		c.SnapStart = &model.SnapStartResponse{ApplyOn: ptr(orDefault(st.SnapStart.ApplyOn, "None")), OptimizationStatus: ptr("Off")}
	}
	c.LoggingConfig = logging
	return checkSnapStart(c)
}

// reservedEnvironmentKeys are set by Lambda itself and cannot be overridden.
var reservedEnvironmentKeys = []string{
	"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}

// checkEnvironment applies the reserved-key rule and the 4 KB limit, which
// AWS measures over the compact JSON of the variables (cf-08).
func (s *Service) checkEnvironment(vars map[string]string) error {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var reserved []string
	for _, k := range keys {
		if contains(reservedEnvironmentKeys, k) {
			reserved = append(reserved, k)
		}
	}
	if len(reserved) > 0 {
		return errEnvironmentReservedKeys(reserved)
	}
	measured := compactJSON(keys, vars)
	if len(measured) > s.cfg.Limits.EnvironmentVariableMax {
		return errEnvironmentTooLarge(measured)
	}
	return nil
}

// compactJSON renders the variables as {"K":"V",...} without spaces or HTML
// escaping.
func compactJSON(keys []string, vars map[string]string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		enc.Encode(k)
		b.Truncate(b.Len() - 1) // Encode appends a newline
		b.WriteByte(':')
		enc.Encode(vars[k])
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('}')
	return b.String()
}

// mergeLogging applies a LoggingConfig update: given members replace, JSON
// fills missing levels with INFO and Text drops them (ufc-14, ufc-17).
func mergeLogging(cur, in *model.LoggingConfig) (*model.LoggingConfig, error) {
	out := model.LoggingConfig{}
	if cur != nil {
		out = *cur
	}
	if in == nil {
		return &out, nil
	}
	if in.LogFormat != nil {
		out.LogFormat = in.LogFormat
	}
	if in.LogGroup != nil {
		out.LogGroup = in.LogGroup
	}
	if deref(out.LogFormat) == "Text" {
		if in.ApplicationLogLevel != nil || in.SystemLogLevel != nil {
			return nil, errLogLevelWithText()
		}
		out.ApplicationLogLevel, out.SystemLogLevel = nil, nil
		return &out, nil
	}
	if in.ApplicationLogLevel != nil {
		out.ApplicationLogLevel = in.ApplicationLogLevel
	}
	if in.SystemLogLevel != nil {
		out.SystemLogLevel = in.SystemLogLevel
	}
	if out.ApplicationLogLevel == nil {
		out.ApplicationLogLevel = ptr("INFO")
	}
	if out.SystemLogLevel == nil {
		out.SystemLogLevel = ptr("INFO")
	}
	return &out, nil
}

// checkSnapStart enforces where SnapStart may be turned on: supported
// runtimes only, and not with EFS or /tmp over 512 MB (provisioned
// concurrency is refused on SnapStart versions where it is configured).
func checkSnapStart(c *model.FunctionConfiguration) error {
	if !snapStartOn(c) {
		return nil
	}
	if rt := deref(c.Runtime); !contains(snapStartRuntimes, rt) {
		return errSnapStartRuntime(rt)
	}
	if len(c.FileSystemConfigs) > 0 {
		return errSnapStartWith("Amazon EFS file systems")
	}
	if c.EphemeralStorage != nil && deref(c.EphemeralStorage.Size) > 512 {
		return errSnapStartWith("ephemeral storage larger than 512 MB")
	}
	return nil
}

func snapStartOn(c *model.FunctionConfiguration) bool {
	return c.SnapStart != nil && deref(c.SnapStart.ApplyOn) == "PublishedVersions"
}

// deadLetterServiceRE accepts the dead-letter targets Lambda supports: an
// SQS queue or an SNS topic.
var deadLetterServiceRE = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:(sqs|sns):`)

// vpcResponse is the VpcConfig a function reports. lambkin has no EC2 to
// look subnets up in, so VpcId stays empty.
func vpcResponse(in *model.VpcConfig) *model.VpcConfigResponse {
	allow := false
	if in.Ipv6AllowedForDualStack != nil {
		allow = *in.Ipv6AllowedForDualStack
	}
	return &model.VpcConfigResponse{
		SubnetIds:               nonNilSlice(in.SubnetIds),
		SecurityGroupIds:        nonNilSlice(in.SecurityGroupIds),
		VpcId:                   ptr(""),
		Ipv6AllowedForDualStack: ptr(allow),
	}
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func setString(dst **string, v *string) {
	if v != nil {
		*dst = v
	}
}

func orDefault(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}

func nonNilSlice(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
