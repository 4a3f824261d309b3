package validate

import (
	"reflect"
	"strings"
	"testing"

	"github.com/lambkin/lambkin/internal/api/model"
)

func ptr[T any](v T) *T { return &v }

// Expected texts come from responses recorded against real AWS
// (../shared/conformance/aws_cases.json ids in the names).
func TestCheckMessages(t *testing.T) {
	fn := ptr("fn")
	cases := []struct {
		name  string
		shape string
		in    any
		want  string
	}{
		{"ufc-01 role pattern", "UpdateFunctionConfigurationRequest",
			&model.UpdateFunctionConfigurationRequest{FunctionName: fn, Role: ptr("r1")},
			`1 validation error detected: Value 'r1' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`},
		{"ufc-22 timeout max", "UpdateFunctionConfigurationRequest",
			&model.UpdateFunctionConfigurationRequest{FunctionName: fn, Timeout: ptr(901)},
			`1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900`},
		{"ufc-24 timeout min", "UpdateFunctionConfigurationRequest",
			&model.UpdateFunctionConfigurationRequest{FunctionName: fn, Timeout: ptr(0)},
			`1 validation error detected: Value '0' at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1`},
		{"ufc-23 memory max", "UpdateFunctionConfigurationRequest",
			&model.UpdateFunctionConfigurationRequest{FunctionName: fn, MemorySize: ptr(20000)},
			`1 validation error detected: Value '20000' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240`},
		{"ufc-13 layer arn", "UpdateFunctionConfigurationRequest",
			&model.UpdateFunctionConfigurationRequest{FunctionName: fn, Layers: []string{"arn:aws:lambda:us-east-1:000000000000:layer:lay"}},
			`1 validation error detected: Value '[arn:aws:lambda:us-east-1:000000000000:layer:lay]' at 'layers' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 2048, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+), Member must not be null]`},
		{"al-02 weight over 1", "CreateAliasRequest",
			&model.CreateAliasRequest{FunctionName: fn, Name: ptr("custom"), FunctionVersion: ptr("1"), RoutingConfig: &model.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 2}}},
			`1 validation error detected: Value '{2=2.0}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]`},
		{"al-03 negative weight", "CreateAliasRequest",
			&model.CreateAliasRequest{FunctionName: fn, Name: ptr("custom"), FunctionVersion: ptr("1"), RoutingConfig: &model.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": -1}}},
			`1 validation error detected: Value '{2=-1.0}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]`},
		{"$LATEST weight key", "CreateAliasRequest",
			&model.CreateAliasRequest{FunctionName: fn, Name: ptr("custom"), FunctionVersion: ptr("1"), RoutingConfig: &model.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"$LATEST": 0.5}}},
			`1 validation error detected: Value '{$LATEST=0.5}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+, Member must not be null]`},
		{"cf-04 two architectures", "CreateFunctionRequest",
			&model.CreateFunctionRequest{FunctionName: fn, Role: ptr("arn:aws:iam::000000000000:role/r"), Code: &model.FunctionCode{}, Architectures: []string{"x86_64", "arm64"}},
			`1 validation error detected: Value '[x86_64, arm64]' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1`},
		{"cf-05 architecture enum", "CreateFunctionRequest",
			&model.CreateFunctionRequest{FunctionName: fn, Role: ptr("arn:aws:iam::000000000000:role/r"), Code: &model.FunctionCode{}, Architectures: []string{"X86_64"}},
			`1 validation error detected: Value '[X86_64]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]`},
		{"cf-19 name pattern", "CreateFunctionRequest",
			&model.CreateFunctionRequest{FunctionName: ptr("my-function!"), Role: ptr("arn:aws:iam::000000000000:role/r"), Code: &model.FunctionCode{}},
			`1 validation error detected: Value 'my-function!' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`},
		{"cf-20 name length", "CreateFunctionRequest",
			&model.CreateFunctionRequest{FunctionName: ptr("my-function:" + strings.Repeat("a", 129)), Role: ptr("arn:aws:iam::000000000000:role/r"), Code: &model.FunctionCode{}},
			`1 validation error detected: Value 'my-function:` + strings.Repeat("a", 129) + `' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 140`},
		{"gf-09 qualifier pattern", "GetFunctionRequest",
			&model.GetFunctionRequest{FunctionName: ptr("my-function"), Qualifier: ptr("invalid!")},
			`1 validation error detected: Value 'invalid!' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: \$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+`},
		{"gf-10 qualifier length", "GetFunctionRequest",
			&model.GetFunctionRequest{FunctionName: ptr("my-function"), Qualifier: ptr(strings.Repeat("a", 129))},
			`1 validation error detected: Value '` + strings.Repeat("a", 129) + `' at 'qualifier' failed to satisfy constraint: Member must have length less than or equal to 128`},
		{"pc-13 provisioned zero", "PutProvisionedConcurrencyConfigRequest",
			&model.PutProvisionedConcurrencyConfigRequest{FunctionName: fn, Qualifier: ptr("1"), ProvisionedConcurrentExecutions: ptr(0)},
			`1 validation error detected: Value '0' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 1`},
		{"rm-03 update mode enum", "PutRuntimeManagementConfigRequest",
			&model.PutRuntimeManagementConfigRequest{FunctionName: fn, UpdateRuntimeOn: ptr("Sometimes")},
			`1 validation error detected: Value 'Sometimes' at 'updateRuntimeOn' failed to satisfy constraint: Member must satisfy enum value set: [Auto, Manual, FunctionUpdate]`},
		{"sensitive environment keys", "UpdateFunctionConfigurationRequest",
			&model.UpdateFunctionConfigurationRequest{FunctionName: fn, Environment: &model.Environment{Variables: map[string]string{"1BAD": "x"}}},
			`1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+, Member must not be null]`},
		{"all-digit alias name", "CreateAliasRequest",
			&model.CreateAliasRequest{FunctionName: fn, Name: ptr("2024"), FunctionVersion: ptr("1")},
			`1 validation error detected: Value '2024' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)`},
		{"missing required members", "CreateAliasRequest",
			&model.CreateAliasRequest{FunctionName: fn},
			`2 validation errors detected: Value null at 'name' failed to satisfy constraint: Member must not be null; Value null at 'functionVersion' failed to satisfy constraint: Member must not be null`},
		{"list of structures path", "UpdateFunctionConfigurationRequest",
			&model.UpdateFunctionConfigurationRequest{FunctionName: fn, FileSystemConfigs: []model.FileSystemConfig{{Arn: ptr("arn:aws:elasticfilesystem:us-east-1:000000000000:access-point/fsap-0123456789abcdef0"), LocalMountPath: ptr("/data")}}},
			`1 validation error detected: Value '/data' at 'fileSystemConfigs.1.member.localMountPath' failed to satisfy constraint: Member must satisfy regular expression pattern: /mnt/[a-zA-Z0-9-_.]+`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.shape, tc.in)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if err.Code != "ValidationException" || err.Status != 400 || err.Type != "" {
				t.Errorf("code/status/type = %s/%d/%q", err.Code, err.Status, err.Type)
			}
			if err.Message != tc.want {
				t.Errorf("message\n got: %s\nwant: %s", err.Message, tc.want)
			}
		})
	}
}

func TestCheckAcceptsValidInput(t *testing.T) {
	in := &model.CreateAliasRequest{FunctionName: ptr("arn:aws:lambda:us-east-1:000000000000:function:fn"), Name: ptr("live"), FunctionVersion: ptr("$LATEST"),
		RoutingConfig: &model.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.25}}}
	if err := Check("CreateAliasRequest", in); err != nil {
		t.Fatalf("unexpected %v", err)
	}
}

func TestJavaDouble(t *testing.T) {
	for in, want := range map[float64]string{2: "2.0", -1: "-1.0", 0.5: "0.5", 0: "0.0", 1e-5: "1.0E-5", 12345678: "1.2345678E7", 0.001: "0.001"} {
		if got := javaDouble(in); got != want {
			t.Errorf("javaDouble(%v) = %q, want %q", in, got, want)
		}
	}
}

// Generated structs must carry their members as fields in model order:
// the checker relies on field i being member i.
func TestGeneratedFieldsFollowMembers(t *testing.T) {
	for name, mk := range model.New {
		s := model.Shape(name)
		typ := reflectTypeOf(mk())
		if typ.NumField() != len(s.Members) {
			t.Fatalf("%s: %d fields, %d members", name, typ.NumField(), len(s.Members))
		}
		for i, m := range s.Members {
			if typ.Field(i).Name != m.GoName {
				t.Fatalf("%s: field %d is %s, member is %s", name, i, typ.Field(i).Name, m.GoName)
			}
		}
	}
}

func reflectTypeOf(v any) reflect.Type { return reflect.TypeOf(v).Elem() }
