//go:build unix

package store

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// sqliteDMSByte is the byte of a WAL database's -shm file on which every
// connection holds a shared lock for as long as it is open (SQLite's unix
// VFS, UNIX_SHM_DMS: (22+8)*4+8 = 128), so a lock there means some process
// has the database open. SQLite uses it to tell whether it is the first to
// open the file; SQLiteInUse asks the kernel the same question.
const sqliteDMSByte = 128

// SQLiteInUse reports the id of a process that has the SQLite database at
// path open (0: none), so a restore can refuse to replace a database under
// a running store. It sees processes of this machine only.
func SQLiteInUse(path string) (pid int, err error) {
	f, err := os.Open(path + "-shm")
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil // never opened in WAL mode, or closed cleanly
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: sqliteDMSByte, Len: 1}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return 0, err
	}
	if lk.Type == syscall.F_UNLCK {
		return 0, nil
	}
	return int(lk.Pid), nil
}
