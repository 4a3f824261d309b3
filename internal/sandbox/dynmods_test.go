package sandbox

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestFavorDynmodsRemount(t *testing.T) {
	mounts := parseMountinfo([]byte("30 25 0:26 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"))
	if len(mounts) != 1 || !mounts[0].v2 {
		t.Fatalf("parsed %+v", mounts)
	}
	flags, data, needed := favorDynmodsRemount(mounts[0])
	want := uintptr(unix.MS_REMOUNT | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_RELATIME)
	if !needed || flags != want || data != "nsdelegate,memory_recursiveprot,favordynmods" {
		t.Fatalf("got %#x %q %v, want %#x", flags, data, needed, want)
	}
	set := parseMountinfo([]byte("30 25 0:26 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw,favordynmods\n"))
	if _, _, needed := favorDynmodsRemount(set[0]); needed {
		t.Fatal("remount asked for although favordynmods is set")
	}
}
