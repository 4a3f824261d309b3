// Command helper plays the function inside sandbox tests. It is built as a
// static binary by the tests; each invocation runs one command.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: helper command [args]")
		os.Exit(2)
	}
	arg := func(i int) string {
		if len(os.Args) > i+1 {
			return os.Args[i+1]
		}
		return ""
	}
	switch os.Args[1] {
	case "exit": // exit CODE
		n, _ := strconv.Atoi(arg(1))
		os.Exit(n)
	case "raise": // raise SIGNUM: signal ourselves, then exit 7 if alive
		n, _ := strconv.Atoi(arg(1))
		_ = syscall.Kill(os.Getpid(), syscall.Signal(n))
		time.Sleep(100 * time.Millisecond)
		os.Exit(7)
	case "segv": // die from a real SIGSEGV with the default action
		segv()
	case "write": // write PATH
		report(os.WriteFile(arg(1), []byte("x"), 0o644))
	case "fill": // fill PATH: write 1 MiB chunks until an error
		fill(arg(1))
	case "cat": // cat PATH
		b, err := os.ReadFile(arg(1))
		if err != nil {
			report(err)
			return
		}
		os.Stdout.Write(b)
	case "ls": // ls DIR
		entries, err := os.ReadDir(arg(1))
		if err != nil {
			report(err)
			return
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		fmt.Println(strings.Join(names, " "))
	case "alloc": // alloc MB: allocate and touch, say so, then hold
		n, _ := strconv.Atoi(arg(1))
		b := make([]byte, n<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		fmt.Println("allocated")
		hold()
		_ = b[len(b)-1]
	case "sleep": // say so, then hold
		fmt.Println("sleeping", arg(1))
		hold()
	case "tick": // print a line every 5ms
		for i := 0; ; i++ {
			fmt.Println("tick", i)
			time.Sleep(5 * time.Millisecond)
		}
	case "daemon": // daemon TOKEN: leave a setsid'd, double-forked grandchild
		daemon(arg(1))
	case "orphan": // orphan TOKEN: leave a daemon like "daemon", then exit 0
		out, err := exec.Command("/proc/self/exe", "middle", arg(1)).Output()
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("ready", strings.TrimSpace(string(out)))
	case "middle": // middle TOKEN: start the grandchild and exit
		cmd := exec.Command("/proc/self/exe", "grandchild", arg(1))
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println(cmd.Process.Pid)
	case "grandchild": // grandchild TOKEN
		hold()
	case "spawn": // spawn N: start N sleeping children, report how many worked
		n, _ := strconv.Atoi(arg(1))
		ok := 0
		var last error
		for i := 0; i < n; i++ {
			cmd := exec.Command("/proc/self/exe", "grandchild", "spawned")
			if last = cmd.Start(); last != nil {
				break
			}
			ok++
		}
		fmt.Println("started", ok, "error", errName(last))
		hold()
	case "connect": // connect ADDR: connect, say hi, hold
		c, err := net.Dial("tcp", arg(1))
		if err != nil {
			report(err)
			os.Exit(1)
		}
		fmt.Fprintln(c, "hi")
		hold()
		c.Close()
	case "report": // print facts about the process as JSON
		facts()
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(2)
	}
}

// hold blocks forever without tripping Go's deadlock detector.
func hold() {
	for {
		time.Sleep(time.Hour)
	}
}

// report prints "ok" or "error: ERRNO-NAME".
func report(err error) {
	if err == nil {
		fmt.Println("ok")
		return
	}
	fmt.Println("error:", errName(err))
}

// errName returns the errno name of err (EROFS, ENOSPC...) when it has one.
func errName(err error) string {
	if err == nil {
		return "none"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		for _, n := range []struct {
			e syscall.Errno
			s string
		}{
			{syscall.EROFS, "EROFS"}, {syscall.ENOSPC, "ENOSPC"}, {syscall.EFBIG, "EFBIG"},
			{syscall.EAGAIN, "EAGAIN"}, {syscall.ENOENT, "ENOENT"}, {syscall.EACCES, "EACCES"},
			{syscall.ECONNREFUSED, "ECONNREFUSED"},
		} {
			if errno == n.e {
				return n.s
			}
		}
		return fmt.Sprintf("errno %d", int(errno))
	}
	return err.Error()
}

// fill writes 1 MiB chunks to path until a write fails.
func fill(path string) {
	f, err := os.Create(path)
	if err != nil {
		report(err)
		return
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	total := 0
	for {
		n, err := f.Write(chunk)
		total += n
		if err != nil {
			fmt.Println("wrote", total, "error", errName(err))
			return
		}
		if total > 4<<30 {
			fmt.Println("wrote", total, "error none")
			return
		}
	}
}

// daemon starts "middle", which starts a setsid'd grandchild and exits,
// so the grandchild is orphaned; then it says ready and holds.
func daemon(token string) {
	out, err := exec.Command("/proc/self/exe", "middle", token).Output()
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready", strings.TrimSpace(string(out)))
	hold()
}

// segv dies from SIGSEGV with the default disposition: Go's handler is
// replaced by SIG_DFL, then a bad address is written.
func segv() {
	var act [4]uintptr // struct kernel_sigaction, all zero = SIG_DFL
	if _, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(syscall.SIGSEGV),
		uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0); e != 0 {
		fmt.Println("rt_sigaction:", e)
		os.Exit(1)
	}
	p := (*int)(unsafe.Pointer(uintptr(8)))
	*p = 1
	os.Exit(3)
}

// facts prints the process view: pid, cwd, environment, open fds,
// rlimits, ignored signals.
func facts() {
	f := map[string]any{}
	f["pid"] = os.Getpid()
	f["cwd"], _ = os.Getwd()
	f["env"] = os.Environ()
	var fds []string
	if entries, err := os.ReadDir("/proc/self/fd"); err == nil {
		for _, e := range entries {
			link, _ := os.Readlink("/proc/self/fd/" + e.Name())
			fds = append(fds, e.Name()+"="+link)
		}
	}
	f["fds"] = fds
	for name, r := range map[string]int{"nofile": syscall.RLIMIT_NOFILE, "core": syscall.RLIMIT_CORE, "fsize": syscall.RLIMIT_FSIZE} {
		var l syscall.Rlimit
		_ = syscall.Getrlimit(r, &l)
		f[name] = []uint64{l.Cur, l.Max}
	}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "SigIgn:"); ok {
				f["sigign"] = strings.TrimSpace(v)
			}
		}
	}
	json.NewEncoder(os.Stdout).Encode(f)
}
