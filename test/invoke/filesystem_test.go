package invoke

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambkin/lambkin/internal/app"
	"github.com/lambkin/lambkin/internal/testserver"
)

// FileSystemConfigs: an access point ARN mapped to a host directory is
// mounted read-write at the function's LocalMountPath; an unmapped one makes
// the update fail with EFSMountFailure and a reason.
func TestFileSystems(t *testing.T) {
	hostDir := t.TempDir()
	const ap = "arn:aws:elasticfilesystem:us-east-1:000000000000:access-point/fsap-0123456789abcdef0"
	s := start(t, testserver.WithConfig(func(c *app.Config) { c.FileSystems = map[string]string{ap: hostDir} }))
	c := s.Client("us-east-1")
	name := python(t, c, types.RuntimePython312, fnName("efs"), `
import os
def handler(event, context):
    with open("/mnt/data/from-function.txt", "w") as f:
        f.write(event["text"])
    return sorted(os.listdir("/mnt/data"))
`, func(in *lambda.CreateFunctionInput) {
		in.FileSystemConfigs = []types.FileSystemConfig{{Arn: aws.String(ap), LocalMountPath: aws.String("/mnt/data")}}
	})
	if err := os.WriteFile(filepath.Join(hostDir, "from-host.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var listing []string
	ok(t, invoke(t, c, name, `{"text":"hello"}`), &listing)
	if len(listing) != 2 || listing[0] != "from-function.txt" || listing[1] != "from-host.txt" {
		t.Fatalf("the function sees %v", listing)
	}
	if b, err := os.ReadFile(filepath.Join(hostDir, "from-function.txt")); err != nil || string(b) != "hello" {
		t.Fatalf("the host sees %q, %v", b, err)
	}

	// An access point with no host directory: the update fails, the old
	// configuration stays.
	_, err := c.UpdateFunctionConfiguration(context.Background(), &lambda.UpdateFunctionConfigurationInput{
		FunctionName:      aws.String(name),
		FileSystemConfigs: []types.FileSystemConfig{{Arn: aws.String("arn:aws:elasticfilesystem:us-east-1:000000000000:access-point/fsap-00000000000000000"), LocalMountPath: aws.String("/mnt/other")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		cfg, err := c.GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.LastUpdateStatus == types.LastUpdateStatusFailed {
			if cfg.LastUpdateStatusReasonCode != types.LastUpdateStatusReasonCodeEFSMountFailure || aws.ToString(cfg.FileSystemConfigs[0].LocalMountPath) != "/mnt/data" {
				t.Fatalf("failed update: %s %s %+v", cfg.LastUpdateStatusReasonCode, aws.ToString(cfg.LastUpdateStatusReason), cfg.FileSystemConfigs)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("update still %s", cfg.LastUpdateStatus)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
