package sandbox

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Mount points inside an environment with a mount namespace.
const (
	taskMount    = "/var/task"
	optMount     = "/opt"
	runtimeMount = "/var/runtime"
	tmpMount     = "/tmp"
)

// mountPlan is the filesystem layout the sandbox init builds in its new
// mount namespace. The rest of the host filesystem stays visible but, as
// in Lambda, read-only: only /tmp is writable.
type mountPlan struct {
	TaskDir    string `json:"taskDir"`
	OptDir     string `json:"optDir,omitempty"`     // "" = empty read-only /opt
	RuntimeDir string `json:"runtimeDir,omitempty"` // "" = leave /var/runtime alone
	TmpBytes   int64  `json:"tmpBytes"`
	// TmpDir, when set, is bind-mounted read-write on /tmp instead of a
	// tmpfs of TmpBytes (Spec.DiskTmp).
	TmpDir string `json:"tmpDir,omitempty"`
	// ProcFS mounts a fresh /proc (in a new pid namespace).
	ProcFS bool `json:"procFS,omitempty"`
	// Binds are writable host directories shown at other paths (a
	// function's file systems at /mnt/...).
	Binds []Bind `json:"binds,omitempty"`
	// Probe only checks that mounting works (Detect); it touches no host
	// directory.
	Probe bool `json:"probe,omitempty"`
}

// apply builds the layout. It runs in the sandbox init, inside the new
// mount namespace.
func (p mountPlan) apply() error {
	// Nothing mounted here may propagate back to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	if !p.Probe {
		// Bind the code before /tmp is covered: the source may be under /tmp.
		if err := bindReadOnly(p.TaskDir, taskMount); err != nil {
			return err
		}
		if p.OptDir != "" {
			if err := bindReadOnly(p.OptDir, optMount); err != nil {
				return err
			}
		} else if err := mountEmpty(optMount); err != nil {
			return err
		}
		if p.RuntimeDir != "" {
			if err := bindReadOnly(p.RuntimeDir, runtimeMount); err != nil {
				return err
			}
		}
		// Like the code, file systems are bound before /tmp is covered,
		// and while mount points can still be made.
		for _, b := range p.Binds {
			if err := os.MkdirAll(b.Path, 0o755); err != nil {
				return fmt.Errorf("mount point %s: %w", b.Path, err)
			}
			if err := unix.Mount(b.HostDir, b.Path, "", unix.MS_BIND, ""); err != nil {
				return fmt.Errorf("bind %s on %s: %w", b.HostDir, b.Path, err)
			}
		}
	}
	if err := readOnlyTree(); err != nil {
		return err
	}
	// The file systems stay writable.
	for _, b := range p.Binds {
		if err := unix.Mount("", b.Path, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
			return fmt.Errorf("make %s writable: %w", b.Path, err)
		}
	}
	if err := p.mountTmp(); err != nil {
		return err
	}
	if p.ProcFS {
		if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			return fmt.Errorf("mount /proc: %w", err)
		}
	}
	return nil
}

// mountTmp mounts the writable /tmp: a tmpfs, or a bind of TmpDir made
// writable again (a new bind inherits the read-only flag of its source).
func (p mountPlan) mountTmp() error {
	if p.TmpDir == "" {
		opts := fmt.Sprintf("size=%d,mode=1777", p.TmpBytes)
		if err := unix.Mount("tmpfs", tmpMount, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
			return fmt.Errorf("mount tmpfs on %s: %w", tmpMount, err)
		}
		return nil
	}
	if err := unix.Mount(p.TmpDir, tmpMount, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s on %s: %w", p.TmpDir, tmpMount, err)
	}
	flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_NOSUID | unix.MS_NODEV)
	if err := unix.Mount("", tmpMount, "", flags, ""); err != nil {
		return fmt.Errorf("make %s writable: %w", tmpMount, err)
	}
	return nil
}

// readOnlyTree makes every mount of the namespace read-only (not the host's:
// these are the namespace's copies). Device nodes stay usable. Skipped on
// kernels before 5.12, which lack mount_setattr.
func readOnlyTree() error {
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
	err := unix.MountSetattr(unix.AT_FDCWD, "/", unix.AT_RECURSIVE, &attr)
	if err != nil && !errors.Is(err, unix.ENOSYS) {
		return fmt.Errorf("make / read-only: %w", err)
	}
	return nil
}

// bindReadOnly bind-mounts src on dst (creating the mount point on the
// host if needed) and makes the bind read-only.
func bindReadOnly(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("create mount point: %w", err)
	}
	if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s on %s: %w", src, dst, err)
	}
	// MS_RDONLY is ignored by the initial bind; it takes a remount.
	flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV)
	if err := unix.Mount("", dst, "", flags, ""); err != nil {
		return fmt.Errorf("make %s read-only: %w", dst, err)
	}
	return nil
}

// mountEmpty hides dst behind an empty read-only tmpfs.
func mountEmpty(dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("create mount point: %w", err)
	}
	flags := uintptr(unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV)
	if err := unix.Mount("tmpfs", dst, "tmpfs", flags, "size=4k,mode=755"); err != nil {
		return fmt.Errorf("mount empty %s: %w", dst, err)
	}
	return nil
}
