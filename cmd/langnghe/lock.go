package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// dataDirLock is an exclusive flock on data_dir/langnghe.lock, which holds the holder's
// PID. The kernel drops a flock when its process dies, so a crashed holder never blocks
// the next start; the PID in the file is only for the message.
type dataDirLock struct {
	f *os.File
}

// lockFileName is the lock file under the data dir.
const lockFileName = "langnghe.lock"

// ErrDataDirBusy is returned when another process holds the data dir.
var ErrDataDirBusy = errors.New("data dir in use")

// lockDataDir takes the data dir for this process at once, or fails with "data dir in use
// by PID n": the bleve index, alert state, crawl cursors and outbox cannot be shared by two
// processes, and bleve would otherwise wait forever on its own lock.
func lockDataDir(dir string) (*dataDirLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data dir lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid := strings.TrimSpace(string(b))
			if _, perr := strconv.Atoi(pid); perr != nil {
				pid = "?"
			}
			return nil, fmt.Errorf("%w by PID %s (%s): thư mục dữ liệu đang được tiến trình khác dùng, dừng nó hoặc chọn data_dir khác / stop that process or choose another data_dir", ErrDataDirBusy, pid, dir)
		}
		return nil, fmt.Errorf("data dir lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dataDirLock{f: f}, nil
}

// release drops the lock. The file stays: removing it could let a third process lock a
// new file while a second still waits on the old one.
func (l *dataDirLock) release() {
	if l == nil || l.f == nil {
		return
	}
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
	l.f = nil
}
