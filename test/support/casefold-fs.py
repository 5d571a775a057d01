#!/usr/bin/python3
# A case-insensitive filesystem for tests, in FUSE (python3-fusepy): a passthrough to a backing
# directory that folds every name to lower case, as ciopfs does. Two names that differ only in
# case are one file here, as on macOS's default APFS or Windows' NTFS. Used by
# test/keys/case-insensitive-fs.test.ts to check the key codec's case-fold-safety on a real
# mount; this kernel has no ext4 casefold (CONFIG_UNICODE).
#   casefold-fs.py <backing dir> <mount point>      (runs in the foreground until unmounted)
import errno
import os
import sys

from fusepy import FUSE, FuseOSError, Operations


class CaseFold(Operations):
    def __init__(self, backing):
        self.backing = backing

    def _path(self, path):
        return os.path.join(self.backing, path.lstrip('/').lower())

    def access(self, path, mode):
        if not os.access(self._path(path), mode):
            raise FuseOSError(errno.EACCES)

    def chmod(self, path, mode):
        os.chmod(self._path(path), mode)

    def chown(self, path, uid, gid):
        os.lchown(self._path(path), uid, gid)

    def getattr(self, path, fh=None):
        st = os.fstat(fh) if fh is not None else os.lstat(self._path(path))
        keys = ('st_atime', 'st_ctime', 'st_gid', 'st_mode', 'st_mtime', 'st_nlink', 'st_size', 'st_uid', 'st_ino')
        attrs = {key: getattr(st, key) for key in keys}
        for key in ('st_atime', 'st_ctime', 'st_mtime'):
            attrs[key] = getattr(st, key.replace('time', 'time_ns')) / 1e9
        return attrs

    def readdir(self, path, fh):
        return ['.', '..'] + os.listdir(self._path(path))

    def readlink(self, path):
        return os.readlink(self._path(path))

    def mknod(self, path, mode, dev):
        os.mknod(self._path(path), mode, dev)

    def rmdir(self, path):
        os.rmdir(self._path(path))

    def mkdir(self, path, mode):
        os.mkdir(self._path(path), mode)

    def statfs(self, path):
        st = os.statvfs(self._path(path))
        keys = ('f_bavail', 'f_bfree', 'f_blocks', 'f_bsize', 'f_favail', 'f_ffree', 'f_files', 'f_flag', 'f_frsize', 'f_namemax')
        return {key: getattr(st, key) for key in keys}

    def unlink(self, path):
        os.unlink(self._path(path))

    def symlink(self, name, target):
        os.symlink(target, self._path(name))

    def rename(self, old, new):
        os.rename(self._path(old), self._path(new))

    def link(self, target, name):
        os.link(self._path(name), self._path(target))

    def utimens(self, path, times=None):
        os.utime(self._path(path), times, follow_symlinks=False)

    def open(self, path, flags):
        return os.open(self._path(path), flags)

    def create(self, path, mode, fi=None):
        return os.open(self._path(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)

    def read(self, path, length, offset, fh):
        return os.pread(fh, length, offset)

    def write(self, path, buf, offset, fh):
        return os.pwrite(fh, buf, offset)

    def truncate(self, path, length, fh=None):
        if fh is not None:
            os.ftruncate(fh, length)
        else:
            os.truncate(self._path(path), length)

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        os.close(fh)

    def fsync(self, path, fdatasync, fh):
        os.fsync(fh)

    def opendir(self, path):
        return 0

    def releasedir(self, path, fh):
        return 0

    def fsyncdir(self, path, datasync, fh):
        return 0


if __name__ == '__main__':
    FUSE(CaseFold(sys.argv[1]), sys.argv[2], foreground=True, nothreads=True, allow_other=True, use_ino=True)
