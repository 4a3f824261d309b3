package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"testing"
	"time"
)

// TestBoto3 runs testdata/boto3_session.py: the function_exists,
// function_active_v2 and function_updated_v2 waiters against a server that
// keeps functions Pending/InProgress for a second, then versions and
// aliases driven by boto3.
func TestBoto3(t *testing.T) {
	const delay = time.Second
	s := startServer(t, "", "--state-delay", delay.String())
	zip1, _ := writeZip(t, echoV1)
	zip2, _ := writeZip(t, echoV2)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", "testdata/boto3_session.py", s.URL, "boto-fn", zip1, zip2)
	cmd.Env = clientEnv(t, "us-east-1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("boto3_session.py: %v\n%s", err, stderr.String())
	}
	var timings map[string]float64
	if err := json.Unmarshal(stdout.Bytes(), &timings); err != nil {
		t.Fatalf("boto3_session.py output %q: %v", stdout.String(), err)
	}
	t.Logf("waiter durations (s): %v", timings)
	// The waiters must really have waited out the state delay (minus the
	// time the preceding calls took), and not much longer.
	for _, name := range []string{"active_v2", "updated_v2", "updated_v2_code"} {
		d := time.Duration(timings[name] * float64(time.Second))
		if d < delay/2 || d > delay+3*time.Second {
			t.Errorf("waiter %s took %v, want about %v", name, d, delay)
		}
	}
}
