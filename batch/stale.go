package batch

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"time"
)

// Temporary folders of ours that a SIGKILL can leave behind.
const (
	classTempPrefix = "redisgrade-class-" // + pid + "-" + random: a class zip extracted
	ownerLockFile   = "owner.lock"        // in it, locked while its owner lives
	serverSocket    = "redis.sock"        // in engine's redisgrade-<random>: a redis-server's socket
	// A socket that refuses connections may belong to a server that has
	// bound it but not yet listens, for a moment; none is that slow.
	staleSocketAge = time.Minute
)

var socketFolder = regexp.MustCompile(`^redisgrade-[0-9]+$`)

// makeClassTemp makes the folder a class zip is extracted into, holding an
// exclusive flock on its owner.lock for as long as this process lives: the
// kernel drops the lock however the process ends (SIGKILL included), so
// CleanStale can tell a folder whose owner is gone. The lock is taken
// before the file gets its name, so an owner.lock that can be locked never
// belongs to a live process.
func makeClassTemp() (string, *os.File, error) {
	dir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", classTempPrefix, os.Getpid()))
	if err != nil {
		return "", nil, err
	}
	lock, err := os.CreateTemp(dir, ".lock-")
	if err == nil {
		if err = flockNB(lock); err == nil || errors.Is(err, errors.ErrUnsupported) {
			err = os.Rename(lock.Name(), filepath.Join(dir, ownerLockFile))
		}
		if err != nil {
			lock.Close()
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return dir, lock, nil
}

// CleanStale removes from tmpDir the temporary folders of ours whose owner
// is provably gone, and returns their paths: class folders whose
// owner.lock no process holds, and process-engine socket folders whose
// redis.sock, over a minute old, refuses connections (no server listens on
// it). Other folders, other users' and anything in doubt are left alone:
// other batches and tests may be running on the same machine.
func CleanStale(tmpDir string) ([]string, error) {
	des, err := os.ReadDir(tmpDir)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, de := range des {
		if !de.IsDir() {
			continue
		}
		dir := filepath.Join(tmpDir, de.Name())
		var stale bool
		switch name := de.Name(); {
		case len(name) > len(classTempPrefix) && name[:len(classTempPrefix)] == classTempPrefix:
			stale, err = removeIfUnlocked(dir)
		case socketFolder.MatchString(name) && ownedByUs(dir):
			if stale = socketIsDead(filepath.Join(dir, serverSocket)); stale {
				err = os.RemoveAll(dir)
			}
		default:
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("remove stale %s: %w", dir, err))
		} else if stale {
			removed = append(removed, dir)
		}
	}
	return removed, errors.Join(errs...)
}

// removeIfUnlocked removes a class folder if it can lock its owner.lock.
func removeIfUnlocked(dir string) (bool, error) {
	lock, err := os.OpenFile(filepath.Join(dir, ownerLockFile), os.O_RDWR, 0)
	if err != nil {
		return false, nil // no lock yet (or an older version's folder): in doubt
	}
	defer lock.Close()
	if flockNB(lock) != nil {
		return false, nil // its owner lives
	}
	return true, os.RemoveAll(dir)
}

// socketIsDead reports a unix socket file that is old enough and refuses
// connections: its server is gone.
func socketIsDead(path string) bool {
	info, err := os.Lstat(path)
	if err != nil || info.Mode()&os.ModeSocket == 0 || time.Since(info.ModTime()) < staleSocketAge {
		return false
	}
	conn, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		conn.Close()
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}
