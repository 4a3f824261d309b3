package lambda

// acceptedRuntimes are the runtime identifiers the service accepts for
// creating and updating functions, in the service's own order: it is the
// list AWS prints when it rejects an unknown runtime (ufc-02, recorded
// 2026-01).
var acceptedRuntimes = []string{
	"nodejs20.x", "python3.14", "provided.al2023", "python3.12", "python3.13", "nodejs24.x", "nodejs22.x",
	"java25", "python3.10", "python3.11", "java21", "ruby3.3", "ruby3.4", "ruby3.2", "python3.8",
	"python3.9", "java17", "nodejs16.x", "dotnet10", "dotnet8", "java11", "dotnet6", "nodejs18.x",
	"provided.al2", "java8.al2",
}

// newerRuntimes were added to the service model after that recording and
// are accepted too.
var newerRuntimes = []string{"ruby4.0"}

// checkRuntime accepts a runtime identifier for create and update: known
// and supported identifiers pass, the model's retired ones get the
// deprecation message (cf-07), anything else the enum message (ufc-02).
func checkRuntime(runtime string) error {
	if contains(acceptedRuntimes, runtime) || contains(newerRuntimes, runtime) {
		return nil
	}
	if contains(retiredRuntimes, runtime) {
		return errDeprecatedRuntime(runtime)
	}
	return errUnknownRuntime(runtime)
}

// retiredRuntimes are the model's identifiers that the service no longer
// accepts (the generated Runtime shape carries no enum: it is checked here).
var retiredRuntimes = []string{
	"nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x",
	"java8", "python2.7", "python3.6", "python3.7", "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1",
	"dotnetcore3.1", "nodejs4.3-edge", "go1.x", "ruby2.5", "ruby2.7", "provided",
}

// snapStartRuntimes can use SnapStart: Java 11+, Python 3.12+, .NET 8+.
var snapStartRuntimes = []string{"java11", "java17", "java21", "java25", "python3.12", "python3.13", "python3.14", "dotnet8", "dotnet10"}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
