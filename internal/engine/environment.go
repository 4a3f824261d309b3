package engine

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/lambkin/lambkin/internal/logs"
	"github.com/lambkin/lambkin/internal/rapi"
	"github.com/lambkin/lambkin/internal/sandbox"
)

// logTailSize is how much of an invocation's log X-Amz-Log-Result carries.
const logTailSize = 4096

// environment is one running execution environment.
type environment struct {
	fn   *Function
	api  *rapi.Server
	box  *sandbox.Env
	log  *logs.Stream
	out  *logs.LineWriter
	now  func() time.Time
	once sync.Once

	initStarted  time.Time
	initDuration time.Duration // reported on the first invocation only
	invocations  int
	extensions   bool // external extensions run: they get SHUTDOWN on Close

	// answered is the last invocation when lambkin answered the caller as
	// soon as the runtime did: the runtime's return to /next (and the
	// extensions') may still be under way, and the next invocation waits
	// for it.
	answered *rapi.Result

	// maxMemory caches the environment's peak memory: reading the cgroup
	// after every invocation costs more than the invocation.
	maxMemory     int
	maxMemoryRead time.Time
}

// maxMemoryRefresh is how stale the REPORT line's Max Memory Used may be.
const maxMemoryRefresh = 250 * time.Millisecond

func (e *environment) maxMemoryMB() int {
	if now := e.now(); e.maxMemoryRead.IsZero() || now.Sub(e.maxMemoryRead) > maxMemoryRefresh {
		e.maxMemory, e.maxMemoryRead = bytesToMB(e.box.MaxMemory()), now
	}
	return e.maxMemory
}

// supervise tells the Runtime API how the runtime's process tree ended.
func (e *environment) supervise() {
	<-e.box.Done()
	x := e.box.Wait()
	e.out.Flush()
	if x.OOM {
		e.api.RuntimeFailed("Runtime.OutOfMemory", "Runtime exited with error: "+x.Status)
		return
	}
	e.api.RuntimeExited(x.Status)
}

// Invoke implements Environment. A nil result with usable false means the
// environment died after its previous answer and never took this
// invocation: the engine runs it elsewhere.
func (e *environment) Invoke(ctx context.Context, inv *Invocation) (*Result, bool) {
	fn := e.fn
	if prev := e.answered; prev != nil {
		e.answered = nil
		wait, cancel := context.WithTimeout(ctx, fn.Timeout)
		_, err := prev.WaitComplete(wait)
		cancel()
		if err != nil {
			return nil, false
		}
	}
	var tail *tailBuffer
	if inv.LogTail {
		tail = &tailBuffer{}
		e.log.Observe(tail.add)
		defer e.log.Observe(nil)
	}
	e.platform(platformStart, "START RequestId: "+inv.RequestID+" Version: "+fn.Version,
		map[string]any{"requestId": inv.RequestID, "version": fn.Version})
	started := e.now()
	deadline := started.Add(fn.Timeout)
	callCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	res, err := e.api.Invoke(callCtx, &rapi.Invocation{
		RequestID:          inv.RequestID,
		Payload:            inv.Payload,
		Deadline:           deadline,
		InvokedFunctionArn: inv.InvokedARN,
		TraceID:            e.traceID(inv.TraceID),
		ClientContext:      inv.ClientContext,
	})
	out := &Result{Version: fn.Version, ContentType: "application/json"}
	usable := true
	status := ""
	switch {
	case err == nil && res.Status == rapi.StatusOK:
		out.Payload, out.ContentType = res.Body, orJSON(res.ContentType)
		e.answered = res
	case err == nil:
		out.Payload, out.FunctionError, out.ErrorType = res.Body, "Unhandled", res.ErrorType
		var failure *rapi.Failure
		if _, werr := res.WaitComplete(callCtx); werr != nil {
			usable = false
			if errors.As(werr, &failure) && failure.Type != "" {
				status = "error\tError Type: " + failure.Type
			}
		}
	case errors.Is(err, rapi.ErrAbandoned) && errors.Is(callCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		usable = false
		msg := rapi.TimeoutMessage(fn.Timeout)
		out.Payload = rapi.PlatformErrorBody(inv.RequestID, rapi.ErrorTypeSandboxTimedout, msg)
		out.FunctionError, out.ErrorType = "Unhandled", rapi.ErrorTypeSandboxTimedout
		e.log.Event(started.UTC().Format("2006-01-02T15:04:05.000Z") + " " + inv.RequestID + " " + msg)
		status = "timeout"
	default:
		usable = false
		var failure *rapi.Failure
		if errors.As(err, &failure) {
			out.Payload, out.FunctionError, out.ErrorType = failure.Payload(inv.RequestID), "Unhandled", failure.Type
			status = "error\tError Type: " + failure.Type
		} else {
			// The caller went away, or the server is shutting down.
			return nil, false
		}
	}
	ended := e.now()
	// What the function printed before answering is in its output pipe:
	// copy it to the log before END.
	e.box.SyncOutput(100 * time.Millisecond)
	e.out.Flush()
	e.platform(platformRuntimeDone, "END RequestId: "+inv.RequestID, map[string]any{"requestId": inv.RequestID, "status": jsonStatus(status)})
	e.report(inv.RequestID, ended.Sub(started), status)
	e.log.FlushSoon()
	if tail != nil {
		out.LogTail = tail.encoded()
	}
	return out, usable
}

// report writes the REPORT event; Init Duration only after a cold start.
func (e *environment) report(requestID string, d time.Duration, status string) {
	ms := millis(d)
	billed := max(int(math.Ceil(ms)), 1)
	maxMem := e.maxMemoryMB()
	metrics := map[string]any{"durationMs": ms, "billedDurationMs": billed, "memorySizeMB": e.fn.MemoryMB, "maxMemoryUsedMB": maxMem}
	var b strings.Builder
	fmt.Fprintf(&b, "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB",
		requestID, ms, billed, e.fn.MemoryMB, maxMem)
	e.invocations++
	if e.invocations == 1 && e.initDuration > 0 {
		fmt.Fprintf(&b, "\tInit Duration: %.2f ms", millis(e.initDuration))
		metrics["initDurationMs"] = millis(e.initDuration)
	}
	if status != "" {
		b.WriteString("\tStatus: " + status)
	}
	e.platform(platformReport, b.String(), map[string]any{"requestId": requestID, "metrics": metrics, "status": jsonStatus(status)})
}

// jsonStatus is the status member of JSON platform records.
func jsonStatus(status string) string {
	switch {
	case status == "":
		return "success"
	case status == "timeout":
		return "timeout"
	}
	return "error"
}

func bytesToMB(b uint64) int { return int((b + 1<<20 - 1) >> 20) }

// traceID is the X-Ray trace header the function sees: a new sampled trace
// in Active mode; the caller's (or an unsampled new one) in PassThrough.
func (e *environment) traceID(caller string) string {
	if !e.fn.TracingActive && caller != "" {
		return caller
	}
	sampled := "0"
	if e.fn.TracingActive {
		sampled = "1"
	}
	var b [20]byte
	rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=%s", e.now().Unix(), hex.EncodeToString(b[:12]), hex.EncodeToString(b[12:]), sampled)
}

// initFailure is the result an invocation gets when init failed.
func (e *environment) initFailure(f *rapi.Failure) *Result {
	e.log.Event(fmt.Sprintf("INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: error\tError Type: %s",
		float64(e.now().Sub(e.initStarted).Microseconds())/1000, f.Type))
	return &Result{Payload: f.Payload(""), FunctionError: "Unhandled", ErrorType: f.Type, Version: e.fn.Version, ContentType: "application/json"}
}

// initTimeout is the result when init ran past its limit.
func (e *environment) initTimeout(limit time.Duration) *Result {
	msg := fmt.Sprintf("Init timed out after %.2f seconds", limit.Seconds())
	e.log.Event("INIT_REPORT Init Duration: " + fmt.Sprintf("%.2f ms", float64(limit.Microseconds())/1000) + "\tPhase: init\tStatus: timeout")
	return &Result{Payload: rapi.PlatformErrorBody("", rapi.ErrorTypeSandboxTimedout, msg), FunctionError: "Unhandled",
		ErrorType: rapi.ErrorTypeSandboxTimedout, Version: e.fn.Version, ContentType: "application/json"}
}

// Close implements Environment: extensions get SHUTDOWN, then the whole
// process tree is killed (at once when there are no extensions, as Lambda
// does).
func (e *environment) Close() {
	e.once.Do(func() {
		if e.api != nil && e.extensions {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			e.api.Shutdown(ctx, rapi.ShutdownSpindown)
			cancel()
		}
		e.closeParts()
	})
}

func (e *environment) closeParts() {
	if e.box != nil {
		e.box.Kill()
	}
	if e.api != nil {
		e.api.Close()
	}
	if e.out != nil {
		e.out.Flush()
	}
	if e.log != nil {
		e.log.Close()
	}
}

func orJSON(ct string) string {
	if ct == "" {
		return "application/json"
	}
	return ct
}

// tailBuffer keeps the last 4 KB of an invocation's log lines.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, line...)
	t.buf = append(t.buf, '\n')
	if len(t.buf) > 2*logTailSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-logTailSize:]...)
	}
}

func (t *tailBuffer) encoded() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf
	if len(b) > logTailSize {
		b = b[len(b)-logTailSize:]
	}
	return base64.StdEncoding.EncodeToString(b)
}
