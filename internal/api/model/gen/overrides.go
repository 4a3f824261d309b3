package main

// The live Lambda service enforces some constraints differently from the
// published botocore model. Each override below is backed by a response
// recorded from real AWS (the case id in ../shared/conformance/aws_cases.json
// is named) and is applied to the model before code is generated, so the
// generated tables describe the service as it answers.

type override struct {
	shape   string
	pattern *string
	max     *float64
	noEnum  bool // the service checks this enum itself, with its own message
	why     string
}

func str(s string) *string   { return &s }
func num(f float64) *float64 { return &f }

var overrides = []override{
	{
		shape:   "FunctionName",
		pattern: str(`(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`),
		why:     "cf-19: the service's pattern admits the eusc- region prefix",
	},
	{
		shape:   "NamespacedFunctionName",
		pattern: str(`(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?`),
		why:     "inv-03: the service's pattern admits the eusc- region prefix",
	},
	{
		shape:   "LayerVersionArn",
		pattern: str(`(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)`),
		max:     num(2048),
		why:     "ufc-13: layer ARNs are checked against the service's own pattern and length",
	},
	{
		shape: "Timeout",
		max:   num(900),
		why:   "ufc-22: Timeout is at most 900 seconds",
	},
	{
		shape: "MemorySize",
		max:   num(10240),
		why:   "ufc-23: MemorySize is at most 10240 MB for functions without a capacity provider",
	},
	{
		shape:  "Runtime",
		noEnum: true,
		why:    "ufc-02, cf-03: an unknown runtime is an InvalidParameterValueException with the service's own message",
	},
}
