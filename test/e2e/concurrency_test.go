package e2e

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

const racers = 64

// race runs f(i) for i in [0, n) at the same moment and waits for them.
func race(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}

// TestConcurrency: optimistic concurrency with RevisionIds and version
// numbering under 64 concurrent clients. No call may ever get a 5xx.
func TestConcurrency(t *testing.T) {
	s := startServer(t, "", "--state-delay", "0")
	c := goClient(s, "us-east-1")
	ctx := context.Background()
	const fn = "contended"
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(fn), Runtime: types.RuntimePython312, Role: aws.String(role),
		Handler: aws.String("lambda_function.handler"), Code: &types.FunctionCode{ZipFile: zipOf(t, echoV1)},
	}); err != nil {
		t.Fatal(err)
	}
	waitReady(t, c, fn, 5*time.Second)
	var all statusCounter

	t.Run("UpdateFunctionConfiguration", func(t *testing.T) {
		// Each round: everybody read the same RevisionId; exactly one
		// update may win. The others lose with 412 (the revision moved)
		// or 409 (the winner's update is still in progress: checked
		// before the revision, as in AWS). Nothing else.
		for round := range 8 {
			before := waitReady(t, c, fn, 5*time.Second)
			rev := *before.RevisionId
			clients := make([]*lambda.Client, racers)
			for i := range clients {
				clients[i] = goClient(s, "us-east-1")
			}
			status := make([]int, racers)
			codes := make([]string, racers)
			newRev := make([]string, racers)
			race(racers, func(i int) {
				out, err := clients[i].UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
					FunctionName: aws.String(fn), RevisionId: aws.String(rev),
					Description: aws.String(fmt.Sprintf("round %d racer %d", round, i)),
				})
				status[i], codes[i] = all.add(err), codeOf(err)
				if err == nil {
					newRev[i] = *out.RevisionId
				}
			})
			winner, counts := -1, map[string]int{}
			for i, st := range status {
				counts[fmt.Sprintf("%d %s", st, codes[i])]++
				switch {
				case st == 200:
					if winner >= 0 {
						t.Errorf("round %d: racers %d and %d both won", round, winner, i)
					}
					winner = i
					if newRev[i] == rev {
						t.Errorf("round %d: winner's RevisionId unchanged", round)
					}
				case st == 412 && codes[i] == "PreconditionFailedException":
				case st == 409 && codes[i] == "ResourceConflictException":
				default:
					t.Errorf("round %d racer %d: %d %s", round, i, st, codes[i])
				}
			}
			if winner < 0 {
				t.Fatalf("round %d: no winner: %v", round, counts)
			}
			after := waitReady(t, c, fn, 5*time.Second)
			if want := fmt.Sprintf("round %d racer %d", round, winner); aws.ToString(after.Description) != want {
				t.Errorf("round %d: Description = %q, want the winner's %q", round, aws.ToString(after.Description), want)
			}
			t.Logf("round %d: %v", round, counts)
		}
	})

	t.Run("PublishVersion", func(t *testing.T) {
		// (a) Everybody publishes the same $LATEST: one new version, and
		// everybody gets its number.
		for round := 1; round <= 4; round++ {
			if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
				FunctionName: aws.String(fn), Description: aws.String(fmt.Sprintf("publish round %d", round)),
			}); err != nil {
				t.Fatal(err)
			}
			waitReady(t, c, fn, 5*time.Second)
			got := make([]string, racers)
			race(racers, func(i int) {
				out, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn)})
				if all.add(err) != 200 {
					t.Errorf("round %d racer %d: PublishVersion: %v", round, i, err)
					return
				}
				got[i] = aws.ToString(out.Version)
			})
			for i, v := range got {
				if v != strconv.Itoa(round) {
					t.Errorf("round %d racer %d: published version %q, want %d", round, i, v, round)
				}
			}
		}
		// (b) Writers interleave updates and publishes: every publish
		// returns a version that exists with the configuration it returned,
		// and the numbers have neither duplicates nor gaps.
		const writers, perWriter = 16, 6
		type pub struct{ version, desc string }
		var mu sync.Mutex
		var pubs []pub
		race(writers, func(w int) {
			for k := range perWriter {
				desc := fmt.Sprintf("writer %d change %d", w, k)
				retry409(t, &all, func() error {
					_, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn), Description: aws.String(desc)})
					return err
				})
				var out *lambda.PublishVersionOutput
				retry409(t, &all, func() (err error) {
					out, err = c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn)})
					return err
				})
				if out != nil {
					mu.Lock()
					pubs = append(pubs, pub{aws.ToString(out.Version), aws.ToString(out.Description)})
					mu.Unlock()
				}
			}
		})
		listed := map[string]string{}
		var nums []int
		p := lambda.NewListVersionsByFunctionPaginator(c, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(fn)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range page.Versions {
				ver := aws.ToString(v.Version)
				if ver == "$LATEST" {
					continue
				}
				if _, dup := listed[ver]; dup {
					t.Errorf("version %s listed twice", ver)
				}
				listed[ver] = aws.ToString(v.Description)
				n, _ := strconv.Atoi(ver)
				nums = append(nums, n)
			}
		}
		sort.Ints(nums)
		for i, n := range nums {
			if n != i+1 {
				t.Fatalf("version numbers %v have a gap or duplicate at %d", nums, i)
			}
		}
		for _, pb := range pubs {
			if d, ok := listed[pb.version]; !ok || d != pb.desc {
				t.Errorf("PublishVersion returned %s %q; listed: %q (present %v)", pb.version, pb.desc, d, ok)
			}
		}
		t.Logf("%d publishes in %d versions", len(pubs), len(nums))
	})

	t.Run("UpdateAlias", func(t *testing.T) {
		al, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(fn), Name: aws.String("live"), FunctionVersion: aws.String("1")})
		if err != nil {
			t.Fatal(err)
		}
		rev := aws.ToString(al.RevisionId)
		for round := range 5 {
			status := make([]int, racers)
			revs := make([]string, racers)
			race(racers, func(i int) {
				out, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{
					FunctionName: aws.String(fn), Name: aws.String("live"), RevisionId: aws.String(rev),
					FunctionVersion: aws.String(strconv.Itoa(1 + i%4)),
					Description:     aws.String(fmt.Sprintf("round %d racer %d", round, i)),
				})
				status[i] = all.add(err)
				if err == nil {
					revs[i] = aws.ToString(out.RevisionId)
				} else if status[i] != 412 || codeOf(err) != "PreconditionFailedException" {
					t.Errorf("round %d racer %d: %v", round, i, err)
				}
			})
			winner := -1
			for i, st := range status {
				if st == 200 {
					if winner >= 0 {
						t.Errorf("round %d: racers %d and %d both won", round, winner, i)
					}
					winner = i
				}
			}
			if winner < 0 {
				t.Fatalf("round %d: no winner", round)
			}
			got, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(got.Description) != fmt.Sprintf("round %d racer %d", round, winner) ||
				aws.ToString(got.FunctionVersion) != strconv.Itoa(1+winner%4) || aws.ToString(got.RevisionId) != revs[winner] {
				t.Errorf("round %d: alias is %+v, winner was racer %d", round, got, winner)
			}
			rev = revs[winner]
		}
	})

	if errs := all.failures(); len(errs) > 0 {
		t.Errorf("%d calls failed with 5xx or no response, e.g. %s", len(errs), errs[0])
	}
	t.Logf("statuses: %v", all.counts)
}

// retry409 calls f until it does not fail with 409 ResourceConflictException
// (an update in progress), for at most 10 s. Any other error fails the test.
func retry409(t *testing.T, all *statusCounter, f func() error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := f()
		st := all.add(err)
		switch {
		case st == 200:
			return
		case st == 409 && time.Now().Before(deadline):
			time.Sleep(5 * time.Millisecond)
		default:
			t.Errorf("%v", err)
			return
		}
	}
}
