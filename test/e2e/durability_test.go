package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestRestart: state survives SIGTERM and a restart on the same data
// directory.
func TestRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, dir)
	c := goClient(s, "us-east-1")
	ctx := context.Background()
	const fn = "survivor"
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(fn), Runtime: types.RuntimePython312, Role: aws.String(role),
		Handler: aws.String("lambda_function.handler"), Code: &types.FunctionCode{ZipFile: zipOf(t, echoV1)},
		Environment: &types.Environment{Variables: map[string]string{"GREETING": "persisted"}},
	}); err != nil {
		t.Fatal(err)
	}
	waitReady(t, c, fn, 5*time.Second)
	v, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn)})
	if err != nil {
		t.Fatal(err)
	}
	al, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(fn), Name: aws.String("live"), FunctionVersion: v.Version})
	if err != nil {
		t.Fatal(err)
	}
	before, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
	if err != nil {
		t.Fatal(err)
	}
	if code, took := s.Terminate(10 * time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM (%v)", code, took)
	}

	s2 := startServer(t, dir)
	c2 := goClient(s2, "us-east-1")
	after, err := c2.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
	if err != nil {
		t.Fatal(err)
	}
	b, a := before.Configuration, after.Configuration
	if aws.ToString(a.RevisionId) != aws.ToString(b.RevisionId) || aws.ToString(a.CodeSha256) != aws.ToString(b.CodeSha256) ||
		a.Environment == nil || a.Environment.Variables["GREETING"] != "persisted" || a.State != types.StateActive {
		t.Errorf("after restart: %+v\nbefore: %+v", a, b)
	}
	if got := download(t, aws.ToString(after.Code.Location)); len(got) != len(zipOf(t, echoV1)) {
		t.Errorf("code download after restart: %d bytes", len(got))
	}
	ga, err := c2.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
	if err != nil || aws.ToString(ga.RevisionId) != aws.ToString(al.RevisionId) || aws.ToString(ga.FunctionVersion) != "1" {
		t.Errorf("alias after restart: %+v, %v", ga, err)
	}
	out, err := c2.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn), Qualifier: aws.String("live"), Payload: []byte(`{"x":1}`)})
	if err != nil || out.FunctionError != nil || string(out.Payload) != `{"echo": {"x": 1}, "greeting": "persisted", "code": 1}` {
		t.Errorf("invoke after restart: %v %v", out, err)
	}
	// Version numbering continues.
	if _, err := c2.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn), Description: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	waitReady(t, c2, fn, 5*time.Second)
	if v2, err := c2.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn)}); err != nil || aws.ToString(v2.Version) != "2" {
		t.Errorf("publish after restart: %v, %v", v2, err)
	}
}

// fnLedger is what the clients know about one function: what the server
// acknowledged, and what it may or may not have applied when it died.
type fnLedger struct {
	created     bool   // CreateFunction returned 201
	maybeExists bool   // CreateFunction was in flight at the kill
	desc        string // last acknowledged Description
	maybeDesc   string // an update whose outcome is unknown
	versions    map[int]string
	maybeVer    bool   // a publish whose outcome is unknown
	alias       string // acknowledged alias "live" FunctionVersion ("" when none)
	maybeAlias  string // alias write whose outcome is unknown
}

// TestKill9: concurrent writers, SIGKILL at a random moment, restart:
// every acknowledged write is there, nothing is half-applied, nothing
// stays Pending/InProgress.
func TestKill9(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	// A state delay keeps functions Pending/InProgress long enough that
	// kills land in the middle of transitions.
	args := []string{"--state-delay", "150ms"}
	ledger := map[string]*fnLedger{}
	var mu sync.Mutex
	zip := zipOf(t, echoV1)
	const rounds, workers = 8, 8
	var total, sawPending int
	for round := range rounds {
		s := startServer(t, dir, args...)
		verifyLedger(t, s, ledger, round)
		c := goClient(s, "us-east-1")
		ctx := context.Background()
		var wg sync.WaitGroup
		var all statusCounter
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					name := fmt.Sprintf("r%d-w%d-f%d", round, w, i)
					l := &fnLedger{versions: map[int]string{}}
					mu.Lock()
					ledger[name] = l
					mu.Unlock()
					// do runs one write, retrying while the function is
					// Pending or InProgress; it reports whether the server
					// answered 2xx, and stops the worker (false, false)
					// when the server is gone.
					do := func(f func() error) (acked, alive bool) {
						for {
							err := f()
							switch st := all.add(err); {
							case st == 200:
								return true, true
							case st == 409:
								time.Sleep(10 * time.Millisecond)
							case st == 0:
								return false, false // killed: outcome unknown
							default:
								t.Errorf("%s: %v", name, err)
								return false, false
							}
						}
					}
					mu.Lock()
					l.maybeExists = true
					mu.Unlock()
					acked, alive := do(func() error {
						out, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
							FunctionName: aws.String(name), Runtime: types.RuntimePython312, Role: aws.String(role),
							Handler: aws.String("lambda_function.handler"), Code: &types.FunctionCode{ZipFile: zip},
							Description: aws.String("created"),
						})
						if err == nil && out.State == types.StatePending {
							mu.Lock()
							sawPending++
							mu.Unlock()
						}
						return err
					})
					mu.Lock()
					l.created, l.maybeExists, l.desc = acked, !acked, "created"
					mu.Unlock()
					if !alive {
						return
					}
					for k := 1; k <= 3; k++ {
						desc := fmt.Sprintf("change %d", k)
						mu.Lock()
						l.maybeDesc = desc
						mu.Unlock()
						_, alive = do(func() error {
							_, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name), Description: aws.String(desc)})
							return err
						})
						if !alive {
							return
						}
						mu.Lock()
						l.desc, l.maybeDesc = desc, ""
						l.maybeVer = true
						mu.Unlock()
						var pub *lambda.PublishVersionOutput
						_, alive = do(func() (err error) {
							pub, err = c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name)})
							return err
						})
						if !alive {
							return
						}
						n, _ := strconv.Atoi(aws.ToString(pub.Version))
						mu.Lock()
						l.maybeVer = false
						if n != k || aws.ToString(pub.Description) != desc {
							t.Errorf("%s: publish %d after %q returned version %q %q", name, k, desc, aws.ToString(pub.Version), aws.ToString(pub.Description))
						}
						l.versions[n] = aws.ToString(pub.Description)
						l.maybeAlias = strconv.Itoa(n)
						mu.Unlock()
						_, alive = do(func() error {
							if k == 1 {
								_, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), FunctionVersion: pub.Version})
								return err
							}
							_, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), FunctionVersion: pub.Version})
							return err
						})
						if !alive {
							return
						}
						mu.Lock()
						l.alias, l.maybeAlias = strconv.Itoa(n), ""
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(time.Duration(300+rand.IntN(1200)) * time.Millisecond)
		s.Kill()
		wg.Wait()
		// Calls without an answer are expected after the kill; 5xx never.
		for _, e := range all.fiveXX {
			t.Errorf("round %d: 5xx: %s", round, e)
		}
		acked := all.counts[200]
		total += acked
		t.Logf("round %d: %d acknowledged writes, statuses %v", round, acked, all.counts)
	}
	s := startServer(t, dir, args...)
	verifyLedger(t, s, ledger, rounds)
	if sawPending == 0 {
		t.Errorf("no CreateFunction returned Pending: the kills cannot have hit a transition")
	}
	t.Logf("%d functions, %d acknowledged writes over %d kills", len(ledger), total, rounds)
}

// verifyLedger checks the server against everything acknowledged so far,
// and that every function settles (Active, Successful) within 5 s. It
// folds settled unknowns into the ledger.
func verifyLedger(t *testing.T, s *server, ledger map[string]*fnLedger, round int) {
	t.Helper()
	c := goClient(s, "us-east-1")
	ctx := context.Background()
	listed := map[string]bool{}
	p := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("after kill %d: ListFunctions: %v", round, err)
		}
		for _, f := range page.Functions {
			if listed[aws.ToString(f.FunctionName)] {
				t.Errorf("after kill %d: %s listed twice", round, aws.ToString(f.FunctionName))
			}
			listed[aws.ToString(f.FunctionName)] = true
		}
	}
	for name := range listed {
		if ledger[name] == nil {
			t.Errorf("after kill %d: function %s nobody created", round, name)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	unsettled := 0
	defer func() {
		if unsettled > 0 {
			t.Logf("after kill %d: %d functions were still Pending/InProgress at restart and settled", round, unsettled)
		}
	}()
	for name, l := range ledger {
		if !listed[name] {
			if l.created {
				t.Errorf("after kill %d: %s: CreateFunction returned 201 but the function is gone", round, name)
			}
			delete(ledger, name)
			continue
		}
		var cfg *lambda.GetFunctionConfigurationOutput
		for first := true; ; first = false {
			var err error
			cfg, err = c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
			if err != nil {
				t.Fatalf("after kill %d: %s listed but GetFunctionConfiguration: %v", round, name, err)
			}
			if cfg.State == types.StateActive && cfg.LastUpdateStatus == types.LastUpdateStatusSuccessful {
				break
			}
			if first {
				unsettled++
			}
			if time.Now().After(deadline) {
				t.Errorf("after kill %d: %s stuck: State=%s LastUpdateStatus=%s", round, name, cfg.State, cfg.LastUpdateStatus)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		l.created, l.maybeExists = true, false
		if d := aws.ToString(cfg.Description); d != l.desc && (l.maybeDesc == "" || d != l.maybeDesc) {
			t.Errorf("after kill %d: %s Description = %q, acknowledged %q (in flight %q)", round, name, d, l.desc, l.maybeDesc)
		} else {
			l.desc, l.maybeDesc = d, ""
		}
		// Versions: the acknowledged ones, each with the configuration it
		// was published with, numbered 1..n without duplicates; at most
		// one more if a publish was in flight.
		seen := map[int]bool{}
		vp := lambda.NewListVersionsByFunctionPaginator(c, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(name)})
		for vp.HasMorePages() {
			page, err := vp.NextPage(ctx)
			if err != nil {
				t.Fatalf("after kill %d: ListVersionsByFunction(%s): %v", round, name, err)
			}
			for _, v := range page.Versions {
				if aws.ToString(v.Version) == "$LATEST" {
					continue
				}
				n, _ := strconv.Atoi(aws.ToString(v.Version))
				if seen[n] {
					t.Errorf("after kill %d: %s version %d listed twice", round, name, n)
				}
				seen[n] = true
				if want, ok := l.versions[n]; ok && want != aws.ToString(v.Description) {
					t.Errorf("after kill %d: %s version %d Description %q, published as %q", round, name, n, aws.ToString(v.Description), want)
				}
				if !l.maybeVer && l.versions[n] == "" {
					t.Errorf("after kill %d: %s has version %d nobody published", round, name, n)
				}
				// List items carry no state (as in AWS); ask for it.
				if vc, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name), Qualifier: v.Version}); err != nil || vc.State != types.StateActive {
					t.Errorf("after kill %d: %s version %d: %v", round, name, n, err)
				}
				l.versions[n] = aws.ToString(v.Description)
			}
		}
		for n := range l.versions {
			if !seen[n] {
				t.Errorf("after kill %d: %s acknowledged version %d is gone", round, name, n)
				delete(l.versions, n)
			}
		}
		for n := 1; n <= len(seen); n++ {
			if !seen[n] {
				t.Errorf("after kill %d: %s versions %v skip %d", round, name, seen, n)
			}
		}
		l.maybeVer = false
		// Alias.
		ga, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(name), Name: aws.String("live")})
		switch {
		case statusOf(err) == 404:
			if l.alias != "" {
				t.Errorf("after kill %d: %s alias live (-> %s) acknowledged but gone", round, name, l.alias)
			}
			l.alias = ""
		case err != nil:
			t.Fatalf("after kill %d: GetAlias(%s): %v", round, name, err)
		default:
			got := aws.ToString(ga.FunctionVersion)
			if got != l.alias && got != l.maybeAlias {
				t.Errorf("after kill %d: %s alias live -> %s, acknowledged %q (in flight %q)", round, name, got, l.alias, l.maybeAlias)
			}
			if !seen[mustAtoi(got)] {
				t.Errorf("after kill %d: %s alias live -> version %s that does not exist", round, name, got)
			}
			l.alias = got
		}
		l.maybeAlias = ""
	}
}

func mustAtoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}
