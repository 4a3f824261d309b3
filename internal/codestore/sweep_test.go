package codestore

import (
	"errors"
	"io/fs"
	"os"
	"sync"
	"testing"
	"time"
)

func TestSweepKeepsReferencedRemovesOrphans(t *testing.T) {
	clock := newClock()
	s := openStore(t, WithClock(clock.now), WithGrace(time.Minute))
	a := put(t, s, mustZip(t, file("a", "a")))
	b := put(t, s, mustZip(t, file("b", "b")))
	c := put(t, s, mustZip(t, file("c", "c")))
	for _, r := range []Ref{a, b} {
		if _, err := s.Unpacked(r); err != nil {
			t.Fatal(err)
		}
	}
	keptSet, err := s.Layers([]Ref{a, b})
	if err != nil {
		t.Fatal(err)
	}
	goneSet, err := s.Layers([]Ref{a, c})
	if err != nil {
		t.Fatal(err)
	}
	clock.add(time.Minute)

	keep := map[Ref]bool{a: true, b: true}
	var asked []Ref
	sw, err := s.Sweep(func(r Ref) bool { asked = append(asked, r); return keep[r] })
	if err != nil {
		t.Fatal(err)
	}
	if sw != (Swept{Packages: 1, Unpacked: 0, LayerSets: 1}) {
		t.Errorf("Swept = %+v", sw)
	}
	if len(asked) != 3 {
		t.Errorf("keep asked %d times, want once per ref", len(asked))
	}
	mustExist(t, s.zipPath(a), s.zipPath(b), s.unpackedPath(a), s.unpackedPath(b), keptSet)
	mustNotExist(t, s.zipPath(c), goneSet)
	if st, _ := s.Stats(); st.Packages != 2 {
		t.Errorf("Stats = %+v", st)
	}

	// Dropping b takes its unpacked directory and the set built on it.
	delete(keep, b)
	if sw, err = s.Sweep(func(r Ref) bool { return keep[r] }); err != nil {
		t.Fatal(err)
	}
	if sw != (Swept{Packages: 1, Unpacked: 1, LayerSets: 1}) {
		t.Errorf("Swept = %+v", sw)
	}
	mustNotExist(t, s.zipPath(b), s.unpackedPath(b), keptSet)
	mustExist(t, s.zipPath(a), s.unpackedPath(a))
	if tmp := entries(t, s.tmpDir()); len(tmp) != 0 {
		t.Errorf("tmp/ not emptied: %v", tmp)
	}
}

func TestSweepSparesFreshPuts(t *testing.T) {
	clock := newClock()
	s := openStore(t, WithClock(clock.now), WithGrace(time.Minute))
	none := func(Ref) bool { return false }
	z := mustZip(t, file("x", "x"))
	r := put(t, s, z)

	// Put returned, the caller has not committed the Ref yet.
	clock.add(59 * time.Second)
	if sw, err := s.Sweep(none); err != nil || sw != (Swept{}) {
		t.Fatalf("Sweep within grace = %+v, %v", sw, err)
	}
	mustExist(t, s.zipPath(r))

	// Putting the same bytes again restarts the grace period.
	put(t, s, z)
	clock.add(59 * time.Second)
	if sw, _ := s.Sweep(none); sw.Packages != 0 {
		t.Fatal("re-Put package swept within its new grace period")
	}
	clock.add(time.Second)
	if sw, _ := s.Sweep(none); sw.Packages != 1 {
		t.Fatalf("not swept after grace: %+v", sw)
	}
	mustNotExist(t, s.zipPath(r))
}

func TestSweepGraceSurvivesRestart(t *testing.T) {
	clock := newClock()
	dir := t.TempDir()
	s, err := Open(dir, WithClock(clock.now), WithGrace(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	r := put(t, s, mustZip(t, file("x", "x")))
	s.Close()

	// The new process has no memory of the Put; the zip's mtime has.
	s, err = Open(dir, WithClock(clock.now), WithGrace(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	none := func(Ref) bool { return false }
	if sw, _ := s.Sweep(none); sw.Packages != 0 {
		t.Fatal("swept within grace after restart")
	}
	clock.add(time.Minute)
	if sw, _ := s.Sweep(none); sw.Packages != 1 {
		t.Fatal("not swept after grace")
	}
	mustNotExist(t, s.zipPath(r))
}

func TestSweepRemovesOrphanUnpacked(t *testing.T) {
	// An unpacked directory whose zip is gone (a crash between removals).
	clock := newClock()
	s := openStore(t, WithClock(clock.now), WithGrace(time.Minute))
	r := put(t, s, mustZip(t, file("x", "x")))
	if _, err := s.Unpacked(r); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(s.zipPath(r)); err != nil {
		t.Fatal(err)
	}
	clock.add(time.Minute)
	if sw, err := s.Sweep(func(Ref) bool { return false }); err != nil || sw != (Swept{Unpacked: 1}) {
		t.Fatalf("Swept = %+v, %v", sw, err)
	}
	mustNotExist(t, s.unpackedPath(r))
}

func TestRemove(t *testing.T) {
	clock := newClock()
	s := openStore(t, WithClock(clock.now), WithGrace(time.Minute))
	a := put(t, s, mustZip(t, file("a", "a")))
	b := put(t, s, mustZip(t, file("b", "b")))
	if _, err := s.Unpacked(a); err != nil {
		t.Fatal(err)
	}
	set, err := s.Layers([]Ref{b, a})
	if err != nil {
		t.Fatal(err)
	}
	// Just Put: another caller may be about to record it.
	if removed, err := s.Remove(a); removed || err != nil {
		t.Fatalf("Remove within grace = %v, %v", removed, err)
	}
	mustExist(t, s.zipPath(a), s.unpackedPath(a), set)

	clock.add(time.Minute)
	if removed, err := s.Remove(a); !removed || err != nil {
		t.Fatalf("Remove = %v, %v", removed, err)
	}
	mustNotExist(t, s.zipPath(a), s.unpackedPath(a), set)
	mustExist(t, s.zipPath(b))
	if _, err := s.Unpacked(a); !errors.Is(err, ErrNotFound) {
		t.Errorf("Unpacked after Remove: %v", err)
	}
	if removed, err := s.Remove(a); removed || err != nil {
		t.Errorf("second Remove = %v, %v", removed, err)
	}
}

func mustExist(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func mustNotExist(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s still exists", p)
		}
	}
}

func TestSweepDuringPutsNeverLosesAPut(t *testing.T) {
	s := openStore(t) // real clock, default grace
	const n = 40
	zips := make([][]byte, n)
	for i := range zips {
		zips[i] = mustZip(t, file("f", string(rune('a'+i%26))+string(rune('a'+i/26))))
	}
	stop := make(chan struct{})
	swept := make(chan error, 1)
	go func() {
		// Nothing is ever committed: only the grace period protects the Puts.
		for {
			select {
			case <-stop:
				swept <- nil
				return
			default:
			}
			if _, err := s.Sweep(func(Ref) bool { return false }); err != nil {
				swept <- err
				return
			}
		}
	}()
	refs := make([]Ref, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { refs[i], errs[i] = s.Put(zips[i]) })
	}
	wg.Wait()
	close(stop)
	if err := <-swept; err != nil {
		t.Fatal(err)
	}
	for i, r := range refs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		mustExist(t, s.zipPath(r))
	}
}
