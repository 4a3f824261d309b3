package sandbox

import (
	"io/fs"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"
)

// diskWatcher guards the ephemeral storage where /tmp is a plain host
// directory (no mount namespace). Enforced: no single file grows beyond
// the size (RLIMIT_FSIZE, writes fail with EFBIG), and the environment is
// killed once the directory's allocated size exceeds the size at a sample.
// Not enforced: writes outside the directory (the function sees the host
// filesystem), space used between two samples, and ENOSPC semantics.
type diskWatcher struct {
	dir      string
	limit    int64
	kill     func()
	exceeded atomic.Bool
	p        *poller
}

// startDiskWatcher starts watching dir.
func startDiskWatcher(dir string, limit int64, period time.Duration, kill func()) *diskWatcher {
	w := &diskWatcher{dir: dir, limit: limit, kill: kill}
	w.p = startPoller(period, w.sample)
	return w
}

// sample measures once; it returns false once it killed the tree.
func (w *diskWatcher) sample() bool {
	if dirBytes(w.dir) > w.limit {
		w.exceeded.Store(true)
		w.kill()
		return false
	}
	return true
}

// close stops the watcher.
func (w *diskWatcher) close() { w.p.close() }

// dirBytes sums what the regular files below dir hold: their allocated
// space, but never more than their length (the filesystem preallocates
// blocks for a file being written, which would count a file of exactly the
// limit as over it), and for sparse files only what is allocated.
// Directories are left out, as on the tmpfs /tmp of the other modes: the
// host directory's own blocks would put a file of exactly the limit over it.
func dirBytes(dir string) int64 {
	var total int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil // vanished while walking, or not a file
		}
		if info, err := d.Info(); err == nil {
			if st, ok := info.Sys().(*syscall.Stat_t); ok {
				total += min(st.Blocks*512, st.Size)
			}
		}
		return nil
	})
	return total
}
