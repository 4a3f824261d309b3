package logs

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestWriteAndPrintInTimeOrder(t *testing.T) {
	d := Open(t.TempDir())
	clock := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(time.Millisecond); return clock }
	a, err := d.CreateStream("us-east-1", "/aws/lambda/fn", "2026/11/22/[$LATEST]aaa", now)
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.CreateStream("us-east-1", "/aws/lambda/fn", "2026/11/22/[$LATEST]bbb", now)
	if err != nil {
		t.Fatal(err)
	}
	a.Event("START RequestId: 1")
	b.Event("START RequestId: 2")
	w := a.Writer()
	w.Write([]byte("hello "))
	w.Write([]byte("world\nsecond line\npartial"))
	w.Flush()
	a.Close()
	b.Close()

	var out bytes.Buffer
	if err := d.Print(context.Background(), "us-east-1", "/aws/lambda/fn", &out, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var msgs []string
	for _, l := range lines {
		f := strings.SplitN(l, " ", 3)
		msgs = append(msgs, f[2])
	}
	want := []string{"START RequestId: 1", "START RequestId: 2", "hello world", "second line", "partial"}
	if strings.Join(msgs, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q\nwant %q", msgs, want)
	}
	if !strings.Contains(lines[0], " 2026/11/22/[$LATEST]aaa ") {
		t.Fatalf("stream name missing in %q", lines[0])
	}
}

func TestGroupNamesCannotEscape(t *testing.T) {
	d := Open("/base")
	if got := d.GroupPath("us-east-1", "/../../etc"); got != "/base/us-east-1/etc" {
		t.Fatalf("GroupPath = %s", got)
	}
}

func TestObserveSeesEvents(t *testing.T) {
	d := Open(t.TempDir())
	s, _ := d.CreateStream("r", "/g", "s", nil)
	defer s.Close()
	var seen []string
	s.Observe(func(line string) { seen = append(seen, line) })
	s.Event("one\ntwo")
	s.Observe(nil)
	s.Event("three")
	if len(seen) != 1 || seen[0] != "one\rtwo" {
		t.Fatalf("observed %q", seen)
	}
}
