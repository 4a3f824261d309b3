package sandbox

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestFreezeThaw(t *testing.T) {
	for _, m := range allModes() {
		t.Run(m.name, func(t *testing.T) {
			s, out := testSpec(t, m.f, "tick")
			e := start(t, m.f, s)
			out.wait(t, "tick 3")
			if err := e.Freeze(); err != nil {
				t.Fatal(err)
			}
			if !m.f.CgroupFreeze || m.f.CgroupV2 == "" {
				// SIGSTOP: the kernel shows the process as stopped.
				if st, err := readStat(e.PID()); err != nil || st.state != 'T' {
					t.Errorf("runtime state %q after Freeze, want T (%v)", st.state, err)
				}
			}
			// A frozen runtime prints nothing. Absence can only be observed
			// over some time: 100ms is 20 ticks. One line may still have
			// been in the pipe when Freeze returned.
			before := strings.Count(out.String(), "\n")
			time.Sleep(100 * time.Millisecond)
			after := strings.Count(out.String(), "\n")
			if after-before > 1 {
				t.Errorf("%d lines printed while frozen", after-before)
			}
			if err := e.Thaw(); err != nil {
				t.Fatal(err)
			}
			out.wait(t, "tick "+strconv.Itoa(after)) // it resumes where it stopped
			select {
			case <-e.Done():
				t.Fatalf("environment ended: %+v", e.Wait())
			default:
			}
		})
	}
}
