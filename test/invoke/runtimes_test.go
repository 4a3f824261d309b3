package invoke

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambkin/lambkin/internal/runtimes"
	"github.com/lambkin/lambkin/internal/testserver"
)

const (
	debianLabel = "python:3.11.2.v1" // /usr/bin/python3.11
	pyenvLabel  = "python:3.11.7.v2" // pyenv's build
)

// runtimesCmd runs `lambkin runtimes ARGS --data-dir DIR`.
func runtimesCmd(t *testing.T, s *testserver.Server, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if rc := runtimes.RunCommand(append(args, "--data-dir", s.DataDir), &out, &errb); rc != 0 {
		t.Fatalf("lambkin runtimes %v: exit %d: %s", args, rc, errb.String())
	}
	return out.String()
}

// runtimeARNs maps python3.11's labels to their runtime version ARNs, as
// `lambkin runtimes list` prints them.
func runtimeARNs(t *testing.T, s *testserver.Server) map[string]string {
	arns := map[string]string{}
	for _, line := range strings.Split(runtimesCmd(t, s, "list"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) >= 3 && f[0] == "python3.11" {
			arns[f[1]] = f[2]
		}
	}
	return arns
}

type pyVersion struct{ Version, Executable string }

func (v pyVersion) build() string {
	switch {
	case strings.HasPrefix(v.Version, "3.11.2 ") && v.Executable == "/usr/bin/python3.11":
		return debianLabel
	case strings.HasPrefix(v.Version, "3.11.7 ") && strings.Contains(v.Executable, "/.pyenv/versions/3.11.7/"):
		return pyenvLabel
	}
	return "unknown build: " + v.Version + " at " + v.Executable
}

func TestRuntimeManagement(t *testing.T) {
	s := start(t)
	c := s.Client("us-east-1")
	ctx := context.Background()
	arns := runtimeARNs(t, s)
	if arns[debianLabel] == "" || arns[pyenvLabel] == "" {
		t.Skipf("python3.11 needs both builds (%s and %s); lambkin runtimes list: %v", debianLabel, pyenvLabel, arns)
	}
	// Start from a known state: the pyenv build promoted.
	runtimesCmd(t, s, "promote", "python3.11", pyenvLabel, "--complete")

	auto := python(t, c, types.RuntimePython311, fnName("rt-auto"), pyApp, nil)
	manual := python(t, c, types.RuntimePython311, fnName("rt-manual"), pyApp, nil)
	cfg := waitActive(t, c, auto, nil)
	if cfg.RuntimeVersionConfig == nil || aws.ToString(cfg.RuntimeVersionConfig.RuntimeVersionArn) != arns[pyenvLabel] {
		t.Fatalf("RuntimeVersionConfig %+v, want the promoted %s", cfg.RuntimeVersionConfig, arns[pyenvLabel])
	}
	if _, err := c.PutRuntimeManagementConfig(ctx, &lambda.PutRuntimeManagementConfigInput{
		FunctionName:      aws.String(manual),
		UpdateRuntimeOn:   types.UpdateRuntimeOnManual,
		RuntimeVersionArn: aws.String(arns[debianLabel]),
	}); err != nil {
		t.Fatal(err)
	}
	rm, err := c.GetRuntimeManagementConfig(ctx, &lambda.GetRuntimeManagementConfigInput{FunctionName: aws.String(manual)})
	if err != nil || rm.UpdateRuntimeOn != types.UpdateRuntimeOnManual || aws.ToString(rm.RuntimeVersionArn) != arns[debianLabel] {
		t.Fatalf("GetRuntimeManagementConfig: %+v %v", rm, err)
	}

	build := func(name string) string {
		var v pyVersion
		ok(t, invoke(t, c, name, `{"op":"version"}`), &v)
		return v.build()
	}
	// waitBuild waits until name runs on want (the server notices a
	// catalog change within about a second).
	waitBuild := func(name, want string) {
		t.Helper()
		deadline := time.Now().Add(8 * time.Second)
		for {
			got := build(name)
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%s runs on %s, want %s", name, got, want)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// arnOf is the function's runtime version ARN, waiting up to a few
	// seconds for it to become want.
	arnOf := func(name, want string) string {
		deadline := time.Now().Add(5 * time.Second)
		for {
			cfg := waitActive(t, c, name, nil)
			var got string
			if cfg.RuntimeVersionConfig != nil {
				got = aws.ToString(cfg.RuntimeVersionConfig.RuntimeVersionArn)
			}
			if got == want || time.Now().After(deadline) {
				return got
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	if got := build(auto); got != pyenvLabel {
		t.Errorf("Auto function runs on %s, want the promoted %s", got, pyenvLabel)
	}
	waitBuild(manual, debianLabel)

	// Promote the Debian build: the Auto function moves to it.
	runtimesCmd(t, s, "promote", "python3.11", debianLabel)
	runtimesCmd(t, s, "promote", "--complete", "python3.11")
	if got := arnOf(auto, arns[debianLabel]); got != arns[debianLabel] {
		t.Errorf("Auto function's RuntimeVersionArn %s after the promotion, want %s", got, arns[debianLabel])
	}
	waitBuild(auto, debianLabel)
	if got := build(manual); got != debianLabel {
		t.Errorf("Manual function runs on %s, want its pinned %s", got, debianLabel)
	}

	// Roll back: the Auto function follows, the Manual one stays pinned.
	runtimesCmd(t, s, "promote", "python3.11", pyenvLabel, "--complete")
	if got := arnOf(auto, arns[pyenvLabel]); got != arns[pyenvLabel] {
		t.Errorf("Auto function's RuntimeVersionArn %s after the rollback, want %s", got, arns[pyenvLabel])
	}
	waitBuild(auto, pyenvLabel)
	if got := build(manual); got != debianLabel {
		t.Errorf("Manual function moved to %s, want its pinned %s", got, debianLabel)
	}
	if got := arnOf(manual, arns[debianLabel]); got != arns[debianLabel] {
		t.Errorf("Manual function's RuntimeVersionArn %s, want %s", got, arns[debianLabel])
	}
}
