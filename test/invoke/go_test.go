package invoke

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// buildGo builds ./testdata/<dir> as a static linux binary named bootstrap.
func buildGo(t *testing.T, dir string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", out, "./testdata/"+dir)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestProvidedGo(t *testing.T) {
	bin := buildGo(t, "gofn")
	s := start(t)
	c := s.Client("us-east-1")
	name := fnName("go")
	create(t, c, &lambda.CreateFunctionInput{
		FunctionName:  aws.String(name),
		Runtime:       types.RuntimeProvidedal2023,
		Handler:       aws.String("bootstrap"),
		Architectures: []types.Architecture{types.ArchitectureX8664},
		Code:          &types.FunctionCode{ZipFile: zipOf(t, file{name: "bootstrap", body: string(bin), mode: 0o755})},
	})

	t.Run("echo", func(t *testing.T) {
		var got struct {
			Data              []int
			RequestID         string
			Function, Handler string
		}
		ok(t, invoke(t, c, name, `{"op":"echo","data":[1,2,3]}`), &got)
		if len(got.Data) != 3 || got.Function != name || got.Handler != "bootstrap" || len(got.RequestID) != 36 {
			t.Errorf("echo: %+v", got)
		}
	})
	t.Run("error", func(t *testing.T) {
		out := invoke(t, c, name, `{"op":"error"}`)
		unhandled(t, out)
		if string(out.Payload) != `{"errorMessage":"boom","errorType":"errorString"}` {
			t.Errorf("error body %s", out.Payload)
		}
	})
	t.Run("panic", func(t *testing.T) {
		out := invoke(t, c, name, `{"op":"panic"}`)
		body := unhandled(t, out)
		if body["errorType"] != "string" || body["errorMessage"] != "kaboom" {
			t.Errorf("panic body %s", out.Payload)
		}
		st, _ := body["stackTrace"].([]any)
		if len(st) == 0 {
			t.Fatalf("no stackTrace: %s", out.Payload)
		}
		if frame, _ := st[0].(map[string]any); frame == nil || frame["path"] == nil || frame["line"] == nil || frame["label"] == nil {
			t.Errorf("stackTrace frames are not {path,line,label} objects: %v", st[0])
		}
		// The process exited after the panic: the next invoke starts a new one.
		var got struct{ RequestID string }
		ok(t, invoke(t, c, name, `{"op":"echo"}`), &got)
		if !strings.Contains(string(out.Payload), "kaboom") {
			t.Errorf("payload %s", out.Payload)
		}
	})
}
