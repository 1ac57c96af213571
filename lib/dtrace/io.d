/*
 * io.d: block I/O and files as the io provider and fds[] describe them:
 * bufinfo_t, devinfo_t and fileinfo_t, translated from the kernel's block
 * request (struct request) and open file (struct file).
 */

inline int B_BUSY = 0x0001;
inline int B_DONE = 0x0002;
inline int B_ERROR = 0x0004;
inline int B_PAGEIO = 0x0010;
inline int B_PHYS = 0x0020;
inline int B_READ = 0x0040;
inline int B_WRITE = 0x0100;
inline int B_ASYNC = 0x0400;

typedef struct bufinfo {
	int b_flags;
	size_t b_bcount;
	caddr_t b_addr;
	uint64_t b_lblkno;
	uint64_t b_blkno;
	size_t b_resid;
	size_t b_bufsize;
	caddr_t b_iodone;
	int b_error;
	dev_t b_edev;
} bufinfo_t;

typedef struct devinfo {
	int dev_major;
	int dev_minor;
	int dev_instance;
	string dev_name;
	string dev_statname;
	string dev_pathname;
} devinfo_t;

typedef struct fileinfo {
	string fi_name;
	string fi_dirname;
	string fi_pathname;
	loff_t fi_offset;
	string fi_fs;
	string fi_mount;
	int fi_oflags;
} fileinfo_t;

/* A block request: the operation in the low 8 bits of cmd_flags (0 read,
   1 write), REQ_SYNC bit 11; sectors of 512 bytes. */
translator bufinfo_t < struct request *R > {
	b_flags = ((R->cmd_flags & 0xff) == 1 ? B_WRITE : B_READ) |
	    ((R->cmd_flags & (1 << 11)) ? 0 : B_ASYNC) | B_BUSY | B_PHYS;
	b_bcount = R->__data_len;
	b_addr = 0;
	b_lblkno = R->__sector;
	b_blkno = R->__sector;
	b_resid = 0;
	b_bufsize = R->__data_len;
	b_iodone = 0;
	b_error = 0;
	b_edev = R->part ? R->part->bd_dev : 0;
};

translator devinfo_t < struct request *R > {
	dev_major = R->part ? R->part->bd_dev >> 20 : 0;
	dev_minor = R->part ? R->part->bd_dev & 0xfffff : 0;
	dev_instance = 0;
	dev_name = R->part->bd_disk->disk_name;
	dev_statname = R->part->bd_disk->disk_name;
	dev_pathname = strjoin("/dev/", R->part->bd_disk->disk_name);
};

/* Which file a block request is for is not known below the file system. */
translator fileinfo_t < struct request *R > {
	fi_name = "<none>";
	fi_dirname = "<none>";
	fi_pathname = "<none>";
	fi_offset = -1;
	fi_fs = "<none>";
	fi_mount = "<none>";
	fi_oflags = 0;
};

/*
 * What the io provider keeps of the block I/O (bio) a thread submitted
 * last, copied as it was queued: wait-start's and wait-done's arguments
 * translate it (the bio itself may be gone when the wait ends). bdev is
 * NULL when the thread submitted none the provider saw.
 */
struct __dtrace_io_wait {
	struct block_device *bdev;
	uint64_t sector;
	uint64_t bytes;
	uint64_t flags;
};

translator bufinfo_t < struct __dtrace_io_wait *W > {
	b_flags = W->bdev == NULL ? 0 :
	    ((W->flags & 0xff) == 1 ? B_WRITE : B_READ) |
	    ((W->flags & (1 << 11)) ? 0 : B_ASYNC) | B_BUSY | B_PHYS;
	b_bcount = W->bytes;
	b_addr = 0;
	b_lblkno = W->sector;
	b_blkno = W->sector;
	b_resid = 0;
	b_bufsize = W->bytes;
	b_iodone = 0;
	b_error = 0;
	b_edev = W->bdev != NULL ? W->bdev->bd_dev : 0;
};

translator devinfo_t < struct __dtrace_io_wait *W > {
	dev_major = W->bdev != NULL ? W->bdev->bd_dev >> 20 : 0;
	dev_minor = W->bdev != NULL ? W->bdev->bd_dev & 0xfffff : 0;
	dev_instance = 0;
	dev_name = W->bdev != NULL ? stringof(W->bdev->bd_disk->disk_name) : "<none>";
	dev_statname = W->bdev != NULL ? stringof(W->bdev->bd_disk->disk_name) : "<none>";
	dev_pathname = W->bdev != NULL ?
	    strjoin("/dev/", stringof(W->bdev->bd_disk->disk_name)) : "<none>";
};

translator fileinfo_t < struct __dtrace_io_wait *W > {
	fi_name = "<none>";
	fi_dirname = "<none>";
	fi_pathname = "<none>";
	fi_offset = -1;
	fi_fs = "<none>";
	fi_mount = "<none>";
	fi_oflags = 0;
};

/* open(2) flags, as fi_oflags holds them. */
inline int O_ACCMODE = 0x3;
inline int O_RDONLY = 0x0;
inline int O_WRONLY = 0x1;
inline int O_RDWR = 0x2;
inline int O_CREAT = 0x40;
inline int O_EXCL = 0x80;
inline int O_NOCTTY = 0x100;
inline int O_TRUNC = 0x200;
inline int O_APPEND = 0x400;
inline int O_NONBLOCK = 0x800;
inline int O_NDELAY = 0x800;
inline int O_DSYNC = 0x1000;
inline int O_ASYNC = 0x2000;
inline int O_DIRECT = 0x4000;
inline int O_LARGEFILE = 0x8000;
inline int O_DIRECTORY = 0x10000;
inline int O_NOFOLLOW = 0x20000;
inline int O_NOATIME = 0x40000;
inline int O_CLOEXEC = 0x80000;
inline int O_SYNC = 0x101000;
inline int O_FSYNC = 0x101000;
inline int O_RSYNC = 0x101000;
inline int O_PATH = 0x200000;
inline int O_TMPFILE = 0x410000;

/* An open file. */
translator fileinfo_t < struct file *F > {
	fi_name = F == NULL ? "<none>" : stringof(F->f_path.dentry->d_name.name);
	fi_dirname = F == NULL ? "<none>" : dirname(d_path(&F->f_path));
	fi_pathname = F == NULL ? "<none>" : d_path(&F->f_path);
	fi_offset = F == NULL ? 0 : F->f_pos;
	fi_fs = F == NULL ? "<none>" : stringof(F->f_path.mnt->mnt_sb->s_type->name);
	fi_mount = F == NULL ? "<none>" : __d_mountpoint(&F->f_path);
	fi_oflags = F == NULL ? 0 : F->f_flags;
};

/* The current process's open files, by descriptor. */
inline fileinfo_t fds[int fd] = xlate <fileinfo_t> (
    fd >= 0 && fd < curthread->files->fdt->max_fds ?
    curthread->files->fdt->fd[fd] : (struct file *)NULL);
