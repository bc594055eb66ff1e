package status

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// kernelLockHeld looks for an FLOCK entry on the inode of path in /proc/locks. known is
// false when the table cannot be read (then the caller checks the holder's pid instead).
func kernelLockHeld(path string) (held, known bool, err error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return false, true, fmt.Errorf("stat %s: %w", path, err)
	}
	f, err := os.Open("/proc/locks")
	if err != nil {
		return false, false, nil
	}
	defer f.Close()
	ino := strconv.FormatUint(st.Ino, 10)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if flockOnInode(sc.Text(), ino) {
			return true, true, nil
		}
	}
	if sc.Err() != nil {
		return false, false, nil
	}
	return false, true, nil
}

// flockOnInode reports whether a /proc/locks line ("1: FLOCK  ADVISORY  WRITE 7678
// fe:00:860808 0 EOF") is a flock on inode ino. Lines of blocked waiters ("1: -> FLOCK ...")
// are not held locks.
func flockOnInode(line, ino string) bool {
	f := strings.Fields(line)
	if len(f) < 6 || f[1] != "FLOCK" {
		return false
	}
	dev := f[5]
	i := strings.LastIndexByte(dev, ':')
	return i >= 0 && dev[i+1:] == ino
}

// processAlive reports whether pid names a live, non-zombie process.
func processAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && err != syscall.EPERM {
		return false
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the command name in parentheses, which may itself hold spaces.
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}
